/* trb-node-join-policy.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Invitation codes and proof-of-work challenges are both stateless for the node: each carries
 * a keyed hash (BLAKE2b, keyed by a key derived from the ledger key) that only this node can
 * make, so `tributary-node invite` needs no running node and a challenge needs no table. What
 * the node does store is which wallet used each invitation, so that a code admits one wallet.
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node-join-policy.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "net/trb-proof-of-work.h"
#include "trb-json.h"
#include "wallet/trb-base58.h"

#define PROBLEM_BASE "https://tributary.invalid/problems/"

/* An invitation: an 8-byte random id and a 12-byte tag, in base32 (32 characters). */
#define INVITATION_ID_BYTES  8
#define INVITATION_TAG_BYTES 12
#define INVITATION_BYTES     (INVITATION_ID_BYTES + INVITATION_TAG_BYTES)
#define INVITATION_CHARS     32
/* A challenge: the expiry (8 bytes, big-endian Unix time) and a 16-byte tag, base64url. */
#define CHALLENGE_TAG_BYTES  16
#define CHALLENGE_BYTES      (8 + CHALLENGE_TAG_BYTES)

static const char * const policy_names[] = { "open", "invitation", "proof-of-work" };

static const char * const join_schema[] = {
  "CREATE TABLE join_policy (id INTEGER PRIMARY KEY CHECK (id = 1), kind TEXT NOT NULL,"
  "  bits INTEGER NOT NULL);"
  "CREATE TABLE join_invitations (id TEXT PRIMARY KEY, address TEXT NOT NULL,"
  "  used INTEGER NOT NULL);",
};

static const char base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

struct _TrbJoinPolicy
{
  TrbStore          *store;
  TrbJoinPolicyKind  kind;
  guint              bits;
  guint8             invitation_key[crypto_generichash_KEYBYTES];
  guint8             challenge_key[crypto_generichash_KEYBYTES];
};

static const TrbJoinRefusal invitation_required = {
  403, "invitation-required", "This network needs an invitation",
  "Ask the network's operator for an invitation code.",
};
static const TrbJoinRefusal invitation_refused = {
  403, "invitation-refused", "This invitation code is not valid",
  "The code was not made by this network's operator, or was mistyped.",
};
static const TrbJoinRefusal invitation_used = {
  403, "invitation-used", "This invitation was already used",
  "Each invitation admits one wallet, and another wallet used this one.",
};
static const TrbJoinRefusal work_required = {
  403, "proof-of-work-required", "This network needs a proof of work to join",
  "Get a challenge from /v1/participants/challenge and send the nonce found.",
};
static const TrbJoinRefusal work_refused = {
  403, "bad-proof-of-work", "The proof of work is not valid",
  "The challenge expired, was made for another address, or the nonce does not solve it.",
};

static void
derive_key (const guint8 *secret_key,
            const char   *purpose,
            guint8       *key)
{
  crypto_generichash (key, crypto_generichash_KEYBYTES, (const guint8 *)purpose,
                      strlen (purpose), secret_key, crypto_sign_SECRETKEYBYTES);
}

/**
 * trb_join_policy_new:
 * @store: the node's store
 * @ledger_secret_key: the ledger key (64 bytes, libsodium layout); the keys of invitations and
 *   challenges are derived from it
 * @error: return location for an error
 *
 * Returns: (transfer full): the policy stored (open when none was set), or %NULL
 */
