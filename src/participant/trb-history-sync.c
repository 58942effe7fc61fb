/* trb-history-sync.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A History sync: the ledger's checkpoint fetched and accepted (signed with the pinned key,
 * consistent with the last one), the entries not read yet fetched and verified against it, the
 * tasks they name, the cosigners recorded and the checkpoint witnessed; blocking in a worker
 * thread, with trb_history_sync_async() emitting its signals before it completes.
 */

#define G_LOG_DOMAIN "trb-history"

#include "config.h"

#include "trb-history-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "net/trb-recompute.h"

static GBytes *
fetch_proof (TrbClient     *client,
             gboolean       inclusion,
             guint64        a,
             guint64        b,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(JsonObject) proof = NULL;

  if (inclusion)
    proof = trb_client_get_inclusion_proof_sync (client, a, b, cancellable, error);
  else
    proof = trb_client_get_consistency_proof_sync (client, a, b, cancellable, error);
  if (proof == NULL)
    return NULL;
  return trb_client_proof_from_json (proof, error);
}

static JsonArray *
fetch_entries (TrbClient     *client,
               guint64        start,
               guint64        end,
               GCancellable  *cancellable,
               JsonObject   **page_out,
               GError       **error)
{
  g_autoptr(JsonObject) page = NULL;
  JsonNode *entries;

  page = trb_client_get_entries_sync (client, start, end, cancellable, error);
  if (page == NULL)
    return NULL;
  entries = json_object_get_member (page, "entries");
  if (entries == NULL || !JSON_NODE_HOLDS_ARRAY (entries) ||
      json_object_get_int_member_with_default (page, "start", -1) != (gint64) start ||
      json_array_get_length (json_node_get_array (entries)) == 0 ||
      json_array_get_length (json_node_get_array (entries)) > end - start)
    {
      g_set_error_literal (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_PROTOCOL,
                           _("The network sent an unreadable page of its ledger."));
      return NULL;
    }
  *page_out = g_steal_pointer (&page);
  return json_node_get_array (entries);
}

/* The bytes of a proof: never %NULL, so that an empty proof still counts as one given. */
static const guint8 *
empty_or_data (GBytes *bytes)
{
  static const guint8 nothing[1];
  const guint8 *data = g_bytes_get_data (bytes, NULL);

  return data != NULL ? data : nothing;
}

/* The ledger key the network names now, or %NULL when it does not answer. */
static char *
fetch_ledger_key (TrbClient    *client,
                  GCancellable *cancellable)
{
  g_autoptr(JsonObject) network = NULL;
  const char *key;

  network = trb_client_get_network_sync (client, cancellable, NULL);
  key = network != NULL ? trb_json_get_string (network, "ledger_key", NULL) : NULL;
  return key != NULL && strlen (key) < 1024 ? g_strdup (key) : NULL;
}

static gboolean
is_tampering (const GError *error)
{
  return g_error_matches (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INCONSISTENT) ||
         g_error_matches (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY) ||
         g_error_matches (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_BAD_PROOF) ||
         g_error_matches (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_WRONG_ORIGIN);
}

static guint
count_cosigners (const char *note,
                 const char *origin)
{
  g_autoptr(TrbNote) parsed = trb_note_parse (note, strlen (note), NULL);
  guint n = 0;

  if (parsed == NULL)
    return 0;
  for (guint i = 0; i < trb_note_get_n_signatures (parsed); i++)
    if (g_strcmp0 (trb_note_get_signature_name (parsed, i), origin) != 0)
      n++;
  return n;
}

static gboolean
wanted (TrbLedgerEntry *entry,
        const char     *address)
{
  switch (trb_ledger_entry_get_entry_type (entry))
    {
    case TRB_LEDGER_ENTRY_ROUND_OPENED:
    case TRB_LEDGER_ENTRY_ROUND_CLOSED:
      return TRUE;
    case TRB_LEDGER_ENTRY_PARTICIPANT_JOINED:
    case TRB_LEDGER_ENTRY_UPDATE_ACCEPTED:
    case TRB_LEDGER_ENTRY_REWARD:
      return address != NULL && g_strcmp0 (trb_ledger_entry_get_participant (entry), address) == 0;
    default:
      return FALSE;
    }
}

