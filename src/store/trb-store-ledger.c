/* trb-store-ledger.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ledger histories' tables (component "ledger"): the key pinned for each ledger, the
 * checkpoints verified, and the evidence of tampering found. Every write announces itself as
 * `TrbStore::changed::ledger`, with the ledger's origin line.
 */

#define G_LOG_DOMAIN "trb-store-ledger"

#include "config.h"

#include "trb-store-ledger.h"
#include "trb-store-sql.h"

static const char * const ledger_schema[] = {
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

void
trb_store_ledger_evidence_free (TrbStoreLedgerEvidence *evidence)
{
  if (evidence == NULL)
    return;
  g_free (evidence->verified_note);
  g_free (evidence->conflicting_note);
  g_free (evidence->kind);
  g_free (evidence->entry);
  g_clear_pointer (&evidence->proof, g_bytes_unref);
  g_free (evidence->verified_key);
  g_free (evidence->conflicting_key);
  g_free (evidence);
}

static char *
dup_column (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Runs @stmt, a write, to its end and announces it. */
static gboolean
write_done (TrbStore      *store,
            sqlite3_stmt  *stmt,
            const char    *origin,
            GError       **error)
{
  if (!trb_store_step_done (store, stmt, error))
    return FALSE;
  trb_store_emit_changed (store, TRB_STORE_CHANGE_LEDGER, origin);
  return TRUE;
}

/* Runs @stmt, bound to @origin as ?1, and gives its first row's first column as text, if
 * any. */
static gboolean
read_text (TrbStore      *store,
           sqlite3_stmt  *stmt,
           gboolean      *found,
           char         **text,
           GError       **error)
{
  int rc = trb_store_step (store, stmt, error);

  if (rc < 0)
    return FALSE;
  if (found != NULL)
    *found = rc == SQLITE_ROW;
  if (text != NULL)
    *text = rc == SQLITE_ROW ? dup_column (stmt, 0) : NULL;
  trb_store_end_statement (store, stmt);
  return TRUE;
}

/**
 * trb_store_ledger_migrate:
 *
 * Creates or updates the tables of component "ledger".
 */
gboolean
trb_store_ledger_migrate (TrbStore  *store,
                          GError   **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);

  return trb_store_migrate (store, "ledger", ledger_schema, G_N_ELEMENTS (ledger_schema), error);
}

/**
 * trb_store_ledger_get_pinned_key:
 * @vkey: (out) (transfer full) (nullable): the key pinned for @origin, %NULL when none was
 */
gboolean
trb_store_ledger_get_pinned_key (TrbStore    *store,
                                 const char  *origin,
                                 char       **vkey,
                                 GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && vkey != NULL, FALSE);

  *vkey = NULL;
  stmt = trb_store_begin_statement (store, "SELECT vkey FROM ledger_pinned_keys "
                                    "WHERE origin = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  return read_text (store, stmt, NULL, vkey, error);
}

gboolean
trb_store_ledger_pin_key (TrbStore    *store,
                          const char  *origin,
                          const char  *vkey,
                          GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && vkey != NULL, FALSE);

  stmt = trb_store_begin_statement (store, "INSERT INTO ledger_pinned_keys (origin, vkey, "
                                    "pinned_at) VALUES (?1, ?2, ?3)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, vkey, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time () / G_USEC_PER_SEC);
  return write_done (store, stmt, origin, error);
}

/**
 * trb_store_ledger_get_checkpoint_note:
 * @size: the checkpoint's tree size, or -1 for the newest checkpoint
 * @note: (out) (transfer full) (nullable): its signed note, %NULL when there is none
 */
gboolean
trb_store_ledger_get_checkpoint_note (TrbStore    *store,
                                      const char  *origin,
                                      gint64       size,
                                      char       **note,
                                      GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && note != NULL, FALSE);

  *note = NULL;
  stmt = trb_store_begin_statement (store,
                                    size < 0
                                      ? "SELECT note FROM ledger_checkpoints WHERE origin = ?1 "
                                        "ORDER BY size DESC LIMIT 1"
                                      : "SELECT note FROM ledger_checkpoints WHERE origin = ?1 "
                                        "AND size = ?2",
                                    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  if (size >= 0)
    sqlite3_bind_int64 (stmt, 2, size);
  return read_text (store, stmt, NULL, note, error);
}

/**
 * trb_store_ledger_add_checkpoint:
 *
 * Writes down a verified checkpoint; one already written down for that size stays.
 */
gboolean
trb_store_ledger_add_checkpoint (TrbStore      *store,
                                 const char    *origin,
                                 gint64         size,
                                 const guint8  *root,
                                 gsize          root_size,
                                 const char    *note,
                                 GError       **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && root != NULL && note != NULL, FALSE);

  stmt = trb_store_begin_statement (store, "INSERT OR IGNORE INTO ledger_checkpoints (origin, "
                                    "size, root, note, verified_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                                    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, size);
  sqlite3_bind_blob (stmt, 3, root, (int) root_size, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, note, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, g_get_real_time () / G_USEC_PER_SEC);
  return write_done (store, stmt, origin, error);
}

/**
 * trb_store_ledger_first_evidence_kind:
 * @found: (out): whether evidence that still stands (not dismissed) was found
 * @kind: (out) (transfer full) (nullable): the kind of the first such evidence
 */
gboolean
trb_store_ledger_first_evidence_kind (TrbStore    *store,
                                      const char  *origin,
                                      gboolean    *found,
                                      char       **kind,
                                      GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && found != NULL, FALSE);

  *found = FALSE;
  if (kind != NULL)
    *kind = NULL;
  stmt = trb_store_begin_statement (store, "SELECT kind FROM ledger_evidence WHERE origin = ?1 "
                                    "AND dismissed_at IS NULL ORDER BY id LIMIT 1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  return read_text (store, stmt, found, kind, error);
}

/**
 * trb_store_ledger_has_key_evidence:
 * @found: (out): whether evidence of @kind naming @key as the conflicting key still stands
 */
gboolean
trb_store_ledger_has_key_evidence (TrbStore    *store,
                                   const char  *origin,
                                   const char  *kind,
                                   const char  *key,
                                   gboolean    *found,
                                   GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && kind != NULL && key != NULL && found != NULL, FALSE);

  *found = FALSE;
  stmt = trb_store_begin_statement (store, "SELECT 1 FROM ledger_evidence WHERE origin = ?1 "
                                    "AND kind = ?2 AND conflicting_key = ?3 AND "
                                    "dismissed_at IS NULL", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, key, -1, SQLITE_TRANSIENT);
  return read_text (store, stmt, found, NULL, error);
}