TrbJoinPolicy *
trb_join_policy_new (TrbStore      *store,
                     const guint8  *ledger_secret_key,
                     GError       **error)
{
  g_autoptr(TrbJoinPolicy) self = g_new0 (TrbJoinPolicy, 1);
  sqlite3_stmt *stmt = NULL;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (ledger_secret_key != NULL, NULL);

  if (!trb_store_migrate (store, "node-join", join_schema, G_N_ELEMENTS (join_schema), error))
    return NULL;
  self->store = g_object_ref (store);
  self->kind = TRB_JOIN_POLICY_OPEN;
  self->bits = TRB_PROOF_OF_WORK_DEFAULT_BITS;
  derive_key (ledger_secret_key, "tributary-invitation/v1", self->invitation_key);
  derive_key (ledger_secret_key, "tributary-join-challenge/v1", self->challenge_key);

  if (sqlite3_prepare_v2 (trb_store_get_db (store), "SELECT kind, bits FROM join_policy", -1,
                          &stmt, NULL) != SQLITE_OK)
    {
      trb_store_set_error_from_db (store, error);
      return NULL;
    }
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      trb_join_policy_kind_from_string ((const char *)sqlite3_column_text (stmt, 0),
                                        &self->kind);
      self->bits = CLAMP (sqlite3_column_int (stmt, 1), 1, TRB_PROOF_OF_WORK_MAX_BITS);
    }
  sqlite3_finalize (stmt);
  return g_steal_pointer (&self);
}

/**
 * trb_join_policy_free:
 * @self: (nullable): a policy
 *
 * Frees the policy and wipes the keys derived from the ledger key.
 */
void
trb_join_policy_free (TrbJoinPolicy *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->store);
  sodium_memzero (self->invitation_key, sizeof self->invitation_key);
  sodium_memzero (self->challenge_key, sizeof self->challenge_key);
  g_free (self);
}

/**
 * trb_join_policy_kind_from_string:
 * @text: `open`, `invitation` or `proof-of-work`
 * @kind: (out): the policy
 *
 * Returns: whether @text names a policy
 */
gboolean
trb_join_policy_kind_from_string (const char        *text,
                                  TrbJoinPolicyKind *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (policy_names); i++)
    if (g_strcmp0 (text, policy_names[i]) == 0)
      {
        *kind = i;
        return TRUE;
      }
  return FALSE;
}

/**
 * trb_join_policy_set:
 * @self: a policy
 * @kind: who may join from now on
 * @bits: the leading zero bits a proof of work needs (1 to %TRB_PROOF_OF_WORK_MAX_BITS)
 * @error: return location for an error
 *
 * Stores the policy, so that it holds after a restart too.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_join_policy_set (TrbJoinPolicy      *self,
                     TrbJoinPolicyKind   kind,
                     guint               bits,
                     GError            **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (kind <= TRB_JOIN_POLICY_PROOF_OF_WORK, FALSE);

  if (bits < 1 || bits > TRB_PROOF_OF_WORK_MAX_BITS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The proof of work must need between 1 and %u bits."),
                   TRB_PROOF_OF_WORK_MAX_BITS);
      return FALSE;
    }
  if (sqlite3_prepare_v2 (trb_store_get_db (self->store),
                          "INSERT OR REPLACE INTO join_policy (id, kind, bits) VALUES (1, ?, ?)",
                          -1, &stmt, NULL) != SQLITE_OK)
    return trb_store_set_error_from_db (self->store, error);
  sqlite3_bind_text (stmt, 1, policy_names[kind], -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 2, bits);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_finalize (stmt);
  if (!ok)
    return trb_store_set_error_from_db (self->store, error);
  self->kind = kind;
  self->bits = bits;
  return TRUE;
}

/**
 * trb_join_policy_get_kind:
 * @self: a policy
 *
 * Returns: who may join now
 */
TrbJoinPolicyKind
trb_join_policy_get_kind (TrbJoinPolicy *self)
{
  return self->kind;
}

/**
 * trb_join_policy_describe:
 * @self: a policy
 * @builder: a builder inside the object of `GET /v1/network`
 *
 * Adds the member `join`: `{"policy": "open"}`, `{"policy": "invitation"}` or
 * `{"policy": "proof-of-work", "bits": N}`.
 */
