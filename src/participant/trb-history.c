/* trb-history.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-history"

#include "config.h"

#include "trb-history.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-trainer.h"
#include "compute/trb-weights.h"
#include "ledger/trb-checkpoint.h"
#include "ledger/trb-ledger-entry.h"
#include "ledger/trb-ledger-error.h"
#include "ledger/trb-ledger-history.h"
#include "ledger/trb-note.h"
#include "ledger/trb-note-verifier.h"
#include "net/trb-contributor.h"
#include "net/trb-training-set.h"
#include "participant/trb-history-item.h"
#include "participant/trb-history-private.h"
#include "trb-json.h"
#include "store/trb-store-history.h"
#include "store/trb-store-net.h"
#include "store/trb-store-sql.h"

struct _TrbHistory
{
  GObject   parent_instance;

  TrbStore *store;
  GMutex    lock;
};

G_DEFINE_FINAL_TYPE (TrbHistory, trb_history, G_TYPE_OBJECT)

enum {
  CHANGED,
  HALTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_QUARK (trb-history-error-quark, trb_history_error)

/* A joined network as the protocol client wrote it down. */
typedef TrbStoreNetNetwork Network;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Network, trb_store_net_network_free)

void
trb_reward_total_free (TrbRewardTotal *total)
{
  if (total == NULL)
    return;
  g_free (total->origin);
  g_free (total->network);
  g_free (total->wallet);
  g_free (total);
}

void
trb_round_reconciliation_free (TrbRoundReconciliation *item)
{
  if (item == NULL)
    return;
  g_free (item->origin);
  g_free (item->network);
  g_free (item->wallet);
  g_free (item->task);
  g_free (item->update);
  g_free (item->dataset);
  g_free (item->reason);
  g_free (item);
}

void
trb_model_version_free (TrbModelVersion *version)
{
  if (version == NULL)
    return;
  g_free (version->origin);
  g_free (version->task);
  g_free (version->model);
  g_free (version->parent);
  g_free (version->my_datasets);
  g_free (version->problem);
  g_free (version);
}

static void
trb_history_finalize (GObject *object)
{
  TrbHistory *self = TRB_HISTORY (object);

  g_clear_object (&self->store);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (trb_history_parent_class)->finalize (object);
}

static void
trb_history_class_init (TrbHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_history_finalize;

  /**
   * TrbHistory::changed:
   *
   * Emitted on the main context after a synchronisation changed what the history holds.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * TrbHistory::halted:
   * @origin: the network
   *
   * Emitted when a network showed inconsistent histories: participation in it stops until the
   * user decides.
   */
  signals[HALTED] = g_signal_new ("halted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
trb_history_init (TrbHistory *self)
{
  g_mutex_init (&self->lock);
}

/**
 * trb_history_migrate:
 * @store: the local store
 * @error: return location for an error
 *
 * Creates the tables of component "history" (and those of "net" and "ledger" it reads).
 *
 * Returns: %TRUE on success
 */
gboolean
trb_history_migrate (TrbStore  *store,
                     GError   **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);

  return trb_contributor_migrate (store, error) &&
         trb_store_history_migrate (store, error);
}

/**
 * trb_history_new:
 * @store: the local store
 * @error: return location for an error
 *
 * Returns: (transfer full): the history kept in @store, or %NULL on error
 */
TrbHistory *
trb_history_new (TrbStore  *store,
                 GError   **error)
{
  TrbHistory *self;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  if (!trb_history_migrate (store, error))
    return NULL;
  self = g_object_new (TRB_TYPE_HISTORY, NULL);
  self->store = g_object_ref (store);
  return self;
}

static sqlite3_stmt *
prepare (TrbHistory *self,
         const char *sql)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (trb_store_get_db (self->store), sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_critical ("Cannot prepare “%s”: %s", sql,
                  sqlite3_errmsg (trb_store_get_db (self->store)));
      return NULL;
    }
  return stmt;
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static gint64
network_int (TrbHistory *self,
             const char *origin,
             const char *column)
{
  g_autofree char *sql = g_strdup_printf ("SELECT %s FROM history_networks WHERE origin = ?",
                                          column);
  g_autoptr(sqlite3_stmt) stmt = prepare (self, sql);

  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  return sqlite3_column_int64 (stmt, 0);
}

/* ---- the network's state ------------------------------------------------------------------ */

/* The network, or %NULL with @error set: %TRB_HISTORY_ERROR_NOT_JOINED when this computer
 * never connected to it, else the store's error. */
static Network *
lookup_network (TrbHistory  *self,
                const char  *origin,
                GError     **error)
{
  Network *network = NULL;

  if (!trb_store_net_lookup_network (self->store, origin, &network, error))
    return NULL;
  if (network == NULL)
    g_set_error_literal (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_NOT_JOINED,
                         _("This computer has not joined that network."));
  return network;
}

/* Participation stops (trb_store_history_halt()). Always %FALSE, with @error saying why; when
 * the stop could not be written down, the store's error, which says that too. */
static gboolean
halt (TrbHistory  *self,
      const char  *origin,
      const char  *why,
      GError     **error)
{
  g_autoptr(GError) store_error = NULL;

  g_clear_error (error);
  if (!trb_store_history_halt (self->store, origin, &store_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&store_error), "%s ", why);
      return FALSE;
    }
  /* Translators: the first %s is a sentence saying what was found. */
  g_set_error (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_INCONSISTENT,
               _("%s Tributary stopped taking part in this network until you decide what to "
                 "do."), why);
  return FALSE;
}

