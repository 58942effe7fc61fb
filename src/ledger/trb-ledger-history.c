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
#include "store/trb-store-sql.h"

struct _TrbLedgerHistory
{
  GObject          parent_instance;

  TrbStore        *store;
  char            *origin;
  TrbNoteVerifier *log_key;
  GMutex           mutex;
};

G_DEFINE_FINAL_TYPE (TrbLedgerHistory, trb_ledger_history, G_TYPE_OBJECT)

static const char * const migration_steps[] = {
  "CREATE TABLE ledger_pinned_keys ("
  "  origin TEXT PRIMARY KEY,"
  "  vkey TEXT NOT NULL,"
  "  pinned_at INTEGER NOT NULL"
  ");"
  "CREATE TABLE ledger_checkpoints ("
  "  origin TEXT NOT NULL,"
  "  size INTEGER NOT NULL,"
  "  root BLOB NOT NULL,"
  "  note TEXT NOT NULL,"
  "  verified_at INTEGER NOT NULL,"
  "  PRIMARY KEY (origin, size)"
  ");"
  "CREATE TABLE ledger_evidence ("
  "  id INTEGER PRIMARY KEY,"
  "  origin TEXT NOT NULL,"
  "  verified_note TEXT NOT NULL,"
  "  conflicting_note TEXT NOT NULL,"
  "  proof BLOB,"
  "  detected_at INTEGER NOT NULL"
  ");",
  /* Evidence the user has seen and decided to continue past (trb_ledger_history_trust_again()):
   * kept for export, no longer blocking. */
  "ALTER TABLE ledger_evidence ADD COLUMN dismissed_at INTEGER;",
  /* What was found, so that each kind is named plainly; and what shows it besides two
   * checkpoints: an entry with its index and the proof the network gave for it, or the key the
   * network signs with now. A row without a kind is from before: two checkpoints (a fork). */
  "ALTER TABLE ledger_evidence ADD COLUMN kind TEXT;"
  "ALTER TABLE ledger_evidence ADD COLUMN entry TEXT;"
  "ALTER TABLE ledger_evidence ADD COLUMN entry_index INTEGER;"
  "ALTER TABLE ledger_evidence ADD COLUMN verified_key TEXT;"
  "ALTER TABLE ledger_evidence ADD COLUMN conflicting_key TEXT;",
};

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
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (TRB_IS_STORE (store), TRB_LEDGER_TAMPER_NONE);
  g_return_val_if_fail (origin != NULL, TRB_LEDGER_TAMPER_NONE);

  if (!trb_ledger_history_migrate (store, NULL) ||
      sqlite3_prepare_v2 (trb_store_get_db (store), "SELECT kind FROM ledger_evidence WHERE "
                          "origin = ?1 AND dismissed_at IS NULL ORDER BY id LIMIT 1", -1, &stmt,
                          NULL) != SQLITE_OK)
    return TRB_LEDGER_TAMPER_NONE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return TRB_LEDGER_TAMPER_NONE;
  return tamper_from_string ((const char *)sqlite3_column_text (stmt, 0));
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

static gboolean
set_storage_error (TrbLedgerHistory  *self,
                   GError           **error)
{
  g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_STORAGE,
               _("The ledger history could not be read or saved: %s"),
               sqlite3_errmsg (trb_store_get_db (self->store)));
  return FALSE;
}