void
trb_join_policy_describe (TrbJoinPolicy *self,
                          JsonBuilder   *builder)
{
  json_builder_set_member_name (builder, "join");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "policy");
  json_builder_add_string_value (builder, policy_names[self->kind]);
  if (self->kind == TRB_JOIN_POLICY_PROOF_OF_WORK)
    {
      json_builder_set_member_name (builder, "bits");
      json_builder_add_int_value (builder, self->bits);
    }
  json_builder_end_object (builder);
}

/* ---- invitations -------------------------------------------------------------------------- */

static void
invitation_tag (TrbJoinPolicy *self,
                const guint8  *id,
                guint8        *tag)
{
  crypto_generichash (tag, INVITATION_TAG_BYTES, id, INVITATION_ID_BYTES, self->invitation_key,
                      sizeof self->invitation_key);
}

/**
 * trb_join_policy_new_invitation:
 * @self: a policy
 *
 * Makes a new invitation code: 32 base32 characters in groups of four, for example
 * `ABCD-EFGH-…`. Any number can be made; each admits one wallet.
 *
 * Returns: (transfer full): the code
 */
char *
trb_join_policy_new_invitation (TrbJoinPolicy *self)
{
  guint8 bytes[INVITATION_BYTES + 3] = { 0 };  /* padded to whole 5-byte groups */
  GString *code = g_string_new (NULL);
  guint bit = 0;

  randombytes_buf (bytes, INVITATION_ID_BYTES);
  invitation_tag (self, bytes, bytes + INVITATION_ID_BYTES);
  for (guint i = 0; i < INVITATION_CHARS; i++, bit += 5)
    {
      guint value = ((bytes[bit / 8] << 8) | bytes[bit / 8 + 1]) >> (11 - bit % 8);

      if (i > 0 && i % 4 == 0)
        g_string_append_c (code, '-');
      g_string_append_c (code, base32_alphabet[value & 31]);
    }
  return g_string_free (code, FALSE);
}

/* Reads a code as a person may type it: any case, with or without dashes and spaces. */
static gboolean
parse_invitation (const char *text,
                  guint8     *bytes)
{
  guint n = 0, bit = 0;

  memset (bytes, 0, INVITATION_BYTES);
  for (const char *p = text; *p != '\0'; p++)
    {
      const char *found;
      guint value;

      if (*p == '-' || *p == ' ')
        continue;
      found = strchr (base32_alphabet, g_ascii_toupper (*p));
      if (found == NULL || *p == '\0' || n >= INVITATION_CHARS)
        return FALSE;
      value = found - base32_alphabet;
      for (int b = 4; b >= 0; b--, bit++)
        if (value & (1u << b))
          bytes[bit / 8] |= 0x80 >> (bit % 8);
      n++;
    }
  return n == INVITATION_CHARS;
}

static gboolean
admit_invitation (TrbJoinPolicy         *self,
                  const char            *address,
                  JsonObject            *request,
                  const TrbJoinRefusal **refusal,
                  GError               **error)
{
  const char *code = trb_json_get_string (request, "invitation", NULL);
  guint8 bytes[INVITATION_BYTES];
  guint8 tag[INVITATION_TAG_BYTES];
  g_autofree char *id = NULL;
  sqlite3 *db = trb_store_get_db (self->store);
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  if (code == NULL || *code == '\0')
    {
      *refusal = &invitation_required;
      return FALSE;
    }
  if (strlen (code) > 4 * INVITATION_CHARS || !parse_invitation (code, bytes))
    {
      *refusal = &invitation_refused;
      return FALSE;
    }
  invitation_tag (self, bytes, tag);
  if (sodium_memcmp (tag, bytes + INVITATION_ID_BYTES, INVITATION_TAG_BYTES) != 0)
    {
      *refusal = &invitation_refused;
      return FALSE;
    }

  id = g_malloc (INVITATION_ID_BYTES * 2 + 1);
  sodium_bin2hex (id, INVITATION_ID_BYTES * 2 + 1, bytes, INVITATION_ID_BYTES);
  if (sqlite3_prepare_v2 (db, "SELECT address FROM join_invitations WHERE id = ?", -1, &stmt,
                          NULL) != SQLITE_OK)
    return trb_store_set_error_from_db (self->store, error);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      /* The same wallet again (a join whose answer was lost) is still welcome. */
      ok = g_strcmp0 ((const char *)sqlite3_column_text (stmt, 0), address) == 0;
      sqlite3_finalize (stmt);
      if (!ok)
        *refusal = &invitation_used;
      return ok;
    }
  sqlite3_finalize (stmt);

  if (sqlite3_prepare_v2 (db, "INSERT INTO join_invitations (id, address, used) VALUES (?, ?, ?)",
                          -1, &stmt, NULL) != SQLITE_OK)
    return trb_store_set_error_from_db (self->store, error);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, address, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time () / G_USEC_PER_SEC);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_finalize (stmt);
  if (!ok)
    return trb_store_set_error_from_db (self->store, error);
  return TRUE;
}

