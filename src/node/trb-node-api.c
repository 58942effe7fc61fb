/* trb-node-api.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The request handlers of docs/protocol.md and the event stream.
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node-api.h"

#include <json-glib/json-glib.h>
#include <sodium.h>
#include <string.h>

#include "ledger/trb-checkpoint.h"
#include "ledger/trb-ledger-entry.h"
#include "ledger/trb-merkle-log.h"
#include "ledger/trb-note-signer.h"
#include "net/trb-client.h"
#include "net/trb-http-signature.h"
#include "trb-json.h"

#include "trb-node-db.h"
#include "trb-node-connections.h"
#include "trb-node-http.h"
#include "trb-node-join-policy.h"
#include "trb-node-private.h"
#include "trb-node-receipt.h"
#include "trb-node-rounds.h"
#include "trb-node-upload.h"

static void
handle_network (TrbNode           *self,
                SoupServerMessage *msg)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  GHashTableIter iter;
  gpointer key;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "protocol");
  json_builder_add_int_value (b, TRB_PROTOCOL_VERSION);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, self->name);
  json_builder_set_member_name (b, "origin");
  json_builder_add_string_value (b, self->origin);
  json_builder_set_member_name (b, "ledger_key");
  json_builder_add_string_value (b, self->ledger_key);
  json_builder_set_member_name (b, "tasks");
  json_builder_begin_array (b);
  g_hash_table_iter_init (&iter, self->tasks);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    json_builder_add_string_value (b, key);
  json_builder_end_array (b);
  trb_join_policy_describe (self->join_policy, b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  trb_node_reply_json (msg, SOUP_STATUS_OK, node);
}

static void
handle_join (TrbNode           *self,
             SoupServerMessage *msg,
             GBytes            *body)
{
  g_autofree char *nonce = NULL;
  g_autofree char *address = trb_node_verify_request (self, msg, body, &nonce);
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  const char *display_name;
  gboolean is_new = FALSE;
  gboolean joined = FALSE;
  guint64 index = 0;

  if (address == NULL)
    return;
  request = trb_node_parse_json_body (msg, body);
  if (request == NULL)
    return;
  display_name = trb_json_get_string (request, "display_name", "");
  if (g_utf8_strlen (display_name, -1) > 64 || !g_utf8_validate (display_name, -1, NULL))
    {
      trb_node_reply_problem (msg, SOUP_STATUS_BAD_REQUEST, TRB_PROBLEM_BAD_REQUEST,
                              "The display name is too long", NULL);
      return;
    }

  if (!trb_node_db_begin (self, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  if (!trb_node_db_find_participant (self, address, &joined, &index, &error))
    goto fail;
  if (!joined)
    {
      gint64 now = g_get_real_time () / G_USEC_PER_SEC;
      gsize len = 0;
      const TrbJoinRefusal *refusal = NULL;
      char *entry;

      if (!trb_join_policy_admit (self->join_policy, address, request, &refusal, &error))
        {
          if (refusal == NULL)
            goto fail;
          trb_node_db_rollback (self);
          trb_node_reply_problem (msg, refusal->status, refusal->type, refusal->title,
                                  refusal->detail);
          return;
        }
      entry = trb_ledger_entry_build_participant_joined (address, now, &len, &error);

      if (!trb_node_db_append_entry (self, entry, len, &index, &error) ||
          !trb_node_db_add_participant (self, address, display_name, now, index, &error))
        goto fail;
      is_new = TRUE;
    }
  if (!trb_node_db_record_nonce (self, nonce, &error) || !trb_node_db_commit (self, &error))
    goto fail;

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "address");
  json_builder_add_string_value (b, address);
  json_builder_set_member_name (b, "leaf_index");
  json_builder_add_int_value (b, index);
  json_builder_set_member_name (b, "new");
  json_builder_add_boolean_value (b, is_new);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  trb_node_reply_json (msg, SOUP_STATUS_OK, node);
  return;

fail:
  trb_node_db_rollback (self);
  trb_node_reply_internal (msg, error);
}

static void
handle_task (TrbNode           *self,
             SoupServerMessage *msg,
             Task              *task)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, task->public_json,
                                    strlen (task->public_json));
}

/* The round, and with `?participant=A` whether it asks A: what a participant needs to know
 * before it trains, in a few hundred bytes however many have joined. */