/* What History keeps of @entry, served at @index as @text; it points into both. */
static TrbStoreHistoryNewEntry
new_entry (guint64         index,
           const char     *text,
           TrbLedgerEntry *entry)
{
  TrbLedgerEntryType type = trb_ledger_entry_get_entry_type (entry);
  TrbStoreHistoryNewEntry row = {
    .leaf_index = index,
    .type = trb_ledger_entry_type_to_string (type),
    .data = text,
    .time = trb_ledger_entry_get_time (entry),
  };

  if (type != TRB_LEDGER_ENTRY_PARTICIPANT_JOINED)
    {
      row.task = trb_ledger_entry_get_task (entry);
      row.round = trb_ledger_entry_get_round (entry);
    }
  if (type == TRB_LEDGER_ENTRY_PARTICIPANT_JOINED || type == TRB_LEDGER_ENTRY_UPDATE_ACCEPTED ||
      type == TRB_LEDGER_ENTRY_REWARD)
    row.participant = trb_ledger_entry_get_participant (entry);
  return row;
}

/* Keeps the wanted entries of a page of the ledger that starts at @first, in one write. */
static gboolean
save_page (TrbHistory  *self,
           Network     *network,
           JsonArray   *array,
           guint64      first,
           GError     **error)
{
  g_autoptr(GPtrArray) parsed = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (TrbStoreHistoryNewEntry));

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      const char *text = json_array_get_string_element (array, i);
      TrbLedgerEntry *entry;
      TrbStoreHistoryNewEntry row;

      if (text == NULL)
        continue;
      entry = trb_ledger_entry_parse (text, strlen (text), NULL);
      if (entry == NULL)
        continue;
      g_ptr_array_add (parsed, entry);
      if (!wanted (entry, network->address))
        continue;
      row = new_entry (first + i, text, entry);
      g_array_append_val (rows, row);
    }
  return trb_store_history_save_entries (self->store, network->origin,
                                         (TrbStoreHistoryNewEntry *) (void *) rows->data,
                                         rows->len, error);
}

static gboolean
fetch_new_entries (TrbHistory    *self,
                   TrbClient     *client,
                   Network       *network,
                   guint64        from,
                   guint64        size,
                   GCancellable  *cancellable,
                   GError       **error)
{
  guint64 next = from;

  while (next < size)
    {
      g_autoptr(JsonObject) page = NULL;
      guint64 end = MIN (size, next + TRB_HISTORY_PAGE_SIZE);
      JsonArray *array = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
          (array = fetch_entries (client, next, end, cancellable, &page, error)) == NULL)
        return FALSE;
      if (!save_page (self, network, array, next, error))
        return FALSE;
      next += json_array_get_length (array);
    }
  return TRUE;
}

/* Every entry kept and not yet verified is fetched again and checked against the checkpoint of
 * @size; one whose bytes are not those of the tree stays unverified and never counts. */
