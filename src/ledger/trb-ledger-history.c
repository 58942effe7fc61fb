/* trb-ledger-history.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The client's memory of a ledger: the network's key pinned at the first use, every checkpoint
 * verified so far, and the evidence of any inconsistency. A checkpoint is accepted only when
 * it is signed by the pinned key and provably extends the newest one accepted. Two signed
 * checkpoints that cannot both be true (same size with different roots, or a failing
 * consistency proof) are kept side by side as evidence, and the ledger is then treated as
 * compromised: nothing more is accepted from it.
 */

#define G_LOG_DOMAIN "trb-ledger-history"

#include "config.h"

#include "trb-ledger-history.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "trb-ledger-error.h"
#include "trb-merkle.h"
#include "store/trb-store-ledger.h"

struct _TrbLedgerHistory
{
  GObject          parent_instance;

  TrbStore        *store;
  char            *origin;
  TrbNoteVerifier *log_key;
  GMutex           mutex;
};

G_DEFINE_FINAL_TYPE (TrbLedgerHistory, trb_ledger_history, G_TYPE_OBJECT)

static const char * const tamper_names[] = {
  [TRB_LEDGER_TAMPER_NONE] = "none",
  [TRB_LEDGER_TAMPER_FORK] = "fork",
  [TRB_LEDGER_TAMPER_SHRUNK] = "shrunk",
  [TRB_LEDGER_TAMPER_EDITED_ENTRY] = "edited-entry",
  [TRB_LEDGER_TAMPER_KEY_CHANGED] = "key-changed",
};

/**
 * trb_ledger_tamper_to_string:
 * @kind: a kind of tampering
 *
 * Returns: the name stored and exported for @kind ("fork", "shrunk", "edited-entry",
 *   "key-changed" or "none")
 */
const char *
trb_ledger_tamper_to_string (TrbLedgerTamper kind)
{
  return (guint) kind < G_N_ELEMENTS (tamper_names) ? tamper_names[kind] : "none";
}

static TrbLedgerTamper
tamper_from_string (const char *name)
{
  /* Evidence recorded before kinds were stored was always two checkpoints. */
  if (name == NULL)
    return TRB_LEDGER_TAMPER_FORK;
  for (guint i = 1; i < G_N_ELEMENTS (tamper_names); i++)
    if (g_str_equal (name, tamper_names[i]))
      return i;
  return TRB_LEDGER_TAMPER_FORK;
}

/**
 * trb_ledger_tamper_describe:
 * @kind: a kind of tampering
 *
 * One sentence, in plain words, of what was found: the same words on every path (the CLI's
 * errors, the app's banner, the participation's reason for stopping).
 *
 * Returns: (transfer none): a translated sentence
 */
const char *
trb_ledger_tamper_describe (TrbLedgerTamper kind)
{
  switch (kind)
    {
    case TRB_LEDGER_TAMPER_SHRUNK:
      return _("This network’s ledger lost entries that it had signed before: it now shows a "
               "shorter ledger that it cannot prove is part of the one already checked.");
    case TRB_LEDGER_TAMPER_EDITED_ENTRY:
      return _("An entry of this network’s ledger was changed after it was signed: what the "
               "network shows is not what its signed checkpoint contains.");
    case TRB_LEDGER_TAMPER_KEY_CHANGED:
      return _("This network changed its ledger key: what it signs now cannot be checked "
               "against what it signed before.");
    case TRB_LEDGER_TAMPER_FORK:
      return _("This network showed two versions of its ledger that cannot both be true: its "
               "history was rewritten or forked.");
    case TRB_LEDGER_TAMPER_NONE:
    default:
      return _("Nothing wrong was found in this network’s ledger.");
    }
}

/**
 * trb_ledger_tamper_lookup:
 * @store: the local store
 * @origin: a ledger's origin line
 *
 * Reads what was found first in the ledger of @origin, from the evidence that still stands
 * (not dismissed). Works without the network's key, so also after the key changed.
 *
 * Returns: the kind of tampering, %TRB_LEDGER_TAMPER_NONE when there is no evidence
 */