/* ---- proof of work ------------------------------------------------------------------------ */

static void
challenge_tag (TrbJoinPolicy *self,
               const char    *address,
               const guint8  *expires,
               guint8        *tag)
{
  crypto_generichash_state state;

  crypto_generichash_init (&state, self->challenge_key, sizeof self->challenge_key,
                           CHALLENGE_TAG_BYTES);
  crypto_generichash_update (&state, (const guint8 *)address, strlen (address));
  crypto_generichash_update (&state, (const guint8 *)"\n", 1);
  crypto_generichash_update (&state, expires, 8);
  crypto_generichash_final (&state, tag, CHALLENGE_TAG_BYTES);
}

/**
 * trb_join_policy_make_challenge:
 * @self: a policy
 * @address: the address that will join
 * @expires: the Unix time after which the node refuses it
 *
 * Returns: (transfer full): a proof-of-work challenge bound to @address
 */
char *
trb_join_policy_make_challenge (TrbJoinPolicy *self,
                                const char    *address,
                                gint64         expires)
{
  guint8 bytes[CHALLENGE_BYTES];
  char text[sodium_base64_ENCODED_LEN (CHALLENGE_BYTES,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  for (int i = 0; i < 8; i++)
    bytes[i] = (guint64) expires >> (56 - 8 * i);
  challenge_tag (self, address, bytes, bytes + 8);
  sodium_bin2base64 (text, sizeof text, bytes, sizeof bytes,
                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return g_strdup (text);
}

static gboolean
valid_address (const char *address)
{
  g_autofree guint8 *key = NULL;
  gsize len = 0;

  return address != NULL && strlen (address) <= 64 &&
         trb_base58_decode (address, &key, &len, NULL) && len == 32;
}

static void
reply_problem (SoupServerMessage    *msg,
               const TrbJoinRefusal *problem)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *uri = g_strconcat (PROBLEM_BASE, problem->type, NULL);
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, uri);
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, problem->title);
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, problem->status);
  json_builder_set_member_name (b, "detail");
  json_builder_add_string_value (b, problem->detail);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  text = json_to_string (node, FALSE);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, problem->status, NULL);
  soup_server_message_set_response (msg, "application/problem+json", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

/**
 * trb_join_policy_handle_challenge:
 * @self: a policy
 * @msg: `GET /v1/participants/challenge?address=A`
 * @query: (nullable): its query
 *
 * Answers `{"challenge": "…", "bits": N, "expires": T}`: a challenge bound to the address that
 * the node accepts until T. A network that asks no proof of work answers `not-found`.
 */
void
trb_join_policy_handle_challenge (TrbJoinPolicy     *self,
                                  SoupServerMessage *msg,
                                  GHashTable        *query)
{
  static const TrbJoinRefusal no_work = {
    404, "not-found", "This network asks no proof of work", NULL,
  };
  static const TrbJoinRefusal bad_address = {
    400, "bad-request", "The address is not a participant's address",
    "Give the address that will join as ?address=.",
  };
  const char *address = query != NULL ? g_hash_table_lookup (query, "address") : NULL;
  gint64 expires = g_get_real_time () / G_USEC_PER_SEC + TRB_JOIN_CHALLENGE_LIFETIME_S;
  g_autofree char *challenge = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (self->kind != TRB_JOIN_POLICY_PROOF_OF_WORK)
    return reply_problem (msg, &no_work);
  if (!valid_address (address))
    return reply_problem (msg, &bad_address);

  challenge = trb_join_policy_make_challenge (self, address, expires);
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "challenge");
  json_builder_add_string_value (b, challenge);
  json_builder_set_member_name (b, "bits");
  json_builder_add_int_value (b, self->bits);
  json_builder_set_member_name (b, "expires");
  json_builder_add_int_value (b, expires);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  text = json_to_string (node, FALSE);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

static gboolean
admit_work (TrbJoinPolicy         *self,
            const char            *address,
            JsonObject            *request,
            const TrbJoinRefusal **refusal)
{
  JsonNode *member = json_object_get_member (request, "proof_of_work");
  JsonObject *work;
  const char *challenge, *nonce;
  guint8 bytes[CHALLENGE_BYTES];
  guint8 tag[CHALLENGE_TAG_BYTES];
  gsize len = 0;
  guint64 expires = 0;

  if (member == NULL || !JSON_NODE_HOLDS_OBJECT (member))
    {
      *refusal = &work_required;
      return FALSE;
    }
  *refusal = &work_refused;
  work = json_node_get_object (member);
  challenge = trb_json_get_string (work, "challenge", NULL);
  nonce = trb_json_get_string (work, "nonce", NULL);
  if (challenge == NULL || nonce == NULL || strlen (challenge) > TRB_PROOF_OF_WORK_MAX_CHALLENGE ||
      sodium_base642bin (bytes, sizeof bytes, challenge, strlen (challenge), NULL, &len, NULL,
                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      len != CHALLENGE_BYTES)
    return FALSE;
  challenge_tag (self, address, bytes, tag);
  if (sodium_memcmp (tag, bytes + 8, CHALLENGE_TAG_BYTES) != 0)
    return FALSE;
  for (int i = 0; i < 8; i++)
    expires = (expires << 8) | bytes[i];
  if (expires < (guint64) (g_get_real_time () / G_USEC_PER_SEC))
    return FALSE;
  if (!trb_proof_of_work_check (challenge, address, nonce, self->bits))
    return FALSE;
  *refusal = NULL;
  return TRUE;
}

/**
 * trb_join_policy_admit:
 * @self: a policy
 * @address: the address joining for the first time
 * @request: the join request's body
 * @refusal: (out): why the join is refused, when it is
 * @error: return location for a storage error
 *
 * Checks a first join against the policy. Called inside the join's transaction: an invitation
 * is recorded as used by @address in it.
 *
 * Returns: %TRUE to admit; %FALSE with @refusal set to refuse, or with @error set
 */
gboolean
trb_join_policy_admit (TrbJoinPolicy         *self,
                       const char            *address,
                       JsonObject            *request,
                       const TrbJoinRefusal **refusal,
                       GError               **error)
{
  g_return_val_if_fail (self != NULL && address != NULL && request != NULL, FALSE);

  *refusal = NULL;
  switch (self->kind)
    {
    case TRB_JOIN_POLICY_INVITATION:
      return admit_invitation (self, address, request, refusal, error);
    case TRB_JOIN_POLICY_PROOF_OF_WORK:
      return admit_work (self, address, request, refusal);
    case TRB_JOIN_POLICY_OPEN:
    default:
      return TRUE;
    }
}
