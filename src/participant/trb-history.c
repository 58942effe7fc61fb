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
  g_autoptr(Network) network = lookup_network (self, data->origin, &error);
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

  g_signal_emit (self, signals[CHANGED], 0);
  if (halt_error == NULL && !data->was_halted && halted)
    {
      data->was_halted = TRUE;
      g_signal_emit (self, signals[HALTED], 0, data->origin);
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

/**
 * trb_history_record_dataset:
 * @self: the history
 * @origin: the network
 * @update: the hash of an update this computer sent
 * @dataset: the name of the local dataset it was trained on
 * @error: return location for an error
 *
 * Remembers, on this computer only, which dataset an update used.
 *
 * Returns: %TRUE once written down
 */
gboolean
trb_history_record_dataset (TrbHistory  *self,
                            const char  *origin,
                            const char  *update,
                            const char  *dataset,
                            GError     **error)
{
  g_return_val_if_fail (TRB_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (origin != NULL && update != NULL && dataset != NULL, FALSE);

  return trb_store_history_save_dataset (self->store, origin, update, dataset, error);
}

/* ---- reading ------------------------------------------------------------------------------ */

/**
 * trb_history_list_origins:
 * @self: the history
 * @error: return location for an error
 *
 * Returns: (transfer full): the networks joined, by origin, or %NULL on error
 */
GStrv
trb_history_list_origins (TrbHistory  *self,
                          GError     **error)
{
  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  return trb_store_history_list_origins (self->store, error);
}

/**
 * trb_history_dup_network_name:
 * @self: the history
 * @origin: a network
 * @error: return location for an error
 *
 * Returns: (transfer full): the network's name, its origin for a network never connected to,
 *   or %NULL on error
 */
char *
trb_history_dup_network_name (TrbHistory  *self,
                              const char  *origin,
                              GError     **error)
{
  g_autoptr(Network) network = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  if (!trb_store_net_lookup_network (self->store, origin, &network, error))
    return NULL;
  return network != NULL ? g_strdup (network->name) : g_strdup (origin);
}

static TrbLedgerEntry *
parse_entry (const TrbStoreHistoryEntry *row)
{
  return row->data != NULL ? trb_ledger_entry_parse (row->data, strlen (row->data), NULL) : NULL;
}

/**
 * trb_history_list_rewards:
 * @self: the history
 * @origin: (nullable): a network, or %NULL for all
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type TrbRewardRecord): the reward entries of this
 *   computer's wallets, oldest first, verified or not, or %NULL on error
 */
GPtrArray *
trb_history_list_rewards (TrbHistory  *self,
                          const char  *origin,
                          GError     **error)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  rows = trb_store_history_list_mine (self->store, origin, "reward", error);
  if (rows == NULL)
    return NULL;
  records = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_reward_record_free);
  for (guint i = 0; i < rows->len; i++)
    {
      TrbStoreHistoryEntry *row = g_ptr_array_index (rows, i);
      g_autoptr(TrbLedgerEntry) entry = parse_entry (row);
      TrbRewardRecord *record;

      if (entry == NULL)
        continue;
      record = g_new0 (TrbRewardRecord, 1);
      record->origin = g_strdup (row->origin);
      record->network = g_strdup (row->network);
      record->wallet = g_strdup (trb_ledger_entry_get_participant (entry));
      record->task = g_strdup (trb_ledger_entry_get_task (entry));
      record->round = trb_ledger_entry_get_round (entry);
      record->points = trb_ledger_entry_get_points (entry);
      record->time = trb_ledger_entry_get_time (entry);
      record->leaf_index = row->leaf_index;
      record->verified = row->verified;
      record->problem = record->verified ? NULL : g_strdup (row->problem);
      if (!record->verified && record->problem == NULL)
        record->problem = g_strdup (_("Not yet checked against a verified checkpoint."));
      g_ptr_array_add (records, record);
    }
  return g_steal_pointer (&records);
}

/**
 * trb_history_list_totals:
 * @self: the history
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type TrbRewardTotal): the verified points per network and
 *   wallet (unverified entries are counted apart and never added), or %NULL on error
 */