/**
 * trb_store_ledger_trust_again:
 *
 * Dismisses the evidence that stands for @origin and forgets its verified checkpoints, both
 * or neither.
 */
gboolean
trb_store_ledger_trust_again (TrbStore    *store,
                              const char  *origin,
                              GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);

  if (!trb_store_exec (store, "SAVEPOINT trust_again", error))
    return FALSE;

  stmt = trb_store_begin_statement (store, "UPDATE ledger_evidence SET dismissed_at = ?2 "
                                    "WHERE origin = ?1 AND dismissed_at IS NULL", error);
  if (stmt == NULL)
    goto failed;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC);
  if (!trb_store_step_done (store, stmt, error))
    goto failed;

  stmt = trb_store_begin_statement (store, "DELETE FROM ledger_checkpoints WHERE origin = ?1",
                                    error);
  if (stmt == NULL)
    goto failed;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  if (!trb_store_step_done (store, stmt, error))
    goto failed;

  if (!trb_store_exec (store, "RELEASE trust_again", error))
    return FALSE;
  trb_store_emit_changed (store, TRB_STORE_CHANGE_LEDGER, origin);
  return TRUE;

failed:
  trb_store_exec (store, "ROLLBACK TO trust_again; RELEASE trust_again", NULL);
  return FALSE;
}

/**
 * trb_store_ledger_add_fork_evidence:
 * @proof: (array length=proof_size) (nullable): the consistency proof served, if any
 *
 * Writes down two checkpoints that cannot both be true.
 */