TrbLedgerTamper
trb_ledger_tamper_lookup (TrbStore   *store,
                          const char *origin)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *kind = NULL;
  gboolean found = FALSE;

  g_return_val_if_fail (TRB_IS_STORE (store), TRB_LEDGER_TAMPER_NONE);
  g_return_val_if_fail (origin != NULL, TRB_LEDGER_TAMPER_NONE);

  /* A store that cannot be read shows no evidence here; the ledger's own checks, which do
   * have an error to give, refuse to go on (is_compromised_locked()). */
  if (!trb_store_ledger_migrate (store, &error) ||
      !trb_store_ledger_first_evidence_kind (store, origin, &found, &kind, &error))
    {
      g_debug ("Ledger evidence of “%s” could not be read: %s", origin, error->message);
      return TRB_LEDGER_TAMPER_NONE;
    }
  if (!found)
    return TRB_LEDGER_TAMPER_NONE;
  return tamper_from_string (kind);
}

void
trb_ledger_evidence_free (TrbLedgerEvidence *evidence)
{
  if (evidence == NULL)
    return;
  g_free (evidence->origin);
  g_free (evidence->verified_note);
  g_free (evidence->conflicting_note);
  g_free (evidence->entry);
  g_clear_pointer (&evidence->proof, g_bytes_unref);
  g_free (evidence->verified_key);
  g_free (evidence->conflicting_key);
  g_free (evidence);
}

static void
trb_ledger_history_finalize (GObject *object)
{
  TrbLedgerHistory *self = (TrbLedgerHistory *)object;

  g_clear_object (&self->store);
  g_clear_object (&self->log_key);
  g_clear_pointer (&self->origin, g_free);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (trb_ledger_history_parent_class)->finalize (object);
}

static void
trb_ledger_history_class_init (TrbLedgerHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_ledger_history_finalize;
}

static void
trb_ledger_history_init (TrbLedgerHistory *self)
{
  g_mutex_init (&self->mutex);
}

/* Gives a failure of the store as the ledger's storage error, as the ledger's callers expect
 * it. */
static gboolean
set_storage_error (GError  **error,
                   GError   *store_error)
{
  g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_STORAGE,
               _("The ledger history could not be read or saved: %s"), store_error->message);
  g_error_free (store_error);
  return FALSE;
}

/**
 * trb_ledger_history_migrate:
 *
 * Creates or updates the tables of component "ledger" in @store.
 */
gboolean
trb_ledger_history_migrate (TrbStore  *store,
                            GError   **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);

  return trb_store_ledger_migrate (store, error);
}

/**
 * trb_ledger_history_new:
 * @store: the local store
 * @origin: the ledger's origin line
 * @log_key: the network's key; pinned for @origin on first use
 *
 * Returns: (transfer full): the history, or %NULL with @error set;
 *   %TRB_LEDGER_ERROR_UNTRUSTED_KEY when another key was pinned for @origin earlier
 */
TrbLedgerHistory *
trb_ledger_history_new (TrbStore         *store,
                        const char       *origin,
                        TrbNoteVerifier  *log_key,
                        GError          **error)
{
  g_autoptr(TrbLedgerHistory) self = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *vkey = NULL;
  g_autofree char *pinned = NULL;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (origin != NULL, NULL);
  g_return_val_if_fail (TRB_IS_NOTE_VERIFIER (log_key), NULL);

  if (!trb_ledger_history_migrate (store, error))
    return NULL;

  self = g_object_new (TRB_TYPE_LEDGER_HISTORY, NULL);
  self->store = g_object_ref (store);
  self->origin = g_strdup (origin);
  self->log_key = g_object_ref (log_key);

  vkey = trb_note_verifier_to_string (log_key);
  if (!trb_store_ledger_get_pinned_key (store, origin, &pinned, &local_error))
    {
      set_storage_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (pinned != NULL)
    {
      if (!g_str_equal (pinned, vkey))
        {
          g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY,
                       _("The network “%s” now uses a different key than when you joined it. "
                         "Its history cannot be trusted."), origin);
          return NULL;
        }
      return g_steal_pointer (&self);
    }

  if (!trb_store_ledger_pin_key (store, origin, vkey, &local_error))
    {
      set_storage_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  return g_steal_pointer (&self);
}

/**
 * trb_ledger_history_get_log_key:
 *
 * Returns: (transfer none): the pinned key
 */
TrbNoteVerifier *
trb_ledger_history_get_log_key (TrbLedgerHistory *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_HISTORY (self), NULL);
  return self->log_key;
}