static void
handle_round (TrbNode           *self,
              SoupServerMessage *msg,
              Task              *task,
              GHashTable        *query)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  const char *participant = query != NULL ? g_hash_table_lookup (query, "participant") : NULL;
  const char *cutoff = trb_node_round_cutoff (task);
  gboolean joined = FALSE;
  guint64 joined_index = 0;

  if (participant != NULL && cutoff != NULL &&
      !trb_node_db_find_participant (self, participant, &joined, &joined_index, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, task->id);
  json_builder_set_member_name (b, "round");
  json_builder_add_int_value (b, task->round);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, trb_node_round_state_names[task->state]);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, task->model_hash);
  json_builder_set_member_name (b, "deadline");
  json_builder_add_int_value (b, task->deadline);
  json_builder_set_member_name (b, "min_updates");
  json_builder_add_int_value (b, task->min_updates);
  json_builder_set_member_name (b, "max_updates");
  json_builder_add_int_value (b, task->max_updates);
  json_builder_set_member_name (b, "updates");
  json_builder_add_int_value (b, task->n_updates);
  json_builder_set_member_name (b, "fraction");
  json_builder_add_double_value (b, task->fraction);
  if (cutoff != NULL)
    {
      json_builder_set_member_name (b, "selection");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "participants");
      json_builder_add_int_value (b, task->n_asked);
      json_builder_set_member_name (b, "cutoff");
      json_builder_add_string_value (b, cutoff);
      if (participant != NULL)
        {
          json_builder_set_member_name (b, "asked");
          json_builder_add_boolean_value (b, joined &&
                                          trb_node_round_asks (task, participant, joined_index));
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  trb_node_reply_json (msg, SOUP_STATUS_OK, node);
}

static char *
receipt_text (const char *update,
              const char *task,
              gint64      round,
              const char *participant,
              gint64      leaf_index)
{
  return g_strdup_printf ("tributary-receipt/v1\n%s\n%s\n%" G_GINT64_FORMAT "\n%s\n%"
                          G_GINT64_FORMAT "\n", update, task, round, participant, leaf_index);
}

void
trb_node_reply_receipt (TrbNode           *self,
                        SoupServerMessage *msg,
                        const char        *update,
                        Task              *task,
                        gint64             round,
                        const char        *participant,
                        gint64             leaf_index)
{
  g_autofree char *text = receipt_text (update, task->id, round, participant, leaf_index);
  g_autofree char *sig_b64 = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  guint8 sig[crypto_sign_BYTES];

  crypto_sign_detached (sig, NULL, (const guint8 *)text, strlen (text), self->secret_key);
  sig_b64 = g_base64_encode (sig, sizeof sig);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "update");
  json_builder_add_string_value (b, update);
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, task->id);
  json_builder_set_member_name (b, "round");
  json_builder_add_int_value (b, round);
  json_builder_set_member_name (b, "participant");
  json_builder_add_string_value (b, participant);
  json_builder_set_member_name (b, "leaf_index");
  json_builder_add_int_value (b, leaf_index);
  json_builder_set_member_name (b, "signature");
  json_builder_add_string_value (b, sig_b64);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  trb_node_reply_json (msg, SOUP_STATUS_OK, node);
}

/* A participant that lost the reply to its upload asks for its receipt again, signed as the
 * upload was; the same trb_node_reply_receipt() makes it, so it is the same bytes. */
