/* trb-node-join-policy.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Invitation codes and proof-of-work challenges are both stateless for the node: each carries
 * a keyed hash (BLAKE2b, keyed by a key derived from the ledger key) that only this node can
 * make, so `tributary-node invite` needs no running node and a challenge needs no table. What
 * the node does store is which wallet used each invitation, so that a code admits one wallet,
 * and the codes made and revoked, so that the operator can list them and take one back. A join
 * reads these inside its own transaction, so a code revoked by `invite --revoke` in another
 * process is refused from the next join on.
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node-join-policy.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "net/trb-proof-of-work.h"
#include "net/trb-protocol.h"
#include "trb-json.h"
#include "wallet/trb-base58.h"
#include "trb-node-db.h"


/* An invitation: an 8-byte random id and a 12-byte tag, in base32 (32 characters). */
#define INVITATION_ID_BYTES  8
#define INVITATION_TAG_BYTES 12
#define INVITATION_BYTES     (INVITATION_ID_BYTES + INVITATION_TAG_BYTES)
#define INVITATION_CHARS     32
/* A challenge: the expiry (8 bytes, big-endian Unix time) and a 16-byte tag, base64url. */
#define CHALLENGE_TAG_BYTES  16
#define CHALLENGE_BYTES      (8 + CHALLENGE_TAG_BYTES)

static const char * const policy_names[] = { "open", "invitation", "proof-of-work" };

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
  SOUP_STATUS_FORBIDDEN, "invitation-required", "This network needs an invitation",
  "Ask the network's operator for an invitation code.",
};
static const TrbJoinRefusal invitation_refused = {
  SOUP_STATUS_FORBIDDEN, "invitation-refused", "This invitation code is not valid",
  "The code was not made by this network's operator, or was mistyped.",
};
static const TrbJoinRefusal invitation_used = {
  SOUP_STATUS_FORBIDDEN, "invitation-used", "This invitation was already used",
  "Each invitation admits one wallet, and another wallet used this one.",
};
static const TrbJoinRefusal invitation_revoked = {
  SOUP_STATUS_FORBIDDEN, "invitation-revoked", "This invitation was revoked",
  "The network's operator took this invitation code back.",
};
static const TrbJoinRefusal work_required = {
  SOUP_STATUS_FORBIDDEN, "proof-of-work-required", "This network needs a proof of work to join",
  "Get a challenge from /v1/participants/challenge and send the nonce found.",
};
static const TrbJoinRefusal work_refused = {
  SOUP_STATUS_FORBIDDEN, "bad-proof-of-work", "The proof of work is not valid",
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
  g_autofree char *kind = NULL;
  int bits = TRB_PROOF_OF_WORK_DEFAULT_BITS;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (ledger_secret_key != NULL, NULL);

  if (!trb_node_db_migrate_join (store, error))
    return NULL;
  self->store = g_object_ref (store);
  self->kind = TRB_JOIN_POLICY_OPEN;
  self->bits = TRB_PROOF_OF_WORK_DEFAULT_BITS;
  derive_key (ledger_secret_key, "tributary-invitation/v1", self->invitation_key);
  derive_key (ledger_secret_key, "tributary-join-challenge/v1", self->challenge_key);

  if (!trb_node_db_load_join_policy (store, &kind, &bits, error))
    return NULL;
  if (kind != NULL)
    {
      trb_join_policy_kind_from_string (kind, &self->kind);
      self->bits = CLAMP (bits, 1, TRB_PROOF_OF_WORK_MAX_BITS);
    }
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
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (kind <= TRB_JOIN_POLICY_PROOF_OF_WORK, FALSE);

  if (bits < 1 || bits > TRB_PROOF_OF_WORK_MAX_BITS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   g_dngettext (GETTEXT_PACKAGE,
                                "The proof of work must need between 1 and %u bit.",
                                "The proof of work must need between 1 and %u bits.",
                                TRB_PROOF_OF_WORK_MAX_BITS),
                   TRB_PROOF_OF_WORK_MAX_BITS);
      return FALSE;
    }
  if (!trb_node_db_save_join_policy (self->store, policy_names[kind], (int) bits, error))
    return FALSE;
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