/* Re-opens a stored checkpoint: stored notes were verified once, but the database is only a
 * file, so the signature is checked again rather than trusted. */
static TrbCheckpoint *
load_checkpoint (TrbLedgerHistory  *self,
                 gint64             size,
                 GError           **error)
{
  g_autofree char *note = NULL;
  GError *store_error = NULL;

  if (!trb_store_ledger_get_checkpoint_note (self->store, self->origin, size, &note,
                                             &store_error))
    {
      set_storage_error (error, store_error);
      return NULL;
    }
  if (note == NULL)
    return NULL;
  return trb_checkpoint_open (note, strlen (note), self->origin, self->log_key, NULL, 0, error);
}

static TrbCheckpoint *
get_latest_locked (TrbLedgerHistory  *self,
                   GError           **error)
{
  return load_checkpoint (self, -1, error);
}

/**
 * trb_ledger_history_get_latest:
 *
 * Returns: (transfer full) (nullable): the newest verified checkpoint, or %NULL (with @error
 *   set only when the store failed)
 */
TrbCheckpoint *
trb_ledger_history_get_latest (TrbLedgerHistory  *self,
                               GError           **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (TRB_IS_LEDGER_HISTORY (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  return get_latest_locked (self, error);
}

/**
 * trb_ledger_history_get_checkpoint:
 *
 * Returns: (transfer full) (nullable): the verified checkpoint of @tree_size, or %NULL
 */
TrbCheckpoint *
trb_ledger_history_get_checkpoint (TrbLedgerHistory  *self,
                                   guint64            tree_size,
                                   GError           **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (TRB_IS_LEDGER_HISTORY (self), NULL);

  if (tree_size > G_MAXINT64)
    return NULL;

  locker = g_mutex_locker_new (&self->mutex);
  return load_checkpoint (self, (gint64)tree_size, error);
}

static gboolean
is_compromised_locked (TrbLedgerHistory *self)
{
  g_autoptr(GError) error = NULL;
  gboolean found = FALSE;

  /* Evidence that cannot be read counts as evidence: nothing is accepted from a ledger whose
   * past cannot be checked. */
  if (!trb_store_ledger_first_evidence_kind (self->store, self->origin, &found, NULL, &error))
    {
      g_debug ("Ledger evidence of “%s” could not be read: %s", self->origin, error->message);
      return TRUE;
    }
  return found;
}
/**
 * trb_ledger_history_is_compromised:
 *
 * Returns: %TRUE when evidence of an inconsistent ledger was recorded for this origin
 */
gboolean
trb_ledger_history_is_compromised (TrbLedgerHistory *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (TRB_IS_LEDGER_HISTORY (self), TRUE);

  locker = g_mutex_locker_new (&self->mutex);
  return is_compromised_locked (self);
}

/**
 * trb_ledger_history_trust_again:
 * @self: a ledger history
 * @error: return location for an error
 *
 * Records the user's decision to keep taking part in a network that showed inconsistent
 * histories. The evidence is kept, and still listed by trb_ledger_history_list_evidence(), but no
 * longer blocks; the verified checkpoints are forgotten, so that the next checkpoint signed with
 * the pinned key becomes the new base that later ones must be consistent with. The pinned key is
 * unchanged.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_ledger_history_trust_again (TrbLedgerHistory  *self,
                                GError           **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (TRB_IS_LEDGER_HISTORY (self), FALSE);

  locker = g_mutex_locker_new (&self->mutex);
  return trb_store_ledger_trust_again (self->store, self->origin, error);
}

static gboolean
record_evidence (TrbLedgerHistory  *self,
                 TrbLedgerTamper    kind,
                 TrbCheckpoint     *verified,
                 const char        *conflicting_note,
                 gsize              conflicting_length,
                 const guint8      *proof,
                 gsize              n_hashes,
                 GError           **error)
{
  GError *store_error = NULL;

  if (!trb_store_ledger_add_fork_evidence (self->store, self->origin,
                                           trb_ledger_tamper_to_string (kind),
                                           trb_checkpoint_get_signed_note (verified),
                                           conflicting_note, conflicting_length, proof,
                                           n_hashes * TRB_MERKLE_HASH_SIZE, &store_error))
    return set_storage_error (error, store_error);

  g_message ("Ledger “%s” showed inconsistent checkpoints (%s); evidence recorded", self->origin,
             trb_ledger_tamper_to_string (kind));

  g_set_error_literal (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INCONSISTENT,
                       trb_ledger_tamper_describe (kind));
  return FALSE;
}

static gboolean
store_checkpoint (TrbLedgerHistory  *self,
                  TrbCheckpoint     *cp,
                  GError           **error)
{
  GError *store_error = NULL;

  if (!trb_store_ledger_add_checkpoint (self->store, self->origin,
                                        (gint64)trb_checkpoint_get_size (cp),
                                        trb_checkpoint_get_root (cp), TRB_MERKLE_HASH_SIZE,
                                        trb_checkpoint_get_signed_note (cp), &store_error))
    return set_storage_error (error, store_error);
  return TRUE;
}

static gboolean
same_root (TrbCheckpoint *a,
           TrbCheckpoint *b)
{
  return sodium_memcmp (trb_checkpoint_get_root (a), trb_checkpoint_get_root (b),
                        TRB_MERKLE_HASH_SIZE) == 0;
}

/* A checkpoint smaller than the newest verified one (@latest): accepted only when it is one
 * already known with the same root, and consistent with @latest where a proof came with it. */
static gboolean
accept_older_locked (TrbLedgerHistory  *self,
                     TrbCheckpoint     *cp,
                     TrbCheckpoint     *latest,
                     const char        *signed_note,
                     gsize              length,
                     const guint8      *consistency_proof,
                     gsize              n_hashes,
                     GError           **error)
{
  g_autoptr(TrbCheckpoint) known = NULL;
  g_autoptr(GError) local_error = NULL;
  guint64 size = trb_checkpoint_get_size (cp);
  guint64 latest_size = trb_checkpoint_get_size (latest);

  known = load_checkpoint (self, (gint64)size, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (known != NULL && !same_root (known, cp))
    {
      record_evidence (self, TRB_LEDGER_TAMPER_FORK, known, signed_note, length, NULL, 0, error);
      return FALSE;
    }
  /* Smaller than the newest verified: a node that still holds its whole tree proves that
   * this one is a prefix of it; one that dropped entries and rebuilt its tree cannot, and
   * the two signed checkpoints are the evidence. (An empty proof stands for a node that
   * refused to give one.) */
  if (consistency_proof != NULL &&
      !trb_merkle_verify_consistency (size, latest_size, trb_checkpoint_get_root (cp),
                                      trb_checkpoint_get_root (latest), consistency_proof,
                                      n_hashes, NULL))
    {
      record_evidence (self, TRB_LEDGER_TAMPER_SHRUNK, latest, signed_note, length,
                       consistency_proof, n_hashes, error);
      return FALSE;
    }
  if (known != NULL)
    return TRUE;

  g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_STALE,
               _("The network sent an older version of its ledger than one already checked."));
  return FALSE;
}

/**
 * trb_ledger_history_accept:
 * @signed_note: (array length=length): a checkpoint from the network
 * @consistency_proof: (array) (nullable): the proof from the newest verified checkpoint to this
 *   one, @n_hashes × 32 bytes (empty for the first checkpoint); for a checkpoint smaller than
 *   the newest verified, the proof from this one to it (without one, a smaller checkpoint that
 *   is not known is only %TRB_LEDGER_ERROR_STALE)
 *
 * Verifies and records a checkpoint.
 *
 * Returns: (transfer full): the verified checkpoint, or %NULL with @error set:
 *   %TRB_LEDGER_ERROR_UNTRUSTED_KEY / %TRB_LEDGER_ERROR_BAD_SIGNATURE when the pinned key did
 *   not sign it, %TRB_LEDGER_ERROR_WRONG_ORIGIN, %TRB_LEDGER_ERROR_INVALID when malformed,
 *   %TRB_LEDGER_ERROR_STALE when it is older than the newest verified and unknown, and
 *   %TRB_LEDGER_ERROR_INCONSISTENT when it contradicts the verified history (or the history is
 *   already compromised)
 */
TrbCheckpoint *
trb_ledger_history_accept (TrbLedgerHistory  *self,
                           const char        *signed_note,
                           gsize              length,
                           const guint8      *consistency_proof,
                           gsize              n_hashes,
                           GError           **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(TrbCheckpoint) cp = NULL;
  g_autoptr(TrbCheckpoint) latest = NULL;
  g_autoptr(GError) local_error = NULL;
  guint64 size;
  guint64 latest_size;

  g_return_val_if_fail (TRB_IS_LEDGER_HISTORY (self), NULL);
  g_return_val_if_fail (signed_note != NULL, NULL);
  g_return_val_if_fail (consistency_proof != NULL || n_hashes == 0, NULL);

  locker = g_mutex_locker_new (&self->mutex);

  if (is_compromised_locked (self))
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INCONSISTENT,
                   _("The network “%s” showed inconsistent versions of its ledger before; "
                     "nothing more is accepted from it."), self->origin);
      return NULL;
    }

  cp = trb_checkpoint_open (signed_note, length, self->origin, self->log_key, NULL, 0, error);
  if (cp == NULL)
    return NULL;

  latest = get_latest_locked (self, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (latest == NULL)
    {
      if (!store_checkpoint (self, cp, error))
        return NULL;
      return g_steal_pointer (&cp);
    }

  size = trb_checkpoint_get_size (cp);
  latest_size = trb_checkpoint_get_size (latest);

  if (size == latest_size)
    {
      if (!same_root (cp, latest))
        {
          record_evidence (self, TRB_LEDGER_TAMPER_FORK, latest, signed_note, length, NULL, 0,
                           error);
          return NULL;
        }
      return g_steal_pointer (&cp);
    }

  if (size < latest_size)
    {
      if (!accept_older_locked (self, cp, latest, signed_note, length, consistency_proof,
                                n_hashes, error))
        return NULL;
      return g_steal_pointer (&cp);
    }

  if (!trb_merkle_verify_consistency (latest_size, size, trb_checkpoint_get_root (latest),
                                      trb_checkpoint_get_root (cp), consistency_proof, n_hashes,
                                      NULL))
    {
      record_evidence (self, TRB_LEDGER_TAMPER_FORK, latest, signed_note, length,
                       consistency_proof, n_hashes, error);
      return NULL;
    }

  if (!store_checkpoint (self, cp, error))
    return NULL;

  return g_steal_pointer (&cp);
}

typedef struct
{
  char   *note;
  gsize   length;
  GBytes *proof;
} AcceptData;

static void
accept_data_free (AcceptData *data)
{
  g_free (data->note);
  g_clear_pointer (&data->proof, g_bytes_unref);
  g_free (data);
}

static void
accept_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  AcceptData *data = task_data;
  GError *error = NULL;
  TrbCheckpoint *cp;
  gsize proof_len = 0;
  const guint8 *proof = data->proof ? g_bytes_get_data (data->proof, &proof_len) : NULL;

  /* One step, verified and stored together: a cancelled accept does neither. */
  if (g_task_return_error_if_cancelled (task))
    return;
  if (proof_len % TRB_MERKLE_HASH_SIZE != 0)
    {
      g_task_return_new_error (task, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                               _("The network’s consistency proof is malformed."));
      return;
    }

  cp = trb_ledger_history_accept (source_object, data->note, data->length, proof,
                                  proof_len / TRB_MERKLE_HASH_SIZE, &error);
  if (cp == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, cp, g_object_unref);
}