GPtrArray *
trb_history_list_totals (TrbHistory  *self,
                         GError     **error)
{
  g_autoptr(GPtrArray) totals = NULL;
  g_autoptr(GPtrArray) records = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  records = trb_history_list_rewards (self, NULL, error);
  if (records == NULL)
    return NULL;
  totals = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_reward_total_free);
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
  return g_steal_pointer (&totals);
}

/* The entry of @type for a task's round, the verified one first, in @entry (%NULL when there
 * is none). */
static gboolean
lookup_round_entry (TrbHistory      *self,
                    const char      *origin,
                    const char      *type,
                    const char      *task,
                    gint64           round,
                    TrbLedgerEntry **entry,
                    gboolean        *verified,
                    GError         **error)
{
  g_autoptr(GPtrArray) rows = NULL;

  *entry = NULL;
  rows = trb_store_history_list_round_entries (self->store, origin, type, task, round, NULL,
                                               error);
  if (rows == NULL)
    return FALSE;
  if (rows->len > 0)
    {
      TrbStoreHistoryEntry *row = g_ptr_array_index (rows, 0);

      *entry = parse_entry (row);
      if (verified != NULL)
        *verified = row->verified;
    }
  return TRUE;
}

/* The task's reward policy in @policy, with @found %FALSE when the task was not fetched or
 * says none. */
static gboolean
lookup_policy (TrbHistory       *self,
               const char       *origin,
               const char       *task,
               TrbRewardPolicy  *policy,
               gboolean         *found,
               GError          **error)
{
  g_autofree char *json = NULL;

  if (!trb_store_history_lookup_task (self->store, origin, task, &json, error))
    return FALSE;
  *found = json != NULL && trb_reward_policy_from_task (json, policy, NULL);
  return TRUE;
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

/* What the verified ledger credited this wallet for @item's round: the points of the verified
 * rewards in @item->credited, and whether an unverified one was seen. */
static gboolean
add_credited (TrbHistory              *self,
              TrbRoundReconciliation  *item,
              gboolean                *unverified_reward,
              GError                 **error)
{
  g_autoptr(GPtrArray) rewards = NULL;

  rewards = trb_store_history_list_round_entries (self->store, item->origin, "reward",
                                                  item->task, item->round, item->wallet, error);
  if (rewards == NULL)
    return FALSE;
  for (guint i = 0; i < rewards->len; i++)
    {
      TrbStoreHistoryEntry *row = g_ptr_array_index (rewards, i);
      g_autoptr(TrbLedgerEntry) reward = parse_entry (row);

      if (reward == NULL)
        continue;
      if (row->verified)
        item->credited += trb_ledger_entry_get_points (reward);
      else
        *unverified_reward = TRUE;
    }
  return TRUE;
}

/* The reconciliation of one accepted update of this wallet, or %NULL with @error set. */
static TrbRoundReconciliation *
reconcile_update (TrbHistory                  *self,
                  const TrbStoreHistoryEntry  *row,
                  TrbLedgerEntry              *entry,
                  GError                     **error)
{
  g_autoptr(TrbRoundReconciliation) item = g_new0 (TrbRoundReconciliation, 1);
  g_autoptr(TrbLedgerEntry) closed = NULL;
  TrbRewardPolicy policy = { 0, };
  gboolean have_policy, closed_verified = FALSE, unverified_reward = FALSE;

  item->origin = g_strdup (row->origin);
  item->network = g_strdup (row->network);
  item->wallet = g_strdup (trb_ledger_entry_get_participant (entry));
  item->task = g_strdup (trb_ledger_entry_get_task (entry));
  item->round = trb_ledger_entry_get_round (entry);
  item->update = g_strdup (trb_ledger_entry_get_update (entry));
  item->samples = trb_ledger_entry_get_samples (entry);
  if (!trb_store_history_lookup_dataset (self->store, item->origin, item->update,
                                         &item->dataset, error) ||
      !lookup_policy (self, item->origin, item->task, &policy, &have_policy, error) ||
      !add_credited (self, item, &unverified_reward, error) ||
      !lookup_round_entry (self, item->origin, "round_closed", item->task, item->round, &closed,
                           &closed_verified, error))
    return NULL;
  item->expected = have_policy ? trb_reward_policy_expected (&policy, item->samples) : 0;
  judge_reconciliation (item, row->verified, closed, closed_verified, unverified_reward,
                        &policy);
  return g_steal_pointer (&item);
}

/**
 * trb_history_reconcile:
 * @self: the history
 * @origin: (nullable): a network, or %NULL for all
 * @error: return location for an error
 *
 * For every update this computer's wallets contributed, what the network's reward policy
 * promises and what the verified ledger credited, with the reason when it credited nothing or
 * something else.
 *
 * Returns: (transfer full) (element-type TrbRoundReconciliation): oldest first, or %NULL on
 *   error
 */
GPtrArray *
trb_history_reconcile (TrbHistory  *self,
                       const char  *origin,
                       GError     **error)
{
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  rows = trb_store_history_list_mine (self->store, origin, "update_accepted", error);
  if (rows == NULL)
    return NULL;
  items = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_round_reconciliation_free);
  for (guint i = 0; i < rows->len; i++)
    {
      TrbStoreHistoryEntry *row = g_ptr_array_index (rows, i);
      g_autoptr(TrbLedgerEntry) entry = parse_entry (row);
      TrbRoundReconciliation *item;

      if (entry == NULL)
        continue;
      item = reconcile_update (self, row, entry, error);
      if (item == NULL)
        return NULL;
      g_ptr_array_add (items, item);
    }
  return g_steal_pointer (&items);
}