/* The code of an invitation id: the id and its tag in base32, in groups of four. */
static char *
format_invitation (TrbJoinPolicy *self,
                   const guint8  *id)
{
  guint8 bytes[INVITATION_BYTES + 3] = { 0 };  /* padded to whole 5-byte groups */
  GString *code = g_string_new (NULL);
  guint bit = 0;

  memcpy (bytes, id, INVITATION_ID_BYTES);
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

static char *
id_to_hex (const guint8 *id)
{
  char *hex = g_malloc (INVITATION_ID_BYTES * 2 + 1);

  sodium_bin2hex (hex, INVITATION_ID_BYTES * 2 + 1, id, INVITATION_ID_BYTES);
  return hex;
}

/**
 * trb_join_policy_new_invitations:
 * @self: a policy
 * @count: how many codes to make
 * @error: return location for an error
 *
 * Makes new invitation codes: each is 32 base32 characters in groups of four, for example
 * `ABCD-EFGH-…`, and admits one wallet. They are recorded (not the codes, their ids), all in
 * one transaction, so that trb_join_policy_list_invitations() shows them.
 *
 * Returns: (transfer full) (array zero-terminated=1): the codes, or %NULL
 */
char **
trb_join_policy_new_invitations (TrbJoinPolicy  *self,
                                 guint           count,
                                 GError        **error)
{
  g_autoptr(GPtrArray) codes = g_ptr_array_new_with_free_func (g_free);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_return_val_if_fail (self != NULL, NULL);

  if (!trb_node_db_begin_store (self->store, error))
    return NULL;
  for (guint i = 0; i < count; i++)
    {
      guint8 id[INVITATION_ID_BYTES];
      g_autofree char *hex = NULL;

      randombytes_buf (id, sizeof id);
      hex = id_to_hex (id);
      if (!trb_node_db_add_join_code (self->store, hex, now, error))
        {
          trb_node_db_rollback_store (self->store);
          return NULL;
        }
      g_ptr_array_add (codes, format_invitation (self, id));
    }
  if (!trb_node_db_commit_store (self->store, error))
    {
      trb_node_db_rollback_store (self->store);
      return NULL;
    }
  g_ptr_array_add (codes, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&codes), FALSE);
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

/* Reads @text as a code of this node; %FALSE when it is not one (mistyped or forged). */
static gboolean
check_invitation (TrbJoinPolicy *self,
                  const char    *text,
                  guint8        *bytes)
{
  guint8 tag[INVITATION_TAG_BYTES];

  if (strlen (text) > 4 * INVITATION_CHARS || !parse_invitation (text, bytes))
    return FALSE;
  invitation_tag (self, bytes, tag);
  return sodium_memcmp (tag, bytes + INVITATION_ID_BYTES, INVITATION_TAG_BYTES) == 0;
}

/**
 * trb_invitation_free:
 * @self: (nullable): an invitation's state
 */
void
trb_invitation_free (TrbInvitation *self)
{
  if (self == NULL)
    return;
  g_free (self->code);
  g_free (self->used_by);
  g_free (self);
}

/* The row of trb_join_policy_list_invitations()'s query: id, created, address, used, revoked. */
static TrbInvitation *
invitation_from_row (TrbJoinPolicy               *self,
                     const TrbNodeInvitationRow  *row)
{
  TrbInvitation *invitation = g_new0 (TrbInvitation, 1);
  const char *hex = row->id;
  guint8 id[INVITATION_ID_BYTES] = { 0 };
  gsize len = 0;

  if (hex != NULL && sodium_hex2bin (id, sizeof id, hex, strlen (hex), NULL, &len, NULL) == 0 &&
      len == sizeof id)
    invitation->code = format_invitation (self, id);
  else
    invitation->code = g_strdup (hex != NULL ? hex : "");
  invitation->created = row->created;
  invitation->used_by = g_strdup (row->address);
  invitation->used = row->used;
  invitation->revoked = row->revoked;
  return invitation;
}


/* What is known of the invitation @id: never %NULL but on a storage error. */
static TrbInvitation *
load_invitation (TrbJoinPolicy  *self,
                 const char     *id,
                 GError        **error)
{
  g_autoptr(TrbNodeInvitationRow) row = NULL;
  TrbInvitation *invitation;

  if (!trb_node_db_load_invitation (self->store, id, &row, error))
    return NULL;
  if (row != NULL)
    invitation = invitation_from_row (self, row);
  else
    {
      guint8 bytes[INVITATION_ID_BYTES] = { 0 };

      invitation = g_new0 (TrbInvitation, 1);
      sodium_hex2bin (bytes, sizeof bytes, id, strlen (id), NULL, NULL, NULL);
      invitation->code = format_invitation (self, bytes);
    }
  return invitation;
}

static gboolean
record_use (TrbJoinPolicy  *self,
            const char     *id,
            const char     *address,
            GError        **error)
{
  return trb_node_db_record_invitation_use (self->store, id, address,
                                            g_get_real_time () / G_USEC_PER_SEC, error);
}

/**
 * trb_join_policy_list_invitations:
 * @self: a policy
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type TrbInvitation): every invitation made, used or
 *   revoked, oldest first; or %NULL on a storage error
 */
GPtrArray *
trb_join_policy_list_invitations (TrbJoinPolicy  *self,
                                  GError        **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) list = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  rows = trb_node_db_list_invitations (self->store, error);
  if (rows == NULL)
    return NULL;
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_invitation_free);
  for (guint i = 0; i < rows->len; i++)
    g_ptr_array_add (list, invitation_from_row (self, g_ptr_array_index (rows, i)));
  return g_steal_pointer (&list);
}