/* Halts the network for what the ledger history recorded (its evidence is kept there), in the
 * same plain words as every other path. */
static gboolean
halt_for_evidence (TrbHistory  *self,
                   const char  *origin,
                   GError     **error)
{
  TrbLedgerTamper kind = trb_ledger_tamper_lookup (self->store, origin);

  return halt (self, origin, trb_ledger_tamper_describe (kind != TRB_LEDGER_TAMPER_NONE
                                                          ? kind : TRB_LEDGER_TAMPER_FORK),
               error);
}

/* ---- network calls ----------------------------------------------------------------------------
 *
 * A sync runs in a worker thread and blocks on the client's _sync calls, each given the sync's
 * cancellable, so that cancelling ends it within the call under way. */

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

/* ---- synchronisation ---------------------------------------------------------------------- */

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
          return halt_for_evidence (self, network->origin, error);
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

  network = lookup_network (self, origin, error);
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
        halt (self, origin, local_error->message, error);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (trb_ledger_history_is_compromised (ledger))
    {
      halt_for_evidence (self, origin, error);
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
      halt_for_evidence (self, network->origin, error);
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
          halt_for_evidence (self, network->origin, error);
          return NULL;
        }
    }
  if (accepted == NULL)
    {
      if (is_tampering (local_error))
        halt (self, network->origin, local_error->message, error);
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
  return !witness_checkpoint || witness (self, client, network, note, size, cancellable, error);
}

typedef struct
{
  char       *origin;
  TrbKeypair *keypair;
  gboolean    witness;
  gboolean    was_halted;
} SyncData;

static void
sync_data_free (SyncData *data)
{
  g_free (data->origin);
  g_clear_object (&data->keypair);
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
  g_autoptr(Network) network = lookup_network (self, data->origin, &error);
  g_autoptr(TrbClient) client = NULL;

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

  g_signal_emit (self, signals[CHANGED], 0);
  if (!data->was_halted && trb_history_is_halted (self, data->origin))
    {
      data->was_halted = TRUE;
      g_signal_emit (self, signals[HALTED], 0, data->origin);
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
  data->was_halted = trb_history_is_halted (self, origin);
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

/**
 * trb_history_record_dataset:
 * @self: the history
 * @origin: the network
 * @update: the hash of an update this computer sent
 * @dataset: the name of the local dataset it was trained on
 *
 * Remembers, on this computer only, which dataset an update used.
 */
void
trb_history_record_dataset (TrbHistory *self,
                            const char *origin,
                            const char *update,
                            const char *dataset)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_if_fail (TRB_IS_HISTORY (self));
  g_return_if_fail (origin != NULL && update != NULL && dataset != NULL);

  stmt = prepare (self, "INSERT OR REPLACE INTO history_datasets (origin, update_hash, dataset) "
                        "VALUES (?, ?, ?)");
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, update, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, dataset, -1, SQLITE_TRANSIENT);
  sqlite3_step (stmt);
}

/* ---- reading ------------------------------------------------------------------------------ */

/**
 * trb_history_list_origins:
 * @self: the history
 *
 * Returns: (transfer full): the networks joined, by origin
 */
GStrv
trb_history_list_origins (TrbHistory *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  stmt = prepare (self, "SELECT origin FROM net_networks WHERE address IS NOT NULL "
                        "ORDER BY name, origin");
  while (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *) sqlite3_column_text (stmt, 0));
  return g_strv_builder_end (builder);
}

char *
trb_history_dup_network_name (TrbHistory *self,
                              const char *origin)
{
  g_autoptr(Network) network = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  network = lookup_network (self, origin, NULL);
  return network != NULL ? g_strdup (network->name) : g_strdup (origin);
}

static TrbLedgerEntry *
parse_column (sqlite3_stmt *stmt,
              int           column)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);

  return text != NULL ? trb_ledger_entry_parse (text, strlen (text), NULL) : NULL;
}

/**
 * trb_history_list_rewards:
 * @self: the history
 * @origin: (nullable): a network, or %NULL for all
 *
 * Returns: (transfer full) (element-type TrbRewardRecord): the reward entries of this
 *   computer's wallets, oldest first, verified or not
 */