static gboolean
verify_entries (TrbHistory        *self,
                TrbClient         *client,
                TrbLedgerHistory  *ledger,
                Network           *network,
                guint64            size,
                GCancellable      *cancellable,
                GError           **error)
{
  g_autoptr(GArray) indices = NULL;

  indices = trb_store_history_list_unverified (self->store, network->origin, size, error);
  if (indices == NULL)
    return FALSE;

  for (guint i = 0; i < indices->len; i++)
    {
      guint64 index = g_array_index (indices, guint64, i);
      g_autoptr(JsonObject) page = NULL;
      g_autoptr(GBytes) proof = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autoptr(TrbLedgerEntry) entry = NULL;
      TrbStoreHistoryNewEntry row;
      JsonArray *array = NULL;
      const char *text;
      gboolean ok;

      if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
          (array = fetch_entries (client, index, index + 1, cancellable, &page, error)) == NULL)
        return FALSE;
      text = json_array_get_string_element (array, 0);
      entry = text != NULL ? trb_ledger_entry_parse (text, strlen (text), NULL) : NULL;
      if (entry == NULL)
        continue;
      row = new_entry (index, text, entry);
      if (!trb_store_history_save_entries (self->store, network->origin, &row, 1, error))
        return FALSE;
      proof = fetch_proof (client, TRUE, index, size, cancellable, error);
      if (proof == NULL)
        return FALSE;
      ok = trb_ledger_history_verify_inclusion (ledger, text, strlen (text), index, size,
                                                g_bytes_get_data (proof, NULL),
                                                g_bytes_get_size (proof) / TRB_MERKLE_HASH_SIZE,
                                                &local_error);

      if (ok ? !trb_store_history_mark_verified (self->store, network->origin, index, size,
                                                 error)
             : !trb_store_history_mark_unverified (self->store, network->origin, index,
                                                   _("Not in the verified ledger: the network "
                                                     "showed an entry that its signed "
                                                     "checkpoint does not contain."), error))
        return FALSE;

      /* Served, but not what the signed tree holds there: an entry changed after it was
       * signed. The entry (never counted) and its proof are the evidence; the network stops. */
      if (!ok && g_error_matches (local_error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_BAD_PROOF))
        {
          trb_ledger_history_record_edited_entry (ledger, text, strlen (text), index, size,
                                                  g_bytes_get_data (proof, NULL),
                                                  g_bytes_get_size (proof) /
                                                  TRB_MERKLE_HASH_SIZE, NULL);
          return trb_history_halt_for_evidence (self, network->origin, error);
        }
    }
  return TRUE;
}

static gboolean
fetch_tasks (TrbHistory    *self,
             TrbClient     *client,
             Network       *network,
             GCancellable  *cancellable,
             GError       **error)
{
  g_auto(GStrv) tasks = trb_store_history_list_entry_tasks (self->store, network->origin, error);

  if (tasks == NULL)
    return FALSE;
  for (guint i = 0; tasks[i] != NULL; i++)
    {
      g_autoptr(JsonObject) task = NULL;
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *json = NULL;

      task = trb_client_get_task_sync (client, tasks[i], cancellable, error);
      if (task == NULL)
        return FALSE;
      node = json_node_init_object (json_node_alloc (), task);
      json = json_to_string (node, FALSE);
      if (!trb_store_history_save_task (self->store, network->origin, tasks[i], json, error))
        return FALSE;
    }
  return TRUE;
}

/* Cosigns the checkpoint of @size once. Only a failure of the local store is an error. */
static gboolean
witness (TrbHistory    *self,
         TrbClient     *client,
         Network       *network,
         const char    *note,
         guint64        size,
         GCancellable  *cancellable,
         GError       **error)
{
  g_autoptr(TrbNoteSigner) cosigner = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *line = NULL;
  guint64 witnessed;

  if (!trb_store_history_get_witnessed_size (self->store, network->origin, &witnessed, error))
    return FALSE;
  if (witnessed >= size)
    return TRUE;
  cosigner = trb_client_make_cosigner (client, &local_error);
  if (cosigner != NULL)
    line = trb_checkpoint_cosign (note, strlen (note), cosigner,
                                  g_get_real_time () / G_USEC_PER_SEC, &local_error);
  if (line != NULL)
    answer = trb_client_post_cosignature_sync (client, size, line, cancellable, &local_error);
  /* Witnessing helps others; the network failing at it must not stop this computer's own
   * history. */
  if (answer == NULL)
    {
      g_debug ("Could not cosign checkpoint %" G_GUINT64_FORMAT ": %s", size,
               local_error != NULL ? local_error->message : "");
      return TRUE;
    }
  return trb_store_history_set_witnessed_size (self->store, network->origin, size, error);
}

/* The entry at @index, checked to be in the verified tree of @size: %NULL with
 * %TRB_CLIENT_ERROR_TAMPERED when it is not. */