gboolean
trb_store_ledger_add_fork_evidence (TrbStore      *store,
                                    const char    *origin,
                                    const char    *kind,
                                    const char    *verified_note,
                                    const char    *conflicting_note,
                                    gsize          conflicting_length,
                                    const guint8  *proof,
                                    gsize          proof_size,
                                    GError       **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && kind != NULL && verified_note != NULL, FALSE);
  g_return_val_if_fail (conflicting_note != NULL && conflicting_length <= G_MAXINT, FALSE);

  stmt = trb_store_begin_statement (store, "INSERT INTO ledger_evidence (origin, verified_note, "
                                    "conflicting_note, proof, detected_at, kind) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, verified_note, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, conflicting_note, (int) conflicting_length, SQLITE_TRANSIENT);
  if (proof != NULL && proof_size > 0)
    sqlite3_bind_blob (stmt, 4, proof, (int) proof_size, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (stmt, 6, kind, -1, SQLITE_TRANSIENT);
  return write_done (store, stmt, origin, error);
}

/**
 * trb_store_ledger_add_entry_evidence:
 * @verified_note: the checkpoint that the entry does not fit, or ""
 * @proof: (array length=proof_size) (nullable): the inclusion proof served, if any
 *
 * Writes down an entry served differently from what was signed.
 */
gboolean
trb_store_ledger_add_entry_evidence (TrbStore      *store,
                                     const char    *origin,
                                     const char    *kind,
                                     const char    *verified_note,
                                     const guint8  *proof,
                                     gsize          proof_size,
                                     const char    *entry,
                                     gsize          entry_length,
                                     gint64         entry_index,
                                     GError       **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && kind != NULL && verified_note != NULL, FALSE);
  g_return_val_if_fail (entry_length <= G_MAXINT, FALSE);

  stmt = trb_store_begin_statement (store, "INSERT INTO ledger_evidence (origin, verified_note, "
                                    "conflicting_note, proof, detected_at, kind, entry, "
                                    "entry_index) VALUES (?1, ?2, '', ?3, ?4, ?5, ?6, ?7)",
                                    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, verified_note, -1, SQLITE_TRANSIENT);
  if (proof != NULL && proof_size > 0)
    sqlite3_bind_blob (stmt, 3, proof, (int) proof_size, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (stmt, 5, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, entry != NULL ? entry : "", (int) entry_length, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 7, entry_index);
  return write_done (store, stmt, origin, error);
}

/**
 * trb_store_ledger_add_key_evidence:
 * @verified_note: (nullable): the newest checkpoint signed with the pinned key
 * @conflicting_note: what the network signs now, or ""
 * @verified_key: (nullable): the key pinned
 * @conflicting_key: the key the network uses now
 *
 * Writes down a changed ledger key.
 */
gboolean
trb_store_ledger_add_key_evidence (TrbStore    *store,
                                   const char  *origin,
                                   const char  *kind,
                                   const char  *verified_note,
                                   const char  *conflicting_note,
                                   const char  *verified_key,
                                   const char  *conflicting_key,
                                   GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);
  g_return_val_if_fail (origin != NULL && kind != NULL && conflicting_note != NULL, FALSE);
  g_return_val_if_fail (conflicting_key != NULL, FALSE);

  stmt = trb_store_begin_statement (store, "INSERT INTO ledger_evidence (origin, verified_note, "
                                    "conflicting_note, detected_at, kind, verified_key, "
                                    "conflicting_key) "
                                    "VALUES (?1, coalesce (?2, ''), ?3, ?4, ?5, ?6, ?7)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  if (verified_note != NULL)
    sqlite3_bind_text (stmt, 2, verified_note, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, conflicting_note, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (stmt, 5, kind, -1, SQLITE_TRANSIENT);
  if (verified_key != NULL)
    sqlite3_bind_text (stmt, 6, verified_key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, conflicting_key, -1, SQLITE_TRANSIENT);
  return write_done (store, stmt, origin, error);
}

static gpointer
evidence_from_row (sqlite3_stmt *stmt,
                   gpointer      user_data)
{
  TrbStoreLedgerEvidence *e = g_new0 (TrbStoreLedgerEvidence, 1);

  e->verified_note = dup_column (stmt, 0);
  e->conflicting_note = dup_column (stmt, 1);
  e->detected_at = sqlite3_column_int64 (stmt, 2);
  e->kind = dup_column (stmt, 3);
  e->entry = dup_column (stmt, 4);
  e->entry_index = sqlite3_column_int64 (stmt, 5);
  if (sqlite3_column_type (stmt, 6) == SQLITE_BLOB)
    e->proof = g_bytes_new (sqlite3_column_blob (stmt, 6), sqlite3_column_bytes (stmt, 6));
  e->verified_key = dup_column (stmt, 7);
  e->conflicting_key = dup_column (stmt, 8);
  return e;
}

/**
 * trb_store_ledger_list_evidence:
 *
 * Returns: (transfer container) (element-type TrbStoreLedgerEvidence): all evidence for
 *   @origin, dismissed or not, oldest first; or %NULL with @error set
 */
GPtrArray *
trb_store_ledger_list_evidence (TrbStore    *store,
                                const char  *origin,
                                GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  stmt = trb_store_begin_statement (store, "SELECT verified_note, conflicting_note, "
                                    "detected_at, kind, entry, entry_index, proof, "
                                    "verified_key, conflicting_key FROM ledger_evidence "
                                    "WHERE origin = ?1 ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);

  return trb_store_collect_rows (store, stmt, evidence_from_row, NULL,
                                 (GDestroyNotify) trb_store_ledger_evidence_free, error);
}