GPtrArray *
trb_history_list_rewards (TrbHistory *self,
                          const char *origin)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_reward_record_free);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), records);

  stmt = prepare (self, "SELECT e.origin, n.name, e.leaf_index, e.data, e.verified_size, "
                        "e.problem FROM history_entries e JOIN net_networks n ON n.origin = "
                        "e.origin WHERE e.type = 'reward' AND e.participant = n.address AND "
                        "(?1 IS NULL OR e.origin = ?1) ORDER BY e.time, e.origin, e.leaf_index");
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(TrbLedgerEntry) entry = parse_column (stmt, 3);
      TrbRewardRecord *record;

      if (entry == NULL)
        continue;
      record = g_new0 (TrbRewardRecord, 1);
      record->origin = column_dup (stmt, 0);
      record->network = column_dup (stmt, 1);
      record->wallet = g_strdup (trb_ledger_entry_get_participant (entry));
      record->task = g_strdup (trb_ledger_entry_get_task (entry));
      record->round = trb_ledger_entry_get_round (entry);
      record->points = trb_ledger_entry_get_points (entry);
      record->time = trb_ledger_entry_get_time (entry);
      record->leaf_index = sqlite3_column_int64 (stmt, 2);
      record->verified = sqlite3_column_type (stmt, 4) != SQLITE_NULL;
      record->problem = record->verified ? NULL : column_dup (stmt, 5);
      if (!record->verified && record->problem == NULL)
        record->problem = g_strdup (_("Not yet checked against a verified checkpoint."));
      g_ptr_array_add (records, record);
    }
  return records;
}

/**
 * trb_history_list_totals:
 * @self: the history
 *
 * Returns: (transfer full) (element-type TrbRewardTotal): the verified points per network and
 *   wallet; unverified entries are counted apart and never added
 */
GPtrArray *
trb_history_list_totals (TrbHistory *self)
{
  GPtrArray *totals = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_reward_total_free);
  g_autoptr(GPtrArray) records = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), totals);

  records = trb_history_list_rewards (self, NULL);
  for (guint i = 0; i < records->len; i++)
    {
      TrbRewardRecord *r = g_ptr_array_index (records, i);
      TrbRewardTotal *total = NULL;

      for (guint j = 0; j < totals->len && total == NULL; j++)
        {
          TrbRewardTotal *t = g_ptr_array_index (totals, j);

          if (g_str_equal (t->origin, r->origin) && g_str_equal (t->wallet, r->wallet))
            total = t;
        }
      if (total == NULL)
        {
          total = g_new0 (TrbRewardTotal, 1);
          total->origin = g_strdup (r->origin);
          total->network = g_strdup (r->network);
          total->wallet = g_strdup (r->wallet);
          g_ptr_array_add (totals, total);
        }
      if (r->verified)
        {
          total->points += r->points;
          total->n_rewards++;
        }
      else
        total->n_unverified++;
    }
  return totals;
}

static char *
lookup_dataset (TrbHistory *self,
                const char *origin,
                const char *update)
{
  char *dataset = NULL;

  /* Unreadable (the store closed as the program quits) reads as not written down. */
  if (!trb_store_history_lookup_dataset (self->store, origin, update, &dataset, NULL))
    return NULL;
  return dataset;
}

/* The verified entry of @type for a task's round, or NULL. */
static TrbLedgerEntry *
lookup_round_entry (TrbHistory *self,
                    const char *origin,
                    const char *type,
                    const char *task,
                    gint64      round,
                    gboolean   *verified)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT data, verified_size FROM history_entries "
                                                "WHERE origin = ? AND type = ? AND task = ? AND "
                                                "round = ? ORDER BY verified_size IS NULL, "
                                                "leaf_index LIMIT 1");

  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, type, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, task, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, round);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  if (verified != NULL)
    *verified = sqlite3_column_type (stmt, 1) != SQLITE_NULL;
  return parse_column (stmt, 0);
}

static gboolean
lookup_policy (TrbHistory      *self,
               const char      *origin,
               const char      *task,
               TrbRewardPolicy *policy)
{
  g_autofree char *json = NULL;

  /* Unreadable (the store closed as the program quits) reads as not fetched. */
  if (!trb_store_history_lookup_task (self->store, origin, task, &json, NULL) || json == NULL)
    return FALSE;
  return trb_reward_policy_from_task (json, policy, NULL);
}

static gboolean
strv_has (const char * const *strv,
          const char         *value)
{
  return strv != NULL && g_strv_contains (strv, value);
}

/* The status of a contributed round and, when it is not simply paid, the reason in plain
 * words: from whether the update is in the verified ledger, the round's verified close and what
 * the verified ledger credited. */