/* A model version from the entry that closed its round: what the entry itself says. */
static TrbModelVersion *
version_from_entry (const char                  *origin,
                    const TrbStoreHistoryEntry  *row,
                    TrbLedgerEntry              *entry)
{
  TrbModelVersion *version = g_new0 (TrbModelVersion, 1);
  const char * const *updates = trb_ledger_entry_get_updates (entry);

  version->origin = g_strdup (origin);
  version->task = g_strdup (trb_ledger_entry_get_task (entry));
  version->round = trb_ledger_entry_get_round (entry);
  version->model = g_strdup (trb_ledger_entry_get_model (entry));
  version->time = trb_ledger_entry_get_time (entry);
  version->leaf_index = row->leaf_index;
  version->verified = row->verified;
  version->checkpoint_size = row->verified_size;
  version->problem = version->verified ? NULL : g_strdup (row->problem);
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
  return version;
}

/* This wallet's verified updates that the version was made of, and the data each was trained
 * on. */
static gboolean
add_my_contributions (TrbHistory       *self,
                      TrbModelVersion  *version,
                      TrbLedgerEntry   *closed,
                      GError          **error)
{
  const char * const *updates = trb_ledger_entry_get_updates (closed);
  g_autoptr(GString) datasets = g_string_new (NULL);
  g_autoptr(GPtrArray) rows = NULL;

  rows = trb_store_history_list_my_verified_updates (self->store, version->origin,
                                                     version->task, version->round, error);
  if (rows == NULL)
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    {
      g_autoptr(TrbLedgerEntry) update = parse_entry (g_ptr_array_index (rows, i));
      g_autofree char *dataset = NULL;

      if (update == NULL || !strv_has (updates, trb_ledger_entry_get_update (update)))
        continue;
      if (!trb_store_history_lookup_dataset (self->store, version->origin,
                                             trb_ledger_entry_get_update (update), &dataset,
                                             error))
        return FALSE;
      version->n_mine++;
      if (datasets->len > 0)
        g_string_append (datasets, ", ");
      g_string_append (datasets, dataset != NULL ? dataset : _("a dataset not recorded"));
    }
  version->my_datasets = version->n_mine > 0 ? g_strdup (datasets->str) : NULL;
  return TRUE;
}

/* Who vouches for a verified version: the checkpoints before the one its proof was checked
 * against, and the most cosigners of that one or a later one (any later checkpoint is
 * consistent with it, so its cosigners vouch for this entry too). */
static gboolean
add_witnesses (TrbHistory       *self,
               TrbModelVersion  *version,
               GError          **error)
{
  if (!version->verified)
    return TRUE;
  return trb_store_history_count_checkpoints_before (self->store, version->origin,
                                                     version->checkpoint_size,
                                                     &version->n_earlier_checkpoints, error) &&
         trb_store_history_get_cosigners (self->store, version->origin,
                                          version->checkpoint_size, &version->n_cosigners,
                                          error);
}