static void
handle_receipt (TrbNode           *self,
                SoupServerMessage *msg,
                Task              *task,
                const char        *round_text,
                const char        *update)
{
  g_autofree char *nonce = NULL;
  g_autofree char *address = trb_node_verify_request (self, msg, NULL, &nonce);
  g_autoptr(GError) error = NULL;
  gboolean found = FALSE;
  guint64 round = 0;
  gint64 index = 0;

  if (address == NULL)
    return;
  /* Nothing changes, but the nonce is kept on disk as a POST's is: without it, the same signed
   * request replayed after a restart, still inside its time window, would be answered again. */
  if (!trb_node_db_record_nonce (self, nonce, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  if (g_ascii_string_to_unsigned (round_text, 10, 1, G_MAXINT64, &round, NULL) &&
      !trb_node_receipt_find (self, task->id, round, address, update, &found, &index, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  if (!found)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_NOT_FOUND, TRB_PROBLEM_NOT_FOUND,
                              "You sent no such update in this round", NULL);
      return;
    }
  trb_node_reply_receipt (self, msg, update, task, round, address, index);
}

/* GET /v1/tasks/<id>/rounds/<n>/updates: the accepted updates of a closed round of a task that
 * publishes them, in the order the aggregation read them (their ledger order), each with its
 * participant and the ledger index of its `update` entry. The files are served as blobs. */
static void
handle_published_updates (TrbNode           *self,
                          SoupServerMessage *msg,
                          Task              *task,
                          const char        *round_text)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  guint64 round = 0;

  if (!task->publish_updates)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_NOT_FOUND, TRB_PROBLEM_NOT_FOUND,
                              "This task does not publish its updates", NULL);
      return;
    }
  if (!g_ascii_string_to_unsigned (round_text, 10, 1, G_MAXINT64, &round, NULL) ||
      (gint64) round >= task->round)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_NOT_FOUND, TRB_PROBLEM_NOT_FOUND,
                              "This round is not closed", NULL);
      return;
    }
  rows = trb_node_db_list_updates (self, task->id, (gint64) round, FALSE, &error);
  if (rows == NULL)
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, task->id);
  json_builder_set_member_name (b, "round");
  json_builder_add_int_value (b, (gint64) round);
  json_builder_set_member_name (b, "updates");
  json_builder_begin_array (b);
  /* A round accepts at most max_updates; the bound holds even if the task changed since. */
  for (guint i = 0; i < rows->len && i < TRB_PROTOCOL_MAX_PUBLISHED_UPDATES; i++)
    {
      TrbNodeUpdateRow *row = g_ptr_array_index (rows, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "update");
      json_builder_add_string_value (b, row->hash);
      json_builder_set_member_name (b, "participant");
      json_builder_add_string_value (b, row->participant);
      json_builder_set_member_name (b, "leaf_index");
      json_builder_add_int_value (b, (gint64) row->leaf_index);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  trb_node_reply_json (msg, SOUP_STATUS_OK, node);
}

static void
handle_blob (TrbNode           *self,
             SoupServerMessage *msg,
             const char        *hash)
{
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  gsize len;
  const guint8 *data;

  if (strlen (hash) == 64 && strspn (hash, "0123456789abcdef") == 64 &&
      !trb_node_db_load_blob (self, hash, &blob, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  /* An accepted update of a closed round, when its task publishes its updates: served from
   * where the update is stored, never copied. */
  if (blob == NULL && strlen (hash) == 64 && strspn (hash, "0123456789abcdef") == 64 &&
      !trb_node_db_load_published_update (self, hash, &blob, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  if (blob == NULL)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_NOT_FOUND, TRB_PROBLEM_NOT_FOUND,
                              "There is no such file on this network", NULL);
      return;
    }
  data = g_bytes_get_data (blob, &len);
  soup_message_headers_replace (response_headers, "Cache-Control", "public, max-age=31536000, "
                                "immutable");
  /* Ranges (RFC 9110, section 14): SoupServer answers a Range request on a complete 200
   * response itself, with 206 and the parts asked for, or 416. */
  soup_message_headers_replace (response_headers, "Accept-Ranges", "bytes");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/vnd.safetensors", SOUP_MEMORY_COPY,
                                    (const char *) data, len);
}

static char *
current_checkpoint (TrbNode  *self,
                    guint64  *size_out,
                    GError  **error)
{
  g_autoptr(TrbCheckpoint) checkpoint = NULL;
  g_autofree char *note = NULL;
  GString *out;
  guint8 root[TRB_MERKLE_HASH_SIZE];
  guint64 size;

  if (!trb_merkle_log_get_size (self->log, &size, error))
    return NULL;

  if (!trb_node_db_load_checkpoint (self, size, &note, error))
    return NULL;
  if (note == NULL)
    {
      if (!trb_merkle_log_get_root (self->log, size, root, error))
        return NULL;
      checkpoint = trb_checkpoint_new (self->origin, size, root, NULL, error);
      if (checkpoint == NULL)
        return NULL;
      note = trb_checkpoint_sign (checkpoint, self->signer, error);
      if (note == NULL || !trb_node_db_add_checkpoint (self, size, note, error))
        return NULL;
    }

  /* The participants' cosignatures for this size follow the node's own signature. */
  out = g_string_new (note);
  if (!trb_node_db_append_cosignatures (self, size, TRB_PROTOCOL_MAX_COSIGNATURES, out, error))
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  if (size_out != NULL)
    *size_out = size;
  return g_string_free (out, FALSE);
}

static void
handle_checkpoint (TrbNode           *self,
                   SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *note = current_checkpoint (self, NULL, &error);

  if (note == NULL)
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, note,
                                    strlen (note));
}