static void
judge_reconciliation (TrbRoundReconciliation *item,
                      gboolean                in_verified_ledger,
                      TrbLedgerEntry         *closed,
                      gboolean                closed_verified,
                      gboolean                unverified_reward,
                      const TrbRewardPolicy  *policy)
{
  if (!in_verified_ledger)
    {
      item->status = TRB_RECONCILE_NOTHING;
      item->reason = g_strdup (_("Your update is not yet in the verified ledger."));
    }
  else if (closed == NULL || !closed_verified)
    {
      item->status = TRB_RECONCILE_PENDING;
      item->reason = g_strdup (_("The round has not closed yet."));
    }
  else if (!strv_has (trb_ledger_entry_get_updates (closed), item->update))
    {
      item->status = item->credited > 0 ? TRB_RECONCILE_DIFFERS : TRB_RECONCILE_NOTHING;
      item->expected = 0;
      item->reason = g_strdup (_("Your update was not used in the round’s new model, so "
                                 "the network’s policy pays nothing for it."));
    }
  else if (item->credited == item->expected)
    {
      item->status = item->expected > 0 ? TRB_RECONCILE_PAID : TRB_RECONCILE_NOTHING;
      if (item->expected == 0)
        item->reason = g_strdup_printf (
          /* Translators: the points per sample and epoch, then the most points a round can
           * give. */
          _("The network’s reward policy pays nothing for this round (%g points per "
            "sample and epoch, at most %g per round)."),
          policy->points_per_sample_epoch, policy->cap_per_round);
    }
  else if (item->credited == 0)
    {
      item->status = TRB_RECONCILE_NOTHING;
      item->reason = unverified_reward
                       ? g_strdup (_("The reward the network shows is not in its verified "
                                     "ledger, so it does not count."))
                       : g_strdup (_("The network credited nothing, although its policy "
                                     "promises a reward for this update."));
    }
  else
    {
      g_autofree char *expected = trb_rewards_dup_points_text (item->expected);
      g_autofree char *credited = trb_rewards_dup_points_text (item->credited);

      item->status = TRB_RECONCILE_DIFFERS;
      /* Translators: the points credited, then the points the policy promises; both are
       * amounts such as “2.4 points”. */
      item->reason = g_strdup_printf (_("The network credited %s where its policy "
                                        "promises %s."), credited, expected);
    }
}

/**
 * trb_history_reconcile:
 * @self: the history
 * @origin: (nullable): a network, or %NULL for all
 *
 * For every update this computer's wallets contributed, what the network's reward policy
 * promises and what the verified ledger credited, with the reason when it credited nothing or
 * something else.
 *
 * Returns: (transfer full) (element-type TrbRoundReconciliation): oldest first
 */
GPtrArray *
trb_history_reconcile (TrbHistory *self,
                       const char *origin)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (
    (GDestroyNotify) trb_round_reconciliation_free);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), items);

  stmt = prepare (self, "SELECT e.origin, n.name, e.data, e.verified_size FROM history_entries e "
                        "JOIN net_networks n ON n.origin = e.origin WHERE e.type = "
                        "'update_accepted' AND e.participant = n.address AND (?1 IS NULL OR "
                        "e.origin = ?1) ORDER BY e.time, e.origin, e.leaf_index");
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(TrbLedgerEntry) entry = parse_column (stmt, 2);
      g_autoptr(TrbLedgerEntry) closed = NULL;
      g_autoptr(sqlite3_stmt) rewards = NULL;
      TrbRoundReconciliation *item;
      TrbRewardPolicy policy = { 0, };
      gboolean have_policy, closed_verified = FALSE, unverified_reward = FALSE;
      const char *net = (const char *) sqlite3_column_text (stmt, 0);

      if (entry == NULL)
        continue;
      item = g_new0 (TrbRoundReconciliation, 1);
      item->origin = g_strdup (net);
      item->network = column_dup (stmt, 1);
      item->wallet = g_strdup (trb_ledger_entry_get_participant (entry));
      item->task = g_strdup (trb_ledger_entry_get_task (entry));
      item->round = trb_ledger_entry_get_round (entry);
      item->update = g_strdup (trb_ledger_entry_get_update (entry));
      item->samples = trb_ledger_entry_get_samples (entry);
      item->dataset = lookup_dataset (self, net, item->update);
      have_policy = lookup_policy (self, net, item->task, &policy);
      item->expected = have_policy ? trb_reward_policy_expected (&policy, item->samples) : 0;
      g_ptr_array_add (items, item);

      rewards = prepare (self, "SELECT data, verified_size FROM history_entries WHERE origin = ? "
                               "AND type = 'reward' AND task = ? AND round = ? AND "
                               "participant = ?");
      sqlite3_bind_text (rewards, 1, net, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (rewards, 2, item->task, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (rewards, 3, item->round);
      sqlite3_bind_text (rewards, 4, item->wallet, -1, SQLITE_TRANSIENT);
      while (sqlite3_step (rewards) == SQLITE_ROW)
        {
          g_autoptr(TrbLedgerEntry) reward = parse_column (rewards, 0);

          if (reward == NULL)
            continue;
          if (sqlite3_column_type (rewards, 1) != SQLITE_NULL)
            item->credited += trb_ledger_entry_get_points (reward);
          else
            unverified_reward = TRUE;
        }

      closed = lookup_round_entry (self, net, "round_closed", item->task, item->round,
                                   &closed_verified);
      judge_reconciliation (item, sqlite3_column_type (stmt, 3) != SQLITE_NULL, closed,
                            closed_verified, unverified_reward, &policy);
    }
  return items;
}

/**
 * trb_history_list_versions:
 * @self: the history
 * @origin: a network
 * @task: (nullable): a task, or %NULL for all
 *
 * The model versions of a network's tasks, one per closed round, with this wallet's
 * contributions to each and the verification of the entry that records it.
 *
 * Returns: (transfer full) (element-type TrbModelVersion): by task, then round
 */