static TrbLedgerEntry *
fetch_verified_entry (TrbClient         *client,
                      TrbLedgerHistory  *ledger,
                      guint64            index,
                      guint64            size,
                      GCancellable      *cancellable,
                      GError           **error)
{
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(GBytes) proof = NULL;
  JsonArray *array;
  const char *text;

  if (index >= size)
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED,
                           _("The network named an entry that its ledger does not hold."));
      return NULL;
    }
  array = fetch_entries (client, index, index + 1, cancellable, &page, error);
  if (array == NULL)
    return NULL;
  proof = fetch_proof (client, TRUE, index, size, cancellable, error);
  if (proof == NULL)
    return NULL;
  text = json_array_get_string_element (array, 0);
  if (text == NULL ||
      !trb_ledger_history_verify_inclusion (ledger, text, strlen (text), index, size,
                                            g_bytes_get_data (proof, NULL),
                                            g_bytes_get_size (proof) / TRB_MERKLE_HASH_SIZE,
                                            NULL))
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED,
                           _("Not in the verified ledger: the network showed an entry that its "
                             "signed checkpoint does not contain."));
      return NULL;
    }
  return trb_ledger_entry_parse (text, strlen (text), error);
}

static gboolean
set_list_tampered (GError **error)
{
  g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED,
                       _("The network’s list of a round’s updates is not the one its ledger "
                         "names."));
  return FALSE;
}

/* One closed round of a task that publishes its updates, recomputed (docs/protocol.md, 7b):
 * the entries it needs are fetched and each checked against the verified tree of @size; the
 * listed updates must be all of those round_closed names, in ledger order. */
static gboolean
recompute_round (TrbHistory        *self,
                 TrbClient         *client,
                 TrbLedgerHistory  *ledger,
                 Network           *network,
                 JsonObject        *task,
                 guint64            closed_index,
                 TrbLedgerEntry    *closed,
                 guint64            size,
                 GCancellable      *cancellable,
                 GError           **error)
{
  const char *task_id = trb_ledger_entry_get_task (closed);
  gint64 round = trb_ledger_entry_get_round (closed);
  const char * const *named = trb_ledger_entry_get_updates (closed);
  guint n_named = named != NULL ? g_strv_length ((char **) named) : 0;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) indexes = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr(GHashTable) blobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) g_bytes_unref);
  g_autoptr(TrbLedgerEntry) opened = NULL;
  g_autoptr(JsonObject) published = NULL;
  g_autoptr(GBytes) base = NULL;
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autofree char *path = NULL;
  g_autofree char *spec_json = NULL;
  JsonNode *member;
  JsonArray *list;
  TrbRecomputeOutcome outcome;
  guint64 zero = 0;
  guint64 previous = 0;
  gsize max_size;

  member = json_object_get_member (task, "model");
  if (member == NULL || !JSON_NODE_HOLDS_OBJECT (member))
    return TRUE;
  spec_json = json_to_string (member, FALSE);
  spec = trb_model_spec_new_from_json (spec_json, -1, error);
  if (spec == NULL)
    return FALSE;
  /* A model or an update: the parameters as float32 and a header. */
  max_size = trb_model_spec_get_n_parameters (spec) * 4 + 2 * 1024 * 1024;
  if (!trb_history_lookup_round_entry (self, network->origin, "round_opened", task_id, round,
                                       &opened, NULL, error))
    return FALSE;
  /* A round whose start this computer did not keep: not recomputed. */
  if (opened == NULL)
    return TRUE;
  g_ptr_array_add (entries, g_object_ref (opened));
  g_array_append_val (indexes, zero);

  path = g_strdup_printf ("/v1/tasks/%s/rounds/%" G_GINT64_FORMAT "/updates", task_id, round);
  published = trb_client_get_json_sync (client, path, cancellable, error);
  if (published == NULL)
    return FALSE;
  member = json_object_get_member (published, "updates");
  /* None missing, none extra: round_closed names every update of the round. */
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member) ||
      json_array_get_length ((list = json_node_get_array (member))) != n_named)
    return set_list_tampered (error);
  for (guint i = 0; i < n_named; i++)
    {
      JsonNode *element = json_array_get_element (list, i);
      gint64 index = JSON_NODE_HOLDS_OBJECT (element)
                     ? json_object_get_int_member_with_default (json_node_get_object (element),
                                                                "leaf_index", -1)
                     : -1;
      TrbLedgerEntry *entry;
      const char *update;
      GBytes *blob;

      /* Each listed entry in the verified tree, after the one before: ledger order. */
      if (index < 0 || (i > 0 && (guint64) index <= previous))
        return set_list_tampered (error);
      previous = (guint64) index;
      entry = fetch_verified_entry (client, ledger, previous, size, cancellable, error);
      if (entry == NULL)
        return FALSE;
      g_ptr_array_add (entries, entry);
      g_array_append_val (indexes, previous);
      update = trb_ledger_entry_get_update (entry);
      if (update == NULL || !trb_history_strv_has (named, update))
        return set_list_tampered (error);
      blob = trb_client_download_blob_sync (client, update, max_size, cancellable, NULL);
      /* A missing file is said by trb_recompute_round(), as the network's doing. */
      if (blob != NULL)
        g_hash_table_insert (blobs, g_strdup (update), blob);
    }
  g_ptr_array_add (entries, g_object_ref (closed));
  g_array_append_val (indexes, closed_index);
  /* The rewards follow round_closed, one for each update, in the same write. */
  for (guint i = 0; i < n_named; i++)
    {
      guint64 index = closed_index + 1 + i;
      TrbLedgerEntry *entry = fetch_verified_entry (client, ledger, index, size, cancellable,
                                                    error);

      if (entry == NULL)
        return FALSE;
      g_ptr_array_add (entries, entry);
      g_array_append_val (indexes, index);
    }

  base = trb_client_download_blob_sync (client, trb_ledger_entry_get_model (opened), max_size,
                                        cancellable, error);
  if (base == NULL)
    return FALSE;
  if (!trb_recompute_round (task, round, entries, indexes, base, published, blobs, &outcome,
                            error))
    return FALSE;
  if (outcome != TRB_RECOMPUTE_MATCHED)
    return TRUE;
  return trb_store_history_set_recomputed (self->store, network->origin,
                                           trb_ledger_entry_get_model (closed), error);
}