static gboolean
query_uint (GHashTable *query,
            const char *name,
            guint64    *out)
{
  const char *text = query != NULL ? g_hash_table_lookup (query, name) : NULL;

  return text != NULL && g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, out, NULL);
}

static void
handle_entries (TrbNode           *self,
                SoupServerMessage *msg,
                GHashTable        *query)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  guint64 start, end, size;

  if (!query_uint (query, "start", &start) || !query_uint (query, "end", &end) || end <= start)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_BAD_REQUEST, TRB_PROBLEM_BAD_REQUEST,
                              "Give start and end, with start before end", NULL);
      return;
    }
  if (!trb_merkle_log_get_size (self->log, &size, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  end = MIN (MIN (end, size), start + TRB_PROTOCOL_LEDGER_PAGE);
  if (start >= size)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_NOT_FOUND, TRB_PROBLEM_NOT_FOUND,
                              "The ledger has no such entry", NULL);
      return;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "start");
  json_builder_add_int_value (b, start);
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  for (guint64 i = start; i < end; i++)
    {
      g_autoptr(GBytes) entry = trb_merkle_log_get_entry (self->log, i, &error);
      g_autofree char *text = NULL;

      if (entry == NULL)
        {
          trb_node_reply_internal (msg, error);
          return;
        }
      text = g_strndup (g_bytes_get_data (entry, NULL), g_bytes_get_size (entry));
      json_builder_add_string_value (b, text);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  trb_node_reply_json (msg, SOUP_STATUS_OK, node);
}

static void
reply_proof (SoupServerMessage *msg,
             const char        *first_name,
             guint64            first,
             const char        *second_name,
             guint64            second,
             GByteArray        *proof)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, first_name);
  json_builder_add_int_value (b, first);
  json_builder_set_member_name (b, second_name);
  json_builder_add_int_value (b, second);
  json_builder_set_member_name (b, "hashes");
  json_builder_begin_array (b);
  for (guint i = 0; i + TRB_MERKLE_HASH_SIZE <= proof->len; i += TRB_MERKLE_HASH_SIZE)
    {
      g_autofree char *b64 = g_base64_encode (proof->data + i, TRB_MERKLE_HASH_SIZE);

      json_builder_add_string_value (b, b64);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  trb_node_reply_json (msg, SOUP_STATUS_OK, node);
}

static void
handle_inclusion (TrbNode           *self,
                  SoupServerMessage *msg,
                  GHashTable        *query)
{
  g_autoptr(GByteArray) proof = NULL;
  g_autoptr(GError) error = NULL;
  guint64 index, tree_size, size;

  if (!trb_merkle_log_get_size (self->log, &size, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  if (!query_uint (query, "index", &index) || !query_uint (query, "tree_size", &tree_size) ||
      index >= tree_size || tree_size > size)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_BAD_REQUEST, TRB_PROBLEM_BAD_REQUEST,
                              "The index or tree size is not in the ledger", NULL);
      return;
    }
  proof = trb_merkle_log_get_inclusion_proof (self->log, index, tree_size, &error);
  if (proof == NULL)
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  reply_proof (msg, "index", index, "tree_size", tree_size, proof);
}

static void
handle_consistency (TrbNode           *self,
                    SoupServerMessage *msg,
                    GHashTable        *query)
{
  g_autoptr(GByteArray) proof = NULL;
  g_autoptr(GError) error = NULL;
  guint64 first, second, size;

  if (!trb_merkle_log_get_size (self->log, &size, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  if (!query_uint (query, "first", &first) || !query_uint (query, "second", &second) ||
      first < 1 || first > second || second > size)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_BAD_REQUEST, TRB_PROBLEM_BAD_REQUEST,
                              "The tree sizes are not in the ledger", NULL);
      return;
    }
  proof = trb_merkle_log_get_consistency_proof (self->log, first, second, &error);
  if (proof == NULL)
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  reply_proof (msg, "first", first, "second", second, proof);
}