/**
 * trb_history_list_versions:
 * @self: the history
 * @origin: a network
 * @task: (nullable): a task, or %NULL for all
 * @error: return location for an error
 *
 * The model versions of a network's tasks, one per closed round, with this wallet's
 * contributions to each and the verification of the entry that records it.
 *
 * Returns: (transfer full) (element-type TrbModelVersion): by task, then round, or %NULL on
 *   error
 */
GPtrArray *
trb_history_list_versions (TrbHistory  *self,
                           const char  *origin,
                           const char  *task,
                           GError     **error)
{
  g_autoptr(GPtrArray) versions = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  rows = trb_store_history_list_closed_rounds (self->store, origin, task, error);
  if (rows == NULL)
    return NULL;
  versions = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_model_version_free);
  for (guint i = 0; i < rows->len; i++)
    {
      TrbStoreHistoryEntry *row = g_ptr_array_index (rows, i);
      g_autoptr(TrbLedgerEntry) entry = parse_entry (row);
      g_autoptr(TrbLedgerEntry) opened = NULL;
      g_autoptr(TrbModelVersion) version = NULL;

      if (entry == NULL)
        continue;
      version = version_from_entry (origin, row, entry);
      if (!lookup_round_entry (self, origin, "round_opened", version->task, version->round,
                               &opened, NULL, error) ||
          !add_my_contributions (self, version, entry, error) ||
          !add_witnesses (self, version, error))
        return NULL;
      version->parent = g_strdup (opened != NULL ? trb_ledger_entry_get_model (opened) : NULL);
      g_ptr_array_add (versions, g_steal_pointer (&version));
    }
  return g_steal_pointer (&versions);
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
 * Returns: (transfer container) (element-type TrbHistoryItem): the items, or %NULL on error
 */
GPtrArray *
trb_history_list_version_items (TrbHistory  *self,
                                const char  *origin,
                                const char  *task,
                                GError     **error)
{
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) versions = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);
  g_return_val_if_fail (origin != NULL && task != NULL, NULL);

  versions = trb_history_list_versions (self, origin, task, error);
  if (versions == NULL)
    return NULL;
  items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = versions->len; i > 0; i--)
    {
      g_autoptr(GPtrArray) results = NULL;
      TrbModelVersion *v = g_ptr_array_index (versions, i - 1);
      g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT "/%" G_GUINT64_FORMAT,
                                              v->round, v->leaf_index);
      g_autofree char *fingerprint = version_fingerprint (v);

      results = trb_history_list_evaluations (self, origin, v->model, error);
      if (results == NULL)
        return NULL;
      g_ptr_array_add (items, trb_history_item_new (TRB_HISTORY_ITEM_VERSION, key, fingerprint,
                                                    g_ptr_array_steal_index (versions, i - 1),
                                                    (GDestroyNotify) trb_model_version_free));
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
  return g_steal_pointer (&items);
}

/**
 * trb_history_list_reward_items:
 * @self: the history
 *
 * The reward entries of every network, newest first, as items for
 * trb_history_item_update_store(); each item's data is a #TrbRewardRecord.
 *
 * Returns: (transfer container) (element-type TrbHistoryItem): the items, or %NULL on error
 */