/* Before witnessing: every closed round of a task that publishes its updates, not recomputed
 * yet and in the verified tree of @size, is recomputed. A round whose model or rewards are not
 * what its updates give halts the network, as any tampering does, and nothing is cosigned. */
static gboolean
recompute_rounds (TrbHistory        *self,
                  TrbClient         *client,
                  TrbLedgerHistory  *ledger,
                  Network           *network,
                  guint64            size,
                  GCancellable      *cancellable,
                  GError           **error)
{
  g_autoptr(GPtrArray) rows = NULL;

  rows = trb_store_history_list_closed_rounds (self->store, network->origin, NULL, error);
  if (rows == NULL)
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    {
      TrbStoreHistoryEntry *row = g_ptr_array_index (rows, i);
      g_autoptr(TrbLedgerEntry) closed = trb_history_parse_entry (row);
      g_autoptr(JsonNode) parsed = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *json = NULL;
      JsonObject *task;
      JsonNode *publish;
      gboolean recomputed;

      if (closed == NULL || !row->verified || row->leaf_index >= size)
        continue;
      if (!trb_store_history_is_recomputed (self->store, network->origin,
                                            trb_ledger_entry_get_model (closed), &recomputed,
                                            error))
        return FALSE;
      if (recomputed)
        continue;
      if (!trb_store_history_lookup_task (self->store, network->origin,
                                          trb_ledger_entry_get_task (closed), &json, error))
        return FALSE;
      if (json == NULL || (parsed = json_from_string (json, NULL)) == NULL ||
          !JSON_NODE_HOLDS_OBJECT (parsed))
        continue;
      task = json_node_get_object (parsed);
      publish = json_object_get_member (task, "publish_updates");
      if (publish == NULL || !JSON_NODE_HOLDS_VALUE (publish) ||
          json_node_get_value_type (publish) != G_TYPE_BOOLEAN || !json_node_get_boolean (publish))
        continue;
      if (!trb_recompute_is_stateless (task))
        {
          g_debug ("Round %" G_GINT64_FORMAT " of %s not recomputed: the strategy keeps server "
                   "state", trb_ledger_entry_get_round (closed),
                   trb_ledger_entry_get_task (closed));
          continue;
        }
      if (recompute_round (self, client, ledger, network, task, row->leaf_index, closed, size,
                           cancellable, &local_error))
        continue;
      if (g_error_matches (local_error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED))
        return trb_history_halt (self, network->origin, local_error->message, error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/* The network's row and its ledger history, unless the network is unknown or halted. */
static TrbLedgerHistory *
open_ledger (TrbHistory  *self,
             const char  *origin,
             Network    **network_out,
             GError     **error)
{
  g_autoptr(Network) network = NULL;
  g_autoptr(TrbNoteVerifier) verifier = NULL;
  g_autoptr(TrbLedgerHistory) ledger = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean halted;

  network = trb_history_lookup_network (self, origin, error);
  if (network == NULL ||
      !trb_store_history_is_halted (self->store, origin, &halted, error))
    return NULL;
  if (halted)
    {
      g_set_error (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_HALTED,
                   _("Tributary stopped taking part in “%s” after it showed inconsistent "
                     "histories."), network->name);
      return NULL;
    }

  verifier = trb_note_verifier_new_from_string (network->ledger_key, error);
  if (verifier == NULL)
    return NULL;
  ledger = trb_ledger_history_new (self->store, origin, verifier, &local_error);
  if (ledger == NULL)
    {
      if (is_tampering (local_error))
        trb_history_halt (self, origin, local_error->message, error);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (trb_ledger_history_is_compromised (ledger))
    {
      trb_history_halt_for_evidence (self, origin, error);
      return NULL;
    }
  *network_out = g_steal_pointer (&network);
  return g_steal_pointer (&ledger);
}

/* The latest signed checkpoint, not yet verified, and its size as it claims. */
static char *
fetch_checkpoint (TrbHistory    *self,
                  TrbClient     *client,
                  Network       *network,
                  GCancellable  *cancellable,
                  guint64       *claimed_size,
                  GError       **error)
{
  g_autofree char *note = NULL;
  g_autofree char *key = NULL;
  g_autoptr(TrbNote) parsed = NULL;
  g_autoptr(TrbCheckpoint) body = NULL;
  const char *text;
  gsize text_len;

  note = trb_client_get_checkpoint_sync (client, cancellable, error);
  if (note == NULL)
    return NULL;
  /* A node that swapped its key may still serve a checkpoint signed with the old one: the key it
   * names now is compared with the pinned one on every sync. */
  key = fetch_ledger_key (client, cancellable);
  if (key != NULL && !g_str_equal (key, network->ledger_key))
    {
      trb_ledger_record_key_change (self->store, network->origin, key, note, NULL);
      trb_history_halt_for_evidence (self, network->origin, error);
      return NULL;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  parsed = trb_note_parse (note, strlen (note), error);
  if (parsed == NULL)
    return NULL;
  text = trb_note_get_text (parsed, &text_len);
  body = trb_checkpoint_parse_text (text, text_len, error);
  if (body == NULL)
    return NULL;
  *claimed_size = trb_checkpoint_get_size (body);
  return g_steal_pointer (&note);
}

/* The proof that the checkpoint of @size and the newest verified one, of @old_size, are one
 * history; an empty one stands for a node's refusal. %NULL with no @error when none is
 * needed. */
static GBytes *
fetch_consistency (TrbClient     *client,
                   guint64        old_size,
                   guint64        size,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  GBytes *consistency;

  if (old_size > 0 && old_size < size)
    return fetch_proof (client, FALSE, old_size, size, cancellable, error);
  if (size == 0 || size >= old_size)
    return NULL;
  /* Smaller than the newest verified: only a proof that it is a prefix of it makes it an
   * older version; a node that dropped entries cannot give one (an empty proof stands for
   * its refusal), and the two signed checkpoints are then the evidence of a shrunk ledger. */
  consistency = fetch_proof (client, FALSE, size, old_size, cancellable, &local_error);
  if (consistency != NULL)
    return consistency;
  if (!g_error_matches (local_error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED) &&
      !g_error_matches (local_error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_bytes_new_static ("", 0);
}

/* Verifies @note (signature, and consistency with the newest verified checkpoint) and keeps it
 * in the ledger history; anything that contradicts what was verified before halts the
 * network. */
static TrbCheckpoint *
accept_checkpoint (TrbHistory        *self,
                   TrbClient         *client,
                   TrbLedgerHistory  *ledger,
                   Network           *network,
                   const char        *note,
                   guint64            size,
                   GCancellable      *cancellable,
                   GError           **error)
{
  g_autoptr(TrbCheckpoint) latest = trb_ledger_history_get_latest (ledger, NULL);
  g_autoptr(TrbCheckpoint) accepted = NULL;
  g_autoptr(GBytes) consistency = NULL;
  g_autoptr(GError) local_error = NULL;
  guint64 old_size = latest != NULL ? trb_checkpoint_get_size (latest) : 0;

  consistency = fetch_consistency (client, old_size, size, cancellable, &local_error);
  if (consistency == NULL && local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  accepted = trb_ledger_history_accept (ledger, note, strlen (note),
                                        consistency ? empty_or_data (consistency) : NULL,
                                        consistency ? g_bytes_get_size (consistency) / 32 : 0,
                                        &local_error);
  if (accepted == NULL &&
      (g_error_matches (local_error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY) ||
       g_error_matches (local_error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_BAD_SIGNATURE)))
    {
      g_autofree char *key = fetch_ledger_key (client, cancellable);

      /* Not signed by the pinned key: when the network now names another key, that is a
       * changed ledger key, and both keys with what each signed are the evidence. */
      if (key != NULL && !g_str_equal (key, network->ledger_key))
        {
          trb_ledger_record_key_change (self->store, network->origin, key, note, NULL);
          trb_history_halt_for_evidence (self, network->origin, error);
          return NULL;
        }
    }
  if (accepted == NULL)
    {
      if (is_tampering (local_error))
        trb_history_halt (self, network->origin, local_error->message, error);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (trb_checkpoint_get_size (accepted) > TRB_HISTORY_MAX_ENTRIES)
    {
      g_set_error_literal (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_PROTOCOL,
                           _("This network’s ledger is too large to keep a copy of."));
      return NULL;
    }
  return g_steal_pointer (&accepted);
}

/* The cosignatures the node serves with the checkpoint it signed for this size. */
static gboolean
record_cosigners (TrbHistory  *self,
                  const char  *origin,
                  const char  *note,
                  guint64      size,
                  GError     **error)
{
  return trb_store_history_save_cosigners (self->store, origin, size,
                                           count_cosigners (note, origin), error);
}

/**
 * trb_history_sync:
 * @self: the history
 * @client: a client for the network, with this computer's wallet for it
 * @origin: the network
 * @witness: whether to cosign the verified checkpoint and send the cosignature
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Brings the local copy of the network's ledger up to date: fetches and verifies the latest
 * checkpoint (signature and consistency with the last one verified), the new entries that
 * concern this wallet and every round, and the inclusion of each kept entry. It blocks on the
 * client's _sync calls: call it from a worker thread (see trb_history_sync_async()). Cancelling
 * @cancellable ends it with %G_IO_ERROR_CANCELLED within the network call under way.
 * Inconsistent histories halt the network and give %TRB_HISTORY_ERROR_INCONSISTENT.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_history_sync (TrbHistory    *self,
                  TrbClient     *client,
                  const char    *origin,
                  gboolean       witness_checkpoint,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(Network) network = NULL;
  g_autoptr(TrbLedgerHistory) ledger = NULL;
  g_autoptr(TrbCheckpoint) accepted = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  g_autofree char *note = NULL;
  guint64 size, fetched, claimed_size = 0;

  g_return_val_if_fail (TRB_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (TRB_IS_CLIENT (client), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  locker = g_mutex_locker_new (&self->lock);
  if ((ledger = open_ledger (self, origin, &network, error)) == NULL ||
      (note = fetch_checkpoint (self, client, network, cancellable, &claimed_size,
                                error)) == NULL ||
      (accepted = accept_checkpoint (self, client, ledger, network, note, claimed_size,
                                     cancellable, error)) == NULL)
    return FALSE;
  size = trb_checkpoint_get_size (accepted);
  if (size == claimed_size && !record_cosigners (self, origin, note, size, error))
    return FALSE;

  if (!trb_store_history_get_fetched_size (self->store, origin, &fetched, error) ||
      !fetch_new_entries (self, client, network, fetched, size, cancellable, error) ||
      !trb_store_history_set_fetched_size (self->store, origin, size, error) ||
      !verify_entries (self, client, ledger, network, size, cancellable, error) ||
      !fetch_tasks (self, client, network, cancellable, error) ||
      g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (witness_checkpoint &&
      !recompute_rounds (self, client, ledger, network, size, cancellable, error))
    return FALSE;
  return !witness_checkpoint || witness (self, client, network, note, size, cancellable, error);
}

typedef struct
{
  char       *origin;
  TrbKeypair *keypair;
  gboolean    witness;
  gboolean    was_halted;
  /* Set when whether the network was halted could not be read: the sync ends with it. */
  GError     *error;
} SyncData;

static void
sync_data_free (SyncData *data)
{
  g_free (data->origin);
  g_clear_object (&data->keypair);
  g_clear_error (&data->error);
  g_free (data);
}

static void
sync_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  TrbHistory *self = source_object;
  SyncData *data = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(Network) network = trb_history_lookup_network (self, data->origin, &error);
  g_autoptr(TrbClient) client = NULL;

  if (data->error != NULL)
    {
      g_task_return_error (task, g_error_copy (data->error));
      return;
    }
  if (network == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  client = trb_client_new (network->url);
  if (data->keypair != NULL)
    trb_client_set_keypair (client, data->keypair);
  if (trb_history_sync (self, client, data->origin, data->witness, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

/* Back in the caller's context: the signals first, then the caller's callback, as
 * trb_history_sync_async() promises. */
static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  TrbHistory *self = TRB_HISTORY (source);
  g_autoptr(GTask) task = user_data;
  SyncData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);
  g_autoptr(GError) halt_error = NULL;
  gboolean halted = trb_history_is_halted (self, data->origin, &halt_error);

  trb_history_emit_changed (self);
  if (halt_error == NULL && !data->was_halted && halted)
    {
      data->was_halted = TRUE;
      trb_history_emit_halted (self, data->origin);
    }
  /* A sync that worked but whose outcome cannot be read back fails with the store's error;
   * one that failed keeps its own. */
  if (ok && halt_error != NULL)
    {
      ok = FALSE;
      error = g_steal_pointer (&halt_error);
    }
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

/**
 * trb_history_sync_async:
 * @self: the history
 * @origin: the network
 * @keypair: (nullable): this computer's wallet for the network, needed to witness
 * @witness: whether to cosign the verified checkpoint and send the cosignature
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Runs trb_history_sync() in a worker thread. Before @callback runs, #TrbHistory::changed is
 * emitted, and #TrbHistory::halted when the network was newly halted.
 */
void
trb_history_sync_async (TrbHistory          *self,
                        const char          *origin,
                        TrbKeypair          *keypair,
                        gboolean             witness_checkpoint,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) worker = NULL;
  GTask *task;
  SyncData *data;

  g_return_if_fail (TRB_IS_HISTORY (self));
  g_return_if_fail (origin != NULL);

  data = g_new0 (SyncData, 1);
  data->origin = g_strdup (origin);
  data->keypair = keypair != NULL ? g_object_ref (keypair) : NULL;
  data->witness = witness_checkpoint;
  data->was_halted = trb_history_is_halted (self, origin, &data->error);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_history_sync_async);
  /* The worker's own task ends in sync_done_cb(), which emits the signals before it completes
   * the caller's. */
  worker = g_task_new (self, cancellable, sync_done_cb, task);
  g_task_set_task_data (worker, data, (GDestroyNotify) sync_data_free);
  g_task_run_in_thread (worker, sync_thread);
}

gboolean
trb_history_sync_finish (TrbHistory    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (TRB_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