static sqlite3_stmt *
prepare (TrbLedgerHistory  *self,
         const char        *sql,
         GError           **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (trb_store_get_db (self->store), sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_storage_error (self, error);
      return NULL;
    }
  return stmt;
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

  return trb_store_migrate (store, "ledger", migration_steps, G_N_ELEMENTS (migration_steps),
                            error);
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
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *vkey = NULL;
  int rc;

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
  stmt = prepare (self, "SELECT vkey FROM ledger_pinned_keys WHERE origin = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      if (!g_str_equal ((const char *)sqlite3_column_text (stmt, 0), vkey))
        {
          g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY,
                       _("The network “%s” now uses a different key than when you joined it. "
                         "Its history cannot be trusted."), origin);
          return NULL;
        }
      return g_steal_pointer (&self);
    }
  if (rc != SQLITE_DONE)
    {
      set_storage_error (self, error);
      return NULL;
    }

  g_clear_pointer (&stmt, sqlite3_finalize);
  stmt = prepare (self, "INSERT INTO ledger_pinned_keys (origin, vkey, pinned_at) "
                        "VALUES (?1, ?2, ?3)", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, vkey, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time () / G_USEC_PER_SEC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_storage_error (self, error);
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
                 const char        *sql,
                 gint64             size,
                 GError           **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, sql, error);
  const char *note;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, self->origin, -1, SQLITE_STATIC);
  if (size >= 0)
    sqlite3_bind_int64 (stmt, 2, size);

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return NULL;
  if (rc != SQLITE_ROW)
    {
      set_storage_error (self, error);
      return NULL;
    }

  note = (const char *)sqlite3_column_text (stmt, 0);
  return trb_checkpoint_open (note, sqlite3_column_bytes (stmt, 0), self->origin, self->log_key,
                              NULL, 0, error);
}

static TrbCheckpoint *
get_latest_locked (TrbLedgerHistory  *self,
                   GError           **error)
{
  return load_checkpoint (self,
                          "SELECT note FROM ledger_checkpoints WHERE origin = ?1 "
                          "ORDER BY size DESC LIMIT 1", -1, error);
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
  return load_checkpoint (self,
                          "SELECT note FROM ledger_checkpoints WHERE origin = ?1 AND size = ?2",
                          (gint64)tree_size, error);
}