/* Whether @line is a valid cosignature by @address of the checkpoint @note. */
static gboolean
cosignature_verifies (TrbNode     *self,
                      const char  *address,
                      const char  *note,
                      const char  *line,
                      GError     **error)
{
  g_autoptr(TrbNoteVerifier) cosigner = NULL;
  g_autoptr(TrbCheckpoint) checkpoint = NULL;
  g_autofree char *combined = g_strconcat (note, line, NULL);
  guint8 public_key[32];

  trb_address_to_public_key (address, public_key);
  cosigner = trb_note_verifier_new (address, TRB_NOTE_KEY_COSIGNATURE, public_key, error);
  if (cosigner == NULL)
    return FALSE;
  checkpoint = trb_checkpoint_open (combined, strlen (combined), self->origin,
                                    trb_note_signer_get_verifier (self->signer), &cosigner, 1,
                                    error);
  return checkpoint != NULL && trb_checkpoint_get_n_cosignatures (checkpoint) >= 1;
}

static void
handle_cosignature (TrbNode           *self,
                    SoupServerMessage *msg,
                    GBytes            *body)
{
  g_autofree char *nonce = NULL;
  g_autofree char *address = trb_node_verify_request (self, msg, body, &nonce);
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *note = NULL;
  g_autofree char *line = NULL;
  const char *text;
  gboolean joined = FALSE;
  gint64 tree_size;
  gint64 count = 0;

  if (address == NULL)
    return;
  if (!trb_node_db_is_joined (self, address, &joined, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  if (!joined)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_FORBIDDEN, TRB_PROBLEM_NOT_JOINED,
                              "Join the network first", NULL);
      return;
    }
  request = trb_node_parse_json_body (msg, body);
  if (request == NULL)
    return;
  tree_size = json_object_get_int_member_with_default (request, "tree_size", -1);
  text = trb_json_get_string (request, "cosignature", NULL);
  if (tree_size < 1 || text == NULL || strlen (text) > TRB_PROTOCOL_MAX_COSIGNATURE_LINE ||
      strchr (text, '\n') != NULL)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_BAD_REQUEST, TRB_PROBLEM_BAD_REQUEST,
                              "Give a tree size and one cosignature line", NULL);
      return;
    }

  if (!trb_node_db_load_checkpoint (self, tree_size, &note, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  if (note == NULL)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_NOT_FOUND, TRB_PROBLEM_NOT_FOUND,
                              "The node never signed a checkpoint of that size", NULL);
      return;
    }
  line = g_strconcat (text, "\n", NULL);
  if (!cosignature_verifies (self, address, note, line, &error))
    {
      trb_node_reply_problem (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "bad-cosignature",
                              "The cosignature does not verify",
                              error != NULL ? error->message : NULL);
      return;
    }

  /* A checkpoint carries a bounded number of cosignatures: one past it is refused, never
   * acknowledged and then left out. */
  if (!trb_node_db_count_cosignatures (self, tree_size, address, &count, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  if (count >= TRB_PROTOCOL_MAX_COSIGNATURES)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_CONFLICT, "cosignatures-full",
                              "This checkpoint has all the cosignatures it can carry",
                              "Cosign a later checkpoint.");
      return;
    }

  if (!trb_node_db_begin (self, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  if (!trb_node_db_save_cosignature (self, tree_size, address, line, &error) ||
      !trb_node_db_record_nonce (self, nonce, &error) || !trb_node_db_commit (self, &error))
    {
      trb_node_db_rollback (self);
      trb_node_reply_internal (msg, error);
      return;
    }
  {
    g_autoptr(JsonNode) node = json_from_string ("{\"accepted\":true}", NULL);

    trb_node_reply_json (msg, SOUP_STATUS_OK, node);
  }
}

static void
handle_events_poll (TrbNode           *self,
                    SoupServerMessage *msg,
                    GHashTable        *query)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  guint64 after = 0;

  query_uint (query, "after", &after);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "events");
  json_builder_begin_array (b);
  for (GList *l = self->events.head; l != NULL; l = l->next)
    {
      JsonNode *event = l->data;

      if ((guint64) json_object_get_int_member (json_node_get_object (event), "seq") > after)
        json_builder_add_value (b, json_node_copy (event));
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "next");
  json_builder_add_int_value (b, self->next_event_seq - 1);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  trb_node_reply_json (msg, SOUP_STATUS_OK, node);
}