GPtrArray *
trb_history_list_versions (TrbHistory *self,
                           const char *origin,
                           const char *task)
{
  GPtrArray *versions = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_model_version_free);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(Network) network = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), versions);
  g_return_val_if_fail (origin != NULL, versions);

  network = lookup_network (self, origin, NULL);
  stmt = prepare (self, "SELECT leaf_index, data, verified_size, problem FROM history_entries "
                        "WHERE origin = ?1 AND type = 'round_closed' AND (?2 IS NULL OR "
                        "task = ?2) ORDER BY task, round, leaf_index");
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, task, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(TrbLedgerEntry) entry = parse_column (stmt, 1);
      g_autoptr(TrbLedgerEntry) opened = NULL;
      g_autoptr(sqlite3_stmt) mine = NULL;
      g_autoptr(sqlite3_stmt) earlier = NULL;
      g_autoptr(sqlite3_stmt) cosigned = NULL;
      g_autoptr(GString) datasets = g_string_new (NULL);
      const char * const *updates;
      TrbModelVersion *version;

      if (entry == NULL)
        continue;
      version = g_new0 (TrbModelVersion, 1);
      version->origin = g_strdup (origin);
      version->task = g_strdup (trb_ledger_entry_get_task (entry));
      version->round = trb_ledger_entry_get_round (entry);
      version->model = g_strdup (trb_ledger_entry_get_model (entry));
      version->time = trb_ledger_entry_get_time (entry);
      version->leaf_index = sqlite3_column_int64 (stmt, 0);
      version->verified = sqlite3_column_type (stmt, 2) != SQLITE_NULL;
      version->checkpoint_size = sqlite3_column_int64 (stmt, 2);
      version->problem = version->verified ? NULL : column_dup (stmt, 3);
      updates = trb_ledger_entry_get_updates (entry);
      version->n_contributions = updates != NULL ? g_strv_length ((char **) updates) : 0;
      for (guint m = 0; m < trb_ledger_entry_get_n_metrics (entry); m++)
        {
          double value;
          const char *name = trb_ledger_entry_get_metric (entry, m, &value);

          if (g_str_equal (name, "eval_accuracy") || g_str_equal (name, "accuracy"))
            {
              version->has_accuracy = TRUE;
              version->accuracy = value;
            }
          else if (g_str_equal (name, "eval_samples") && value <= 0)
            version->has_accuracy = FALSE;
        }
      opened = lookup_round_entry (self, origin, "round_opened", version->task, version->round,
                                   NULL);
      version->parent = g_strdup (opened != NULL ? trb_ledger_entry_get_model (opened) : NULL);

      mine = prepare (self, "SELECT data FROM history_entries e JOIN net_networks n ON "
                            "n.origin = e.origin WHERE e.origin = ? AND e.type = "
                            "'update_accepted' AND e.task = ? AND e.round = ? AND "
                            "e.participant = n.address AND e.verified_size IS NOT NULL");
      sqlite3_bind_text (mine, 1, origin, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (mine, 2, version->task, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (mine, 3, version->round);
      while (sqlite3_step (mine) == SQLITE_ROW)
        {
          g_autoptr(TrbLedgerEntry) update = parse_column (mine, 0);
          g_autofree char *dataset = NULL;

          if (update == NULL || !strv_has (updates, trb_ledger_entry_get_update (update)))
            continue;
          version->n_mine++;
          dataset = lookup_dataset (self, origin, trb_ledger_entry_get_update (update));
          if (datasets->len > 0)
            g_string_append (datasets, ", ");
          g_string_append (datasets, dataset != NULL ? dataset : _("a dataset not recorded"));
        }
      version->my_datasets = version->n_mine > 0 ? g_strdup (datasets->str) : NULL;

      if (version->verified)
        {
          earlier = prepare (self, "SELECT count(*) FROM ledger_checkpoints WHERE origin = ? AND "
                                   "size < ?");
          sqlite3_bind_text (earlier, 1, origin, -1, SQLITE_TRANSIENT);
          sqlite3_bind_int64 (earlier, 2, version->checkpoint_size);
          if (sqlite3_step (earlier) == SQLITE_ROW)
            version->n_earlier_checkpoints = sqlite3_column_int (earlier, 0);
          /* Any later checkpoint is consistent with the one the proof was checked against, so
           * its cosigners vouch for this entry too. */
          cosigned = prepare (self, "SELECT MAX (cosigners) FROM history_checkpoints WHERE "
                                    "origin = ? AND size >= ?");
          sqlite3_bind_text (cosigned, 1, origin, -1, SQLITE_TRANSIENT);
          sqlite3_bind_int64 (cosigned, 2, version->checkpoint_size);
          if (sqlite3_step (cosigned) == SQLITE_ROW)
            version->n_cosigners = sqlite3_column_int (cosigned, 0);
        }
      g_ptr_array_add (versions, version);
    }
  (void) network;
  return versions;
}

void
trb_evaluation_result_free (TrbEvaluationResult *result)
{
  if (result == NULL)
    return;
  g_free (result->origin);
  g_free (result->task);
  g_free (result->model);
  g_free (result->dataset);
  g_free (result);
}