/**
 * trb_ledger_history_accept_async:
 * @consistency_proof: (nullable): the proof bytes, a multiple of 32
 *
 * Runs trb_ledger_history_accept() in a worker thread.
 */
void
trb_ledger_history_accept_async (TrbLedgerHistory    *self,
                                 const char          *signed_note,
                                 gsize                length,
                                 GBytes              *consistency_proof,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  AcceptData *data;

  g_return_if_fail (TRB_IS_LEDGER_HISTORY (self));
  g_return_if_fail (signed_note != NULL);

  data = g_new0 (AcceptData, 1);
  data->note = g_strndup (signed_note, length);
  data->length = length;
  data->proof = consistency_proof ? g_bytes_ref (consistency_proof) : NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_ledger_history_accept_async);
  g_task_set_task_data (task, data, (GDestroyNotify)accept_data_free);
  g_task_run_in_thread (task, accept_thread);
}

/**
 * trb_ledger_history_accept_finish:
 *
 * Returns: (transfer full): the verified checkpoint, or %NULL with @error set
 */
TrbCheckpoint *
trb_ledger_history_accept_finish (TrbLedgerHistory  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  g_return_val_if_fail (TRB_IS_LEDGER_HISTORY (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * trb_ledger_history_verify_inclusion:
 * @entry: (array length=length): the entry's bytes
 * @index: its position in the ledger
 * @tree_size: the size of a checkpoint verified earlier
 * @proof: (array): the inclusion proof, @n_hashes × 32 bytes
 *
 * Returns: %TRUE when the entry is in the ledger as of a verified checkpoint; %FALSE with
 *   %TRB_LEDGER_ERROR_NOT_FOUND when no checkpoint of @tree_size was verified, or
 *   %TRB_LEDGER_ERROR_BAD_PROOF when the proof fails
 */
gboolean
trb_ledger_history_verify_inclusion (TrbLedgerHistory  *self,
                                     const char        *entry,
                                     gsize              length,
                                     guint64            index,
                                     guint64            tree_size,
                                     const guint8      *proof,
                                     gsize              n_hashes,
                                     GError           **error)
{
  g_autoptr(TrbCheckpoint) cp = NULL;
  g_autoptr(GError) local_error = NULL;
  guint8 leaf[TRB_MERKLE_HASH_SIZE];

  g_return_val_if_fail (TRB_IS_LEDGER_HISTORY (self), FALSE);
  g_return_val_if_fail (entry != NULL || length == 0, FALSE);

  cp = trb_ledger_history_get_checkpoint (self, tree_size, &local_error);
  if (cp == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_NOT_FOUND,
                     g_dngettext (GETTEXT_PACKAGE,
                                  "No verified checkpoint of the ledger has %llu entry.",
                                  "No verified checkpoint of the ledger has %llu entries.",
                                  tree_size),
                     (unsigned long long) tree_size);
      return FALSE;
    }

  trb_merkle_hash_leaf ((const guint8 *)entry, length, leaf);
  return trb_merkle_verify_inclusion (index, tree_size, leaf, proof, n_hashes,
                                      trb_checkpoint_get_root (cp), error);
}

/**
 * trb_ledger_history_list_evidence:
 *
 * Returns: (transfer full) (element-type TrbLedgerEvidence): the evidence recorded for this
 *   origin, oldest first
 */
GPtrArray *
trb_ledger_history_list_evidence (TrbLedgerHistory  *self,
                                  GError           **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) list = NULL;
  GError *store_error = NULL;

  g_return_val_if_fail (TRB_IS_LEDGER_HISTORY (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);

  rows = trb_store_ledger_list_evidence (self->store, self->origin, &store_error);
  if (rows == NULL)
    {
      set_storage_error (error, store_error);
      return NULL;
    }

  list = g_ptr_array_new_with_free_func ((GDestroyNotify)trb_ledger_evidence_free);
  for (guint i = 0; i < rows->len; i++)
    {
      TrbStoreLedgerEvidence *row = g_ptr_array_index (rows, i);
      TrbLedgerEvidence *e = g_new0 (TrbLedgerEvidence, 1);

      e->origin = g_strdup (self->origin);
      e->verified_note = g_steal_pointer (&row->verified_note);
      e->conflicting_note = g_steal_pointer (&row->conflicting_note);
      e->detected_at = row->detected_at;
      e->kind = tamper_from_string (row->kind);
      e->entry = g_steal_pointer (&row->entry);
      e->entry_index = row->entry_index;
      e->proof = g_steal_pointer (&row->proof);
      e->verified_key = g_steal_pointer (&row->verified_key);
      e->conflicting_key = g_steal_pointer (&row->conflicting_key);
      g_ptr_array_add (list, e);
    }

  return g_steal_pointer (&list);
}

/**
 * trb_ledger_history_record_edited_entry:
 * @self: a ledger history
 * @entry: (array length=length): the entry the network served
 * @index: its position in the ledger
 * @tree_size: the size of a checkpoint verified earlier, which does not contain @entry there
 * @proof: (array) (nullable): the inclusion proof the network gave for it, @n_hashes × 32 bytes
 * @error: return location for an error, always set
 *
 * Keeps the evidence of an entry changed after it was signed: the verified checkpoint, the entry
 * as served and the proof that fails to bind it to that checkpoint. The ledger is compromised
 * from then on.
 *
 * Returns: %FALSE, with %TRB_LEDGER_ERROR_INCONSISTENT (or a storage error)
 */
gboolean
trb_ledger_history_record_edited_entry (TrbLedgerHistory  *self,
                                        const char        *entry,
                                        gsize              length,
                                        guint64            index,
                                        guint64            tree_size,
                                        const guint8      *proof,
                                        gsize              n_hashes,
                                        GError           **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(TrbCheckpoint) cp = NULL;
  GError *store_error = NULL;

  g_return_val_if_fail (TRB_IS_LEDGER_HISTORY (self), FALSE);
  g_return_val_if_fail (entry != NULL || length == 0, FALSE);

  locker = g_mutex_locker_new (&self->mutex);
  cp = load_checkpoint (self, (gint64) MIN (tree_size, G_MAXINT64), NULL);
  if (cp == NULL)
    cp = get_latest_locked (self, NULL);
  if (!trb_store_ledger_add_entry_evidence (self->store, self->origin,
                                            trb_ledger_tamper_to_string (
                                              TRB_LEDGER_TAMPER_EDITED_ENTRY),
                                            cp != NULL ? trb_checkpoint_get_signed_note (cp)
                                                       : "",
                                            proof, proof != NULL ? n_hashes *
                                                                   TRB_MERKLE_HASH_SIZE : 0,
                                            entry, length, (gint64) MIN (index, G_MAXINT64),
                                            &store_error))
    return set_storage_error (error, store_error);

  g_message ("Ledger “%s” served entry %" G_GUINT64_FORMAT " changed after it was signed; "
             "evidence recorded", self->origin, index);
  g_set_error_literal (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INCONSISTENT,
                       trb_ledger_tamper_describe (TRB_LEDGER_TAMPER_EDITED_ENTRY));
  return FALSE;
}

/**
 * trb_ledger_record_key_change:
 * @store: the local store
 * @origin: the ledger's origin line
 * @new_key: the verifier key the network shows now
 * @new_note: (nullable): the checkpoint the network signs now, as served
 * @error: return location for an error, always set
 *
 * Keeps the evidence of a changed ledger key: the key pinned when the network was joined with
 * the newest checkpoint it signed, and the key the network uses now with what it signs now.
 * The ledger is compromised from then on.
 *
 * Returns: %FALSE, with %TRB_LEDGER_ERROR_UNTRUSTED_KEY (or a storage error)
 */
gboolean
trb_ledger_record_key_change (TrbStore    *store,
                              const char  *origin,
                              const char  *new_key,
                              const char  *new_note,
                              GError     **error)
{
  const char *kind = trb_ledger_tamper_to_string (TRB_LEDGER_TAMPER_KEY_CHANGED);
  g_autofree char *pinned = NULL;
  g_autofree char *latest = NULL;
  gboolean known = FALSE;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && new_key != NULL, FALSE);

  if (!trb_store_ledger_migrate (store, error))
    return FALSE;
  /* One piece of evidence per key: a client that reconnects keeps finding the same swap. */
  if (!trb_store_ledger_has_key_evidence (store, origin, kind, new_key, &known, error))
    return FALSE;
  if (!known)
    {
      if (!trb_store_ledger_get_checkpoint_note (store, origin, -1, &latest, error) ||
          !trb_store_ledger_get_pinned_key (store, origin, &pinned, error) ||
          !trb_store_ledger_add_key_evidence (store, origin, kind, latest,
                                              new_note != NULL ? new_note : "", pinned,
                                              new_key, error))
        return FALSE;
      g_message ("Ledger “%s” changed its key; evidence recorded", origin);
    }
  g_set_error_literal (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY,
                       trb_ledger_tamper_describe (TRB_LEDGER_TAMPER_KEY_CHANGED));
  return FALSE;
}