/* A request split into what the routes below look at. */
typedef struct
{
  TrbNode           *self;
  SoupServerMessage *msg;
  GHashTable        *query;
  GBytes            *body;
  char             **parts;
  guint              n_parts;
  gboolean           is_get;
  gboolean           is_post;
} ApiRequest;

static gboolean
is_route (const ApiRequest *req,
          guint             n_parts,
          const char       *part2,
          const char       *part3)
{
  return req->n_parts == n_parts && g_str_equal (req->parts[2], part2) &&
         (part3 == NULL || g_str_equal (req->parts[3], part3));
}

/* /v1/network, /v1/participants, /v1/events and /v1/blobs. Returns %TRUE when it answered. */
static gboolean
route_network_request (const ApiRequest *req)
{
  TrbNode *self = req->self;

  if (is_route (req, 3, "network", NULL) && req->is_get)
    handle_network (self, req->msg);
  else if (is_route (req, 3, "participants", NULL) && req->is_post)
    handle_join (self, req->msg, req->body);
  else if (is_route (req, 4, "participants", "challenge") && req->is_get)
    trb_join_policy_handle_challenge (self->join_policy, req->msg, req->query);
  else if (is_route (req, 3, "events", NULL) && req->is_get)
    {
      if (!trb_node_maybe_upgrade_events (self, req->msg))
        handle_events_poll (self, req->msg, req->query);
    }
  else if (is_route (req, 4, "blobs", NULL) && req->is_get)
    handle_blob (self, req->msg, req->parts[3]);
  else
    return FALSE;
  return TRUE;
}

/* /v1/tasks/<id>/...: the task, its round, uploads and receipts. Returns %TRUE when it
 * answered. */
static gboolean
route_task_request (const ApiRequest *req)
{
  char **parts = req->parts;
  guint n_parts = req->n_parts;
  Task *task;

  if (n_parts < 4 || !g_str_equal (parts[2], "tasks"))
    return FALSE;

  task = g_hash_table_lookup (req->self->tasks, parts[3]);
  if (task == NULL)
    trb_node_reply_problem (req->msg, SOUP_STATUS_NOT_FOUND, TRB_PROBLEM_UNKNOWN_TASK,
                            "This network has no such task", NULL);
  else if (n_parts == 4 && req->is_get)
    handle_task (req->self, req->msg, task);
  else if (n_parts == 5 && g_str_equal (parts[4], "round") && req->is_get)
    handle_round (req->self, req->msg, task, req->query);
  else if (n_parts == 7 && g_str_equal (parts[4], "rounds") && g_str_equal (parts[6], "updates") &&
           req->is_post)
    {
      guint64 round;

      if (!g_ascii_string_to_unsigned (parts[5], 10, 1, G_MAXINT64, &round, NULL))
        trb_node_reply_problem (req->msg, SOUP_STATUS_CONFLICT, TRB_PROBLEM_WRONG_ROUND,
                                "There is no such round", NULL);
      else
        trb_node_handle_upload (req->self, req->msg, task, round, req->body);
    }
  else if (n_parts == 8 && g_str_equal (parts[4], "rounds") && g_str_equal (parts[6], "updates") &&
           req->is_get)
    handle_receipt (req->self, req->msg, task, parts[5], parts[7]);
  else if (n_parts == 7 && g_str_equal (parts[4], "rounds") && g_str_equal (parts[6], "updates") &&
           req->is_get)
    handle_published_updates (req->self, req->msg, task, parts[5]);
  else
    return FALSE;
  return TRUE;
}

/* /v1/ledger/...: the checkpoint, entries, co-signatures and proofs. Returns %TRUE when it
 * answered. */
static gboolean
route_ledger_request (const ApiRequest *req)
{
  TrbNode *self = req->self;

  if (is_route (req, 4, "ledger", "checkpoint") && req->is_get)
    handle_checkpoint (self, req->msg);
  else if (is_route (req, 4, "ledger", "entries") && req->is_get)
    handle_entries (self, req->msg, req->query);
  else if (is_route (req, 4, "ledger", "cosignatures") && req->is_post)
    handle_cosignature (self, req->msg, req->body);
  else if (is_route (req, 5, "ledger", "proof") && req->is_get &&
           g_str_equal (req->parts[4], "inclusion"))
    handle_inclusion (self, req->msg, req->query);
  else if (is_route (req, 5, "ledger", "proof") && req->is_get &&
           g_str_equal (req->parts[4], "consistency"))
    handle_consistency (self, req->msg, req->query);
  else
    return FALSE;
  return TRUE;
}