static char *
version_fingerprint (const TrbModelVersion *v)
{
  return g_strdup_printf ("%s|%s|%u|%d|%.17g|%" G_GINT64_FORMAT "|%d|%" G_GUINT64_FORMAT
                          "|%u|%u|%u|%s|%s", v->model, v->parent ? v->parent : "",
                          v->n_contributions, v->has_accuracy, v->accuracy, v->time, v->verified,
                          v->checkpoint_size, v->n_earlier_checkpoints, v->n_cosigners,
                          v->n_mine, v->my_datasets ? v->my_datasets : "",
                          v->problem ? v->problem : "");
}

/**
 * trb_history_list_version_items:
 * @self: the history
 * @origin: a network
 * @task: a task of it
 *
 * The model versions of a task, newest first, each followed by the results of evaluating it
 * on this computer's data, as items for trb_history_item_update_store(): a version's data is
 * a #TrbModelVersion, an evaluation's a #TrbEvaluationResult.
 *
 * Returns: (transfer container) (element-type TrbHistoryItem): the items
 */
GPtrArray *
trb_history_list_version_items (TrbHistory *self,
                                const char *origin,
                                const char *task)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) versions = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), items);
  g_return_val_if_fail (origin != NULL && task != NULL, items);

  versions = trb_history_list_versions (self, origin, task);
  for (guint i = versions->len; i > 0; i--)
    {
      TrbModelVersion *v = g_ptr_array_steal_index (versions, i - 1);
      g_autoptr(GPtrArray) results = trb_history_list_evaluations (self, origin, v->model);
      g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT "/%" G_GUINT64_FORMAT,
                                              v->round, v->leaf_index);
      g_autofree char *fingerprint = version_fingerprint (v);
      g_autofree char *model = g_strdup (v->model);

      g_ptr_array_add (items, trb_history_item_new (TRB_HISTORY_ITEM_VERSION, key, fingerprint,
                                                    v, (GDestroyNotify) trb_model_version_free));
      while (results->len > 0)
        {
          TrbEvaluationResult *result = g_ptr_array_steal_index (results, 0);
          g_autofree char *result_key = g_strdup_printf ("%s/evaluation/%s", key,
                                                         result->dataset);
          g_autofree char *result_fingerprint = g_strdup_printf ("%.17g|%" G_GINT64_FORMAT,
                                                                 result->accuracy,
                                                                 result->time);

          g_ptr_array_add (items, trb_history_item_new (TRB_HISTORY_ITEM_EVALUATION, result_key,
                                                        result_fingerprint, result,
                                                        (GDestroyNotify)
                                                        trb_evaluation_result_free));
        }
    }
  return items;
}

/**
 * trb_history_list_reward_items:
 * @self: the history
 *
 * The reward entries of every network, newest first, as items for
 * trb_history_item_update_store(); each item's data is a #TrbRewardRecord.
 *
 * Returns: (transfer container) (element-type TrbHistoryItem): the items
 */
GPtrArray *
trb_history_list_reward_items (TrbHistory *self)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) records = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), items);

  records = trb_history_list_rewards (self, NULL);
  for (guint i = records->len; i > 0; i--)
    {
      TrbRewardRecord *r = g_ptr_array_index (records, i - 1);
      g_autofree char *key = g_strdup_printf ("%s/%" G_GUINT64_FORMAT, r->origin, r->leaf_index);
      g_autofree char *fingerprint = g_strdup_printf ("%s|%s|%s|%" G_GINT64_FORMAT "|%"
                                                      G_GINT64_FORMAT "|%" G_GINT64_FORMAT
                                                      "|%d|%s", r->network ? r->network : "",
                                                      r->task ? r->task : "",
                                                      r->wallet ? r->wallet : "", r->round,
                                                      r->points, r->time, r->verified,
                                                      r->problem ? r->problem : "");

      g_ptr_array_add (items, trb_history_item_new (TRB_HISTORY_ITEM_REWARD, key, fingerprint,
                                                    trb_reward_record_copy (r),
                                                    (GDestroyNotify) trb_reward_record_free));
    }
  return items;
}

/* ---- evaluation results ------------------------------------------------------------------- */

/**
 * trb_history_save_evaluation:
 * @self: the history
 * @origin: the network
 * @task: the task of the model version
 * @model: the model version's hash
 * @dataset: the name of the data it was evaluated on, as the person knows it
 * @accuracy: the share of samples classified right, 0…1
 * @error: return location for an error
 *
 * Keeps the result of evaluating a model version on local data, replacing an earlier result
 * for the same version and data, until trb_history_remove_evaluation().
 *
 * Returns: %TRUE when stored
 */