static gboolean
is_compromised_locked (TrbLedgerHistory *self)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = prepare (self, "SELECT 1 FROM ledger_evidence WHERE origin = ?1 AND "
                        "dismissed_at IS NULL LIMIT 1", NULL);
  if (stmt == NULL)
    return TRUE;
  sqlite3_bind_text (stmt, 1, self->origin, -1, SQLITE_STATIC);
  return sqlite3_step (stmt) != SQLITE_DONE;
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
  g_autoptr(sqlite3_stmt) dismiss = NULL;
  g_autoptr(sqlite3_stmt) forget = NULL;
  sqlite3 *db;

  g_return_val_if_fail (TRB_IS_LEDGER_HISTORY (self), FALSE);

  locker = g_mutex_locker_new (&self->mutex);
  db = trb_store_get_db (self->store);

  if (!trb_store_exec (self->store, "SAVEPOINT trust_again", error))
    return FALSE;

  dismiss = prepare (self, "UPDATE ledger_evidence SET dismissed_at = ?2 "
                           "WHERE origin = ?1 AND dismissed_at IS NULL", error);
  forget = prepare (self, "DELETE FROM ledger_checkpoints WHERE origin = ?1", error);
  if (dismiss == NULL || forget == NULL)
    goto failed;
  sqlite3_bind_text (dismiss, 1, self->origin, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (dismiss, 2, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (forget, 1, self->origin, -1, SQLITE_STATIC);
  if (sqlite3_step (dismiss) != SQLITE_DONE || sqlite3_step (forget) != SQLITE_DONE)
    {
      g_set_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_QUERY,
                   _("The local database could not be updated: %s"), sqlite3_errmsg (db));
      goto failed;
    }

  return trb_store_exec (self->store, "RELEASE trust_again", error);

failed:
  trb_store_exec (self->store, "ROLLBACK TO trust_again; RELEASE trust_again", NULL);
  return FALSE;
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
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = prepare (self, "INSERT INTO ledger_evidence (origin, verified_note, conflicting_note, "
                        "proof, detected_at, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, self->origin, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, trb_checkpoint_get_signed_note (verified), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, conflicting_note, conflicting_length, SQLITE_STATIC);
  if (n_hashes > 0)
    sqlite3_bind_blob (stmt, 4, proof, n_hashes * TRB_MERKLE_HASH_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (stmt, 6, trb_ledger_tamper_to_string (kind), -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_storage_error (self, error);

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
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = prepare (self, "INSERT OR IGNORE INTO ledger_checkpoints (origin, size, root, note, "
                        "verified_at) VALUES (?1, ?2, ?3, ?4, ?5)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, self->origin, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)trb_checkpoint_get_size (cp));
  sqlite3_bind_blob (stmt, 3, trb_checkpoint_get_root (cp), TRB_MERKLE_HASH_SIZE, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, trb_checkpoint_get_signed_note (cp), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, g_get_real_time () / G_USEC_PER_SEC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_storage_error (self, error);
  return TRUE;
}

static gboolean
same_root (TrbCheckpoint *a,
           TrbCheckpoint *b)
{
  return sodium_memcmp (trb_checkpoint_get_root (a), trb_checkpoint_get_root (b),
                        TRB_MERKLE_HASH_SIZE) == 0;
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
      g_autoptr(TrbCheckpoint) known = NULL;

      known = load_checkpoint (self,
                               "SELECT note FROM ledger_checkpoints WHERE origin = ?1 AND "
                               "size = ?2", (gint64)size, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (known != NULL && !same_root (known, cp))
        {
          record_evidence (self, TRB_LEDGER_TAMPER_FORK, known, signed_note, length, NULL, 0,
                           error);
          return NULL;
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
          return NULL;
        }
      if (known != NULL)
        return g_steal_pointer (&cp);

      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_STALE,
                   _("The network sent an older version of its ledger than one already "
                     "checked."));
      return NULL;
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
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) list = NULL;
  int rc;

  g_return_val_if_fail (TRB_IS_LEDGER_HISTORY (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);

  stmt = prepare (self, "SELECT verified_note, conflicting_note, detected_at, kind, entry, "
                        "entry_index, proof, verified_key, conflicting_key FROM "
                        "ledger_evidence WHERE origin = ?1 ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, self->origin, -1, SQLITE_STATIC);

  list = g_ptr_array_new_with_free_func ((GDestroyNotify)trb_ledger_evidence_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      TrbLedgerEvidence *e = g_new0 (TrbLedgerEvidence, 1);

      e->origin = g_strdup (self->origin);
      e->verified_note = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      e->conflicting_note = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
      e->detected_at = sqlite3_column_int64 (stmt, 2);
      e->kind = tamper_from_string ((const char *)sqlite3_column_text (stmt, 3));
      e->entry = g_strdup ((const char *)sqlite3_column_text (stmt, 4));
      e->entry_index = sqlite3_column_int64 (stmt, 5);
      if (sqlite3_column_type (stmt, 6) == SQLITE_BLOB)
        e->proof = g_bytes_new (sqlite3_column_blob (stmt, 6), sqlite3_column_bytes (stmt, 6));
      e->verified_key = g_strdup ((const char *)sqlite3_column_text (stmt, 7));
      e->conflicting_key = g_strdup ((const char *)sqlite3_column_text (stmt, 8));
      g_ptr_array_add (list, e);
    }
  if (rc != SQLITE_DONE)
    {
      set_storage_error (self, error);
      return NULL;
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
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (TRB_IS_LEDGER_HISTORY (self), FALSE);
  g_return_val_if_fail (entry != NULL || length == 0, FALSE);

  locker = g_mutex_locker_new (&self->mutex);
  cp = load_checkpoint (self, "SELECT note FROM ledger_checkpoints WHERE origin = ?1 AND "
                              "size = ?2", (gint64) MIN (tree_size, G_MAXINT64), NULL);
  if (cp == NULL)
    cp = get_latest_locked (self, NULL);
  stmt = prepare (self, "INSERT INTO ledger_evidence (origin, verified_note, conflicting_note, "
                        "proof, detected_at, kind, entry, entry_index) "
                        "VALUES (?1, ?2, '', ?3, ?4, ?5, ?6, ?7)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, self->origin, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, cp != NULL ? trb_checkpoint_get_signed_note (cp) : "", -1,
                     SQLITE_STATIC);
  if (proof != NULL && n_hashes > 0)
    sqlite3_bind_blob (stmt, 3, proof, n_hashes * TRB_MERKLE_HASH_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (stmt, 5, trb_ledger_tamper_to_string (TRB_LEDGER_TAMPER_EDITED_ENTRY), -1,
                     SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, entry, length, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 7, (gint64) MIN (index, G_MAXINT64));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_storage_error (self, error);

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
  sqlite3 *db;
  g_autoptr(sqlite3_stmt) known = NULL;
  g_autoptr(sqlite3_stmt) pinned = NULL;
  g_autoptr(sqlite3_stmt) latest = NULL;
  g_autoptr(sqlite3_stmt) insert = NULL;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && new_key != NULL, FALSE);

  if (!trb_ledger_history_migrate (store, error))
    return FALSE;
  db = trb_store_get_db (store);
  /* One piece of evidence per key: a client that reconnects keeps finding the same swap. */
  if (sqlite3_prepare_v2 (db, "SELECT 1 FROM ledger_evidence WHERE origin = ?1 AND kind = ?2 "
                          "AND conflicting_key = ?3 AND dismissed_at IS NULL", -1, &known,
                          NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "SELECT vkey FROM ledger_pinned_keys WHERE origin = ?1", -1,
                          &pinned, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "SELECT note FROM ledger_checkpoints WHERE origin = ?1 "
                          "ORDER BY size DESC LIMIT 1", -1, &latest, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "INSERT INTO ledger_evidence (origin, verified_note, "
                          "conflicting_note, detected_at, kind, verified_key, conflicting_key) "
                          "VALUES (?1, coalesce (?2, ''), ?3, ?4, ?5, ?6, ?7)", -1, &insert,
                          NULL) != SQLITE_OK)
    return trb_store_set_error_from_db (store, error);
  sqlite3_bind_text (known, 1, origin, -1, SQLITE_STATIC);
  sqlite3_bind_text (known, 2, trb_ledger_tamper_to_string (TRB_LEDGER_TAMPER_KEY_CHANGED), -1,
                     SQLITE_STATIC);
  sqlite3_bind_text (known, 3, new_key, -1, SQLITE_STATIC);
  if (sqlite3_step (known) != SQLITE_ROW)
    {
      sqlite3_bind_text (pinned, 1, origin, -1, SQLITE_STATIC);
      sqlite3_bind_text (latest, 1, origin, -1, SQLITE_STATIC);
      if (sqlite3_step (latest) == SQLITE_ROW)
        sqlite3_bind_text (insert, 2, (const char *)sqlite3_column_text (latest, 0), -1,
                           SQLITE_TRANSIENT);
      if (sqlite3_step (pinned) == SQLITE_ROW)
        sqlite3_bind_text (insert, 6, (const char *)sqlite3_column_text (pinned, 0), -1,
                           SQLITE_TRANSIENT);
      sqlite3_bind_text (insert, 1, origin, -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 3, new_note != NULL ? new_note : "", -1, SQLITE_STATIC);
      sqlite3_bind_int64 (insert, 4, g_get_real_time () / G_USEC_PER_SEC);
      sqlite3_bind_text (insert, 5, trb_ledger_tamper_to_string (TRB_LEDGER_TAMPER_KEY_CHANGED),
                         -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 7, new_key, -1, SQLITE_STATIC);
      if (sqlite3_step (insert) != SQLITE_DONE)
        return trb_store_set_error_from_db (store, error);
      g_message ("Ledger “%s” changed its key; evidence recorded", origin);
    }
  g_set_error_literal (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY,
                       trb_ledger_tamper_describe (TRB_LEDGER_TAMPER_KEY_CHANGED));
  return FALSE;
}