/**
 * trb_join_policy_revoke_invitation:
 * @self: a policy
 * @code: an invitation code of this network, as a person may type it
 * @already: (out) (optional): whether it was revoked before
 * @error: return location for an error
 *
 * Revokes @code: from the next join on, it admits no one (`invitation-revoked`), whether the
 * node runs or not. Revoking it again changes nothing. A wallet that already joined with it
 * stays a member: a join is in the ledger, and revoking does not undo it.
 *
 * Returns: (transfer full): the invitation as it now is, or %NULL if @code is not a code of
 *   this network (%G_IO_ERROR_INVALID_ARGUMENT) or on a storage error
 */
TrbInvitation *
trb_join_policy_revoke_invitation (TrbJoinPolicy  *self,
                                   const char     *code,
                                   gboolean       *already,
                                   GError        **error)
{
  guint8 bytes[INVITATION_BYTES];
  g_autofree char *id = NULL;
  g_autoptr(TrbInvitation) before = NULL;

  g_return_val_if_fail (self != NULL && code != NULL, NULL);

  if (!check_invitation (self, code, bytes))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an invitation code of this network. Check that it was copied "
                     "whole."), code);
      return NULL;
    }
  id = id_to_hex (bytes);
  if (!trb_node_db_begin_store (self->store, error))
    return NULL;
  before = load_invitation (self, id, error);
  if (before == NULL ||
      (before->revoked == 0 &&
       !trb_node_db_revoke_join_code (self->store, id, g_get_real_time () / G_USEC_PER_SEC,
                                      error)) ||
      !trb_node_db_commit_store (self->store, error))
    {
      trb_node_db_rollback_store (self->store);
      return NULL;
    }
  if (already != NULL)
    *already = before->revoked != 0;
  return load_invitation (self, id, error);
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
  g_autofree char *id = NULL;
  g_autoptr(TrbInvitation) invitation = NULL;

  if (code == NULL || *code == '\0')
    {
      *refusal = &invitation_required;
      return FALSE;
    }
  if (!check_invitation (self, code, bytes))
    {
      *refusal = &invitation_refused;
      return FALSE;
    }

  id = id_to_hex (bytes);
  invitation = load_invitation (self, id, error);
  if (invitation == NULL)
    return FALSE;
  /* The same wallet again (a join whose answer was lost) is still welcome. */
  if (g_strcmp0 (invitation->used_by, address) == 0)
    return TRUE;
  if (invitation->revoked != 0)
    {
      *refusal = &invitation_revoked;
      return FALSE;
    }
  if (invitation->used_by != NULL)
    {
      *refusal = &invitation_used;
      return FALSE;
    }
  return record_use (self, id, address, error);
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
  g_autofree char *uri = trb_problem_uri (problem->type);
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
    {
      reply_problem (msg, &no_work);
      return;
    }
  if (!valid_address (address))
    {
      reply_problem (msg, &bad_address);
      return;
    }

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
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
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