gboolean
trb_history_save_evaluation (TrbHistory  *self,
                             const char  *origin,
                             const char  *task,
                             const char  *model,
                             const char  *dataset,
                             double       accuracy,
                             GError     **error)
{
  g_return_val_if_fail (TRB_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (origin != NULL && task != NULL && model != NULL && dataset != NULL,
                        FALSE);

  return trb_store_history_save_evaluation (self->store, origin, task, model, dataset, accuracy,
                                            error);
}

/**
 * trb_history_list_evaluations:
 * @self: the history
 * @origin: the network
 * @model: (nullable): a model version's hash, or %NULL for all of the network's
 *
 * Returns: (transfer container) (element-type TrbEvaluationResult): the results kept, oldest
 *   first
 */
GPtrArray *
trb_history_list_evaluations (TrbHistory *self,
                              const char *origin,
                              const char *model)
{
  GPtrArray *results = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                       trb_evaluation_result_free);
  g_autoptr(GPtrArray) kept = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), results);
  g_return_val_if_fail (origin != NULL, results);

  /* A store that cannot be read (closed as the program quits) has no results to show. */
  kept = trb_store_history_list_evaluations (self->store, origin, model, NULL);
  for (guint i = 0; kept != NULL && i < kept->len; i++)
    {
      TrbStoreEvaluation *row = g_ptr_array_index (kept, i);
      TrbEvaluationResult *result = g_new0 (TrbEvaluationResult, 1);

      result->origin = g_steal_pointer (&row->origin);
      result->task = g_steal_pointer (&row->task);
      result->model = g_steal_pointer (&row->model);
      result->dataset = g_steal_pointer (&row->dataset);
      result->accuracy = row->accuracy;
      result->time = row->time;
      g_ptr_array_add (results, result);
    }
  return results;
}

/**
 * trb_history_remove_evaluation:
 * @self: the history
 * @origin: the network
 * @model: the model version's hash
 * @dataset: the data's name
 * @error: return location for an error
 *
 * Forgets a result kept by trb_history_save_evaluation().
 *
 * Returns: %TRUE when done
 */
gboolean
trb_history_remove_evaluation (TrbHistory  *self,
                               const char  *origin,
                               const char  *model,
                               const char  *dataset,
                               GError     **error)
{
  g_return_val_if_fail (TRB_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (origin != NULL && model != NULL && dataset != NULL, FALSE);

  return trb_store_history_remove_evaluation (self->store, origin, model, dataset, error);
}

/* ---- alerts ------------------------------------------------------------------------------- */

/**
 * trb_history_is_halted:
 * @self: the history
 * @origin: a network
 *
 * Whether participation in the network is stopped because it showed inconsistent histories
 * and the user has not decided yet. The participation loop must not contribute while it is.
 *
 * Returns: %TRUE when halted
 */
gboolean
trb_history_is_halted (TrbHistory *self,
                       const char *origin)
{
  g_return_val_if_fail (TRB_IS_HISTORY (self), TRUE);
  g_return_val_if_fail (origin != NULL, TRUE);

  /* Evidence kept by a participant (this app's or the command line's) halts it too. */
  return network_int (self, origin, "halted") != 0 ||
         trb_ledger_tamper_lookup (self->store, origin) != TRB_LEDGER_TAMPER_NONE;
}

/**
 * trb_history_get_tamper:
 * @self: the history
 * @origin: a network
 *
 * What was found in the network's ledger, for the alert's words.
 *
 * Returns: the kind of tampering that halted the network, %TRB_LEDGER_TAMPER_NONE when it is
 *   not halted
 */
TrbLedgerTamper
trb_history_get_tamper (TrbHistory *self,
                        const char *origin)
{
  TrbLedgerTamper kind;

  g_return_val_if_fail (TRB_IS_HISTORY (self), TRB_LEDGER_TAMPER_NONE);
  g_return_val_if_fail (origin != NULL, TRB_LEDGER_TAMPER_NONE);

  kind = trb_ledger_tamper_lookup (self->store, origin);
  if (kind == TRB_LEDGER_TAMPER_NONE && network_int (self, origin, "halted") != 0)
    kind = TRB_LEDGER_TAMPER_FORK;
  return kind;
}

/**
 * trb_history_list_halted:
 * @self: the history
 *
 * Returns: (transfer full): the origins of the halted networks
 */
GStrv
trb_history_list_halted (TrbHistory *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  stmt = prepare (self, "SELECT origin FROM history_networks WHERE halted = 1 UNION "
                        "SELECT e.origin FROM ledger_evidence e JOIN net_networks n ON "
                        "n.origin = e.origin WHERE e.dismissed_at IS NULL AND n.address IS NOT "
                        "NULL ORDER BY 1");
  while (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *) sqlite3_column_text (stmt, 0));
  return g_strv_builder_end (builder);
}