void
trb_node_handle_request_cb (SoupServer        *server,
                            SoupServerMessage *msg,
                            const char        *path,
                            GHashTable        *query,
                            gpointer           user_data)
{
  const char *method = soup_server_message_get_method (msg);
  g_auto(GStrv) parts = NULL;
  g_autoptr(GBytes) body = NULL;
  ApiRequest req;

  /* The early handler may already have refused the request. */
  if (soup_server_message_get_status (msg) != 0)
    return;

  if (g_str_equal (method, "POST"))
    body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  parts = g_strsplit (path, "/", 8);
  req = (ApiRequest) {
    .self = user_data,
    .msg = msg,
    .query = query,
    .body = body,
    .parts = parts,
    .n_parts = g_strv_length (parts),
    .is_get = g_str_equal (method, "GET") || g_str_equal (method, "HEAD"),
    .is_post = g_str_equal (method, "POST"),
  };

  if (req.n_parts >= 3 && g_str_equal (parts[0], "") && g_str_equal (parts[1], "v1") &&
      (route_network_request (&req) || route_task_request (&req) || route_ledger_request (&req)))
    return;

  trb_node_reply_problem (msg, SOUP_STATUS_NOT_FOUND, TRB_PROBLEM_NOT_FOUND,
                          "There is nothing at this address", NULL);
}

static void
websocket_closed_cb (SoupWebsocketConnection *ws,
                     gpointer                 user_data)
{
  TrbNode *self = user_data;

  g_ptr_array_remove (self->sockets, ws);
}

static const char *event_protocols[] = { "tributary.events.v1", NULL };

/* After the 101 answer is written, the connection becomes the event WebSocket. */
static void
websocket_upgraded_cb (SoupServerMessage *msg,
                       gpointer           user_data)
{
  TrbNode *self = user_data;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  g_autoptr(GIOStream) stream = NULL;
  SoupWebsocketConnection *ws;

  if (soup_server_message_get_status (msg) != SOUP_STATUS_SWITCHING_PROTOCOLS)
    return;
  /* The WebSocket keeps itself alive with pings: not a connection waiting for a request. */
  trb_node_connection_keep_open (self, msg);
  stream = soup_server_message_steal_connection (msg);
  ws = soup_websocket_connection_new (stream, soup_server_message_get_uri (msg),
                                      SOUP_WEBSOCKET_CONNECTION_SERVER,
                                      soup_message_headers_get_one (request, "Origin"),
                                      soup_message_headers_get_one (response,
                                                                    "Sec-WebSocket-Protocol"),
                                      NULL);
  soup_websocket_connection_set_max_incoming_payload_size (ws, 4096);
  soup_websocket_connection_set_keepalive_interval (ws, 30);
  g_ptr_array_add (self->sockets, ws);
  g_signal_connect_object (ws, "closed", G_CALLBACK (websocket_closed_cb), self, 0);
}

/* GET /v1/events is a WebSocket when the request asks for one, else the polling fallback; the
 * handshake is done here because libsoup's own WebSocket handler refuses plain requests. */
gboolean
trb_node_maybe_upgrade_events (TrbNode           *self,
                               SoupServerMessage *msg)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);

  if (!soup_message_headers_header_contains (request, "Upgrade", "websocket"))
    return FALSE;
  if (self->sockets->len >= 1000)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "internal",
                              "Too many event streams are open", "Poll instead.");
      return TRUE;
    }
  if (!soup_websocket_server_check_handshake (msg, NULL, (char **) event_protocols, NULL, NULL))
    {
      trb_node_reply_problem (msg, SOUP_STATUS_BAD_REQUEST, TRB_PROBLEM_BAD_REQUEST,
                              "The WebSocket handshake is not valid", NULL);
      return TRUE;
    }
  soup_websocket_server_process_handshake (msg, NULL, (char **) event_protocols, NULL, NULL);
  g_signal_connect_object (msg, "wrote-informational", G_CALLBACK (websocket_upgraded_cb), self,
                           0);
  return TRUE;
}