GPtrArray *
trb_history_list_reward_items (TrbHistory  *self,
                               GError     **error)
{
  GPtrArray *items;
  g_autoptr(GPtrArray) records = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  records = trb_history_list_rewards (self, NULL, error);
  if (records == NULL)
    return NULL;
  items = g_ptr_array_new_with_free_func (g_object_unref);
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
 * @error: return location for an error
 *
 * Returns: (transfer container) (element-type TrbEvaluationResult): the results kept, oldest
 *   first, or %NULL on error
 */
GPtrArray *
trb_history_list_evaluations (TrbHistory  *self,
                              const char  *origin,
                              const char  *model,
                              GError     **error)
{
  GPtrArray *results;
  g_autoptr(GPtrArray) kept = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  kept = trb_store_history_list_evaluations (self->store, origin, model, error);
  if (kept == NULL)
    return NULL;
  results = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_evaluation_result_free);
  for (guint i = 0; i < kept->len; i++)
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
 * Returns: %TRUE when halted; also %TRUE, the safe answer, with @error set when the local
 *   store could not be read
 */
gboolean
trb_history_is_halted (TrbHistory  *self,
                       const char  *origin,
                       GError     **error)
{
  gboolean halted;

  g_return_val_if_fail (TRB_IS_HISTORY (self), TRUE);
  g_return_val_if_fail (origin != NULL, TRUE);

  if (!trb_store_history_is_halted (self->store, origin, &halted, error))
    return TRUE;
  /* Evidence kept by a participant (this app's or the command line's) halts it too. */
  return halted || trb_ledger_tamper_lookup (self->store, origin) != TRB_LEDGER_TAMPER_NONE;
}

/**
 * trb_history_get_tamper:
 * @self: the history
 * @origin: a network
 *
 * What was found in the network's ledger, for the alert's words.
 *
 * Returns: the kind of tampering that halted the network, %TRB_LEDGER_TAMPER_NONE when it is
 *   not halted or, with @error set, when the local store could not be read
 */
TrbLedgerTamper
trb_history_get_tamper (TrbHistory  *self,
                        const char  *origin,
                        GError     **error)
{
  TrbLedgerTamper kind;
  gboolean halted;

  g_return_val_if_fail (TRB_IS_HISTORY (self), TRB_LEDGER_TAMPER_NONE);
  g_return_val_if_fail (origin != NULL, TRB_LEDGER_TAMPER_NONE);

  kind = trb_ledger_tamper_lookup (self->store, origin);
  if (kind != TRB_LEDGER_TAMPER_NONE)
    return kind;
  if (!trb_store_history_is_halted (self->store, origin, &halted, error))
    return TRB_LEDGER_TAMPER_NONE;
  return halted ? TRB_LEDGER_TAMPER_FORK : TRB_LEDGER_TAMPER_NONE;
}

/**
 * trb_history_list_halted:
 * @self: the history
 *
 * @error: return location for an error
 *
 * Returns: (transfer full): the origins of the halted networks, or %NULL on error
 */
GStrv
trb_history_list_halted (TrbHistory  *self,
                         GError     **error)
{
  g_return_val_if_fail (TRB_IS_HISTORY (self), NULL);

  return trb_store_history_list_halted (self->store, error);
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
  g_autoptr(Network) network = NULL;
  g_autoptr(TrbNoteVerifier) verifier = NULL;
  g_autoptr(TrbLedgerHistory) ledger = NULL;

  g_return_val_if_fail (TRB_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  network = lookup_network (self, origin, error);
  if (network == NULL)
    return FALSE;

  /* The ledger copy keeps the evidence but takes the network's next checkpoint as a new base;
   * without this the next check would stop the network again. */
  verifier = trb_note_verifier_new_from_string (network->ledger_key, error);
  if (verifier == NULL)
    return FALSE;
  ledger = trb_ledger_history_new (self->store, origin, verifier, error);
  if (ledger == NULL || !trb_ledger_history_trust_again (ledger, error))
    return FALSE;

  if (!trb_store_history_resume (self->store, origin, error))
    return FALSE;
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

  network = lookup_network (self, origin, error);
  if (network == NULL)
    return NULL;
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
trb_history_is_verified_model (TrbHistory  *self,
                               const char  *origin,
                               const char  *model,
                               gboolean    *verified,
                               GError     **error)
{
  g_autoptr(GPtrArray) rows = NULL;

  *verified = FALSE;
  rows = trb_store_history_list_verified_rounds (self->store, origin, error);
  if (rows == NULL)
    return FALSE;
  for (guint i = 0; i < rows->len && !*verified; i++)
    {
      g_autoptr(TrbLedgerEntry) entry = parse_entry (g_ptr_array_index (rows, i));

      *verified = entry != NULL && g_strcmp0 (trb_ledger_entry_get_model (entry), model) == 0;
    }
  return TRUE;
}

/* The task's description as last fetched by a sync, or %NULL in @json. */
gboolean
trb_history_dup_task_json (TrbHistory  *self,
                           const char  *origin,
                           const char  *task,
                           char       **json,
                           GError     **error)
{
  return trb_store_history_lookup_task (self->store, origin, task, json, error);
}

/* The URL of a joined network, or %NULL with @error set. */
char *
trb_history_dup_network_url (TrbHistory  *self,
                             const char  *origin,
                             GError     **error)
{
  g_autoptr(Network) network = lookup_network (self, origin, error);

  return network != NULL ? g_strdup (network->url) : NULL;
}