/**
 * trb_history_resume:
 * @self: the history
 * @origin: a halted network
 * @error: return location for an error
 *
 * Records the user's decision to keep the network despite the alert: it is no longer halted.
 * The evidence stays.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_history_resume (TrbHistory  *self,
                    const char  *origin,
                    GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(sqlite3_stmt) net = NULL;
  g_autoptr(Network) network = NULL;
  g_autoptr(TrbNoteVerifier) verifier = NULL;
  g_autoptr(TrbLedgerHistory) ledger = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  network = lookup_network (self, origin, NULL);
  if (network == NULL)
    {
      g_set_error_literal (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_NOT_JOINED,
                           _("This computer has not joined that network."));
      return FALSE;
    }

  /* The ledger copy keeps the evidence but takes the network's next checkpoint as a new base;
   * without this the next check would stop the network again. */
  verifier = trb_note_verifier_new_from_string (network->ledger_key, error);
  if (verifier == NULL)
    return FALSE;
  ledger = trb_ledger_history_new (self->store, origin, verifier, error);
  if (ledger == NULL || !trb_ledger_history_trust_again (ledger, error))
    return FALSE;

  stmt = prepare (self, "UPDATE history_networks SET halted = 0, decision = 'resume' "
                        "WHERE origin = ?");
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return trb_store_set_error_from_db (self->store, error);

  /* The participants' own flag (the table exists once a participant has joined). */
  if (sqlite3_prepare_v2 (trb_store_get_db (self->store),
                          "UPDATE net_networks SET compromised = 0 WHERE origin = ?", -1, &net,
                          NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (net, 1, origin, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (net) != SQLITE_DONE)
        return trb_store_set_error_from_db (self->store, error);
    }
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

/**
 * trb_history_export_evidence:
 * @self: the history
 * @origin: a network
 * @error: return location for an error
 *
 * Returns: (transfer full): the pairs of conflicting signed checkpoints kept for the network,
 *   as text anyone can check with the network's public key, or %NULL when there are none
 */
char *
trb_history_export_evidence (TrbHistory  *self,
                             const char  *origin,
                             GError     **error)
{
  g_autoptr(Network) network = NULL;
  g_autoptr(TrbNoteVerifier) verifier = NULL;
  g_autoptr(TrbLedgerHistory) ledger = NULL;
  g_autoptr(GPtrArray) evidence = NULL;
  GString *out;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  network = lookup_network (self, origin, NULL);
  if (network == NULL)
    {
      g_set_error_literal (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_NOT_JOINED,
                           _("This computer has not joined that network."));
      return NULL;
    }
  verifier = trb_note_verifier_new_from_string (network->ledger_key, error);
  if (verifier == NULL)
    return NULL;
  ledger = trb_ledger_history_new (self->store, origin, verifier, NULL);
  evidence = ledger != NULL ? trb_ledger_history_list_evidence (ledger, error) : NULL;
  if (evidence == NULL || evidence->len == 0)
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_PROTOCOL,
                             _("There is no evidence of inconsistent histories for this "
                               "network."));
      return NULL;
    }
  out = g_string_new (NULL);
  g_string_append_printf (out, "# Tributary ledger evidence\n# network: %s\n# origin: %s\n"
                               "# ledger key: %s\n", network->name, origin, network->ledger_key);
  for (guint i = 0; i < evidence->len; i++)
    {
      TrbLedgerEvidence *e = g_ptr_array_index (evidence, i);
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (e->detected_at);
      g_autofree char *stamp = when != NULL ? g_date_time_format_iso8601 (when) : g_strdup ("");

      /* Plain text that anyone can check: the kind's name, and for each kind what shows it. */
      g_string_append_printf (out, "\n# found: %s\n# %s\n# detected: %s\n"
                                   "# checkpoint verified earlier:\n%s\n",
                              trb_ledger_tamper_to_string (e->kind),
                              trb_ledger_tamper_describe (e->kind), stamp, e->verified_note);
      if (e->conflicting_note != NULL && *e->conflicting_note != '\0')
        g_string_append_printf (out, "# conflicting checkpoint:\n%s\n", e->conflicting_note);
      if (e->verified_key != NULL)
        g_string_append_printf (out, "# key pinned when joining:\n%s\n", e->verified_key);
      if (e->conflicting_key != NULL)
        g_string_append_printf (out, "# key the network signs with now:\n%s\n",
                                e->conflicting_key);
      if (e->entry != NULL)
        g_string_append_printf (out, "# entry %" G_GUINT64_FORMAT " as served:\n%s\n",
                                e->entry_index, e->entry);
      if (e->proof != NULL)
        {
          g_autofree char *proof = g_base64_encode (g_bytes_get_data (e->proof, NULL),
                                                    g_bytes_get_size (e->proof));

          g_string_append_printf (out, "# proof given by the network (base64):\n%s\n", proof);
        }
    }
  return g_string_free (out, FALSE);
}

/* ---- what the model evaluation reads (trb-history-evaluation.c) --------------------------- */

/* Whether @model is named by a verified round entry of @origin. */
gboolean
trb_history_is_verified_model (TrbHistory *self,
                               const char *origin,
                               const char *model)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT data FROM history_entries WHERE origin = ? "
                                                "AND type IN ('round_closed', 'round_opened') AND "
                                                "verified_size IS NOT NULL");

  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(TrbLedgerEntry) entry = parse_column (stmt, 0);

      if (entry != NULL && g_strcmp0 (trb_ledger_entry_get_model (entry), model) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The task's description as last fetched by a sync, or %NULL. */
char *
trb_history_dup_task_json (TrbHistory *self,
                           const char *origin,
                           const char *task)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = prepare (self, "SELECT json FROM history_tasks WHERE origin = ? AND task = ?");
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, task, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return column_dup (stmt, 0);
}

/* The URL of a joined network, or %NULL. */
char *
trb_history_dup_network_url (TrbHistory *self,
                             const char *origin)
{
  g_autoptr(Network) network = lookup_network (self, origin, NULL);

  return network != NULL ? g_strdup (network->url) : NULL;
}
