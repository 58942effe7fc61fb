/* trb-merkle-log.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The node's append-only log. Two tables: the entries, and the hash of every complete subtree
 * keyed by (level, index), where the node at level l and index i covers the leaves
 * [i·2^l, (i+1)·2^l). Appending leaf n writes its leaf hash and then, for as long as the new
 * node is a right child, its parent: at most log2(n)+1 rows, each needing one read of the left
 * sibling. Any subtree hash that a proof needs is either one of these rows or the right edge of
 * the tree, which is folded from at most log2(n) rows; so proofs cost O(log n) reads.
 *
 * Each append runs inside a SAVEPOINT, so it nests inside a transaction of the caller (the node
 * acknowledges an update only once the entry and its own tables commit together).
 *
 * The statements are the store's (trb_store_begin_statement()): prepared once, used by one
 * thread at a time under the store's lock, and gone with the store's connection when it is
 * closed. Every failure of the store is a TRB_LEDGER_ERROR_STORAGE for the caller.
 */

#define G_LOG_DOMAIN "trb-merkle-log"

#include "config.h"

#include "trb-merkle-log.h"

#include <glib/gi18n.h>
#include <string.h>

#include "trb-ledger-error.h"
#include "store/trb-store-sql.h"

#define SCHEMA \
  "CREATE TABLE IF NOT EXISTS ledger_log_entries (" \
  "  idx INTEGER PRIMARY KEY," \
  "  data BLOB NOT NULL" \
  ");" \
  "CREATE TABLE IF NOT EXISTS ledger_log_nodes (" \
  "  level INTEGER NOT NULL," \
  "  idx INTEGER NOT NULL," \
  "  hash BLOB NOT NULL," \
  "  PRIMARY KEY (level, idx)" \
  ") WITHOUT ROWID;"

#define GET_SIZE_SQL     "SELECT max(idx) FROM ledger_log_entries"
#define INSERT_ENTRY_SQL "INSERT INTO ledger_log_entries (idx, data) VALUES (?1, ?2)"
#define GET_ENTRY_SQL    "SELECT data FROM ledger_log_entries WHERE idx = ?1"
#define INSERT_NODE_SQL  "INSERT INTO ledger_log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)"
#define GET_NODE_SQL     "SELECT hash FROM ledger_log_nodes WHERE level = ?1 AND idx = ?2"

struct _TrbMerkleLog
{
  GObject       parent_instance;

  TrbStore     *store;
  /* One append or proof at a time: an append's reads and writes go together. */
  GMutex        mutex;
};

G_DEFINE_FINAL_TYPE (TrbMerkleLog, trb_merkle_log, G_TYPE_OBJECT)

static void
trb_merkle_log_finalize (GObject *object)
{
  TrbMerkleLog *self = (TrbMerkleLog *)object;

  g_clear_object (&self->store);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (trb_merkle_log_parent_class)->finalize (object);
}

static void
trb_merkle_log_class_init (TrbMerkleLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_merkle_log_finalize;
}

static void
trb_merkle_log_init (TrbMerkleLog *self)
{
  g_mutex_init (&self->mutex);
}

/* Turns a failure of the store (@store_error, taken) into the log's own. */
static gboolean
set_storage_error (GError  *store_error,
                   GError **error)
{
  g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_STORAGE,
               _("The ledger could not be read or written: %s"),
               store_error != NULL ? store_error->message : "?");
  g_clear_error (&store_error);
  return FALSE;
}

static gboolean
exec_sql (TrbMerkleLog  *self,
          const char    *sql,
          GError       **error)
{
  GError *store_error = NULL;

  if (!trb_store_exec (self->store, sql, &store_error))
    return set_storage_error (store_error, error);
  return TRUE;
}

/* The store's statement for @sql, or %NULL with @error set. */
static sqlite3_stmt *
begin_statement (TrbMerkleLog  *self,
                 const char    *sql,
                 GError       **error)
{
  GError *store_error = NULL;
  sqlite3_stmt *stmt = trb_store_begin_statement (self->store, sql, &store_error);

  if (stmt == NULL)
    set_storage_error (store_error, error);
  return stmt;
}

/* Steps @stmt: %SQLITE_ROW or %SQLITE_DONE, or -1 with @error set and the statement ended. */
static int
step (TrbMerkleLog  *self,
      sqlite3_stmt  *stmt,
      GError       **error)
{
  GError *store_error = NULL;
  int rc = trb_store_step (self->store, stmt, &store_error);

  if (rc < 0)
    set_storage_error (store_error, error);
  return rc;
}

static gboolean
step_done (TrbMerkleLog  *self,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  GError *store_error = NULL;

  if (!trb_store_step_done (self->store, stmt, &store_error))
    return set_storage_error (store_error, error);
  return TRUE;
}

/**
 * trb_merkle_log_new_for_store:
 * @store: the store holding the log (migrated as component "ledger-log")
 *
 * Returns: (transfer full): the log, or %NULL with @error set
 */
TrbMerkleLog *
trb_merkle_log_new_for_store (TrbStore  *store,
                              GError   **error)
{
  static const char * const steps[] = { SCHEMA };
  g_autoptr(TrbMerkleLog) self = NULL;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  if (!trb_store_migrate (store, "ledger-log", steps, G_N_ELEMENTS (steps), error))
    return NULL;

  self = g_object_new (TRB_TYPE_MERKLE_LOG, NULL);
  self->store = g_object_ref (store);

  return g_steal_pointer (&self);
}

static gboolean
read_size (TrbMerkleLog  *self,
           guint64       *size,
           GError       **error)
{
  sqlite3_stmt *stmt = begin_statement (self, GET_SIZE_SQL, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = step (self, stmt, error);
  if (rc < 0)
    return FALSE;
  if (rc != SQLITE_ROW || sqlite3_column_type (stmt, 0) == SQLITE_NULL)
    *size = 0;
  else
    *size = (guint64)sqlite3_column_int64 (stmt, 0) + 1;
  trb_store_end_statement (self->store, stmt);
  return TRUE;
}

/**
 * trb_merkle_log_get_size:
 * @size: (out): the number of entries
 *
 * The size is read from the database each time, so it is right even after a transaction of
 * the caller was rolled back.
 */
gboolean
trb_merkle_log_get_size (TrbMerkleLog  *self,
                         guint64       *size,
                         GError       **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (TRB_IS_MERKLE_LOG (self), FALSE);
  g_return_val_if_fail (size != NULL, FALSE);

  locker = g_mutex_locker_new (&self->mutex);
  return read_size (self, size, error);
}

static gboolean
read_node (TrbMerkleLog  *self,
           guint          level,
           guint64        index,
           guint8         out[TRB_MERKLE_HASH_SIZE],
           GError       **error)
{
  sqlite3_stmt *stmt = begin_statement (self, GET_NODE_SQL, error);
  gboolean found;
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, level);
  sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)index);
  rc = step (self, stmt, error);
  if (rc < 0)
    return FALSE;
  found = rc == SQLITE_ROW && sqlite3_column_bytes (stmt, 0) == TRB_MERKLE_HASH_SIZE;
  if (found)
    memcpy (out, sqlite3_column_blob (stmt, 0), TRB_MERKLE_HASH_SIZE);
  trb_store_end_statement (self->store, stmt);

  if (!found)
    g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_STORAGE,
                 _("The ledger’s stored hashes are incomplete or damaged."));
  return found;
}

static gboolean
write_node (TrbMerkleLog  *self,
            guint          level,
            guint64        index,
            const guint8   hash[TRB_MERKLE_HASH_SIZE],
            GError       **error)
{
  sqlite3_stmt *stmt = begin_statement (self, INSERT_NODE_SQL, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, level);
  sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)index);
  sqlite3_bind_blob (stmt, 3, hash, TRB_MERKLE_HASH_SIZE, SQLITE_STATIC);
  return step_done (self, stmt, error);
}

static gboolean
append_locked (TrbMerkleLog  *self,
               const guint8  *entry,
               gsize          length,
               guint64       *out_index,
               GError       **error)
{
  guint8 hash[TRB_MERKLE_HASH_SIZE];
  guint64 size;
  guint64 i;
  guint level;
  sqlite3_stmt *stmt;

  if (!read_size (self, &size, error))
    return FALSE;

  stmt = begin_statement (self, INSERT_ENTRY_SQL, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)size);
  /* A NULL pointer would bind SQL NULL; the empty entry is an empty blob. */
  sqlite3_bind_blob (stmt, 2, length > 0 ? (const void *)entry : "", length, SQLITE_STATIC);
  if (!step_done (self, stmt, error))
    return FALSE;

  trb_merkle_hash_leaf (entry, length, hash);
  if (!write_node (self, 0, size, hash, error))
    return FALSE;

  /* While the new node is a right child, its parent's subtree is now complete. */
  for (i = size, level = 0; i & 1; i >>= 1, level++)
    {
      guint8 left[TRB_MERKLE_HASH_SIZE];

      if (!read_node (self, level, i - 1, left, error))
        return FALSE;
      trb_merkle_hash_children (left, hash, hash);
      if (!write_node (self, level + 1, i >> 1, hash, error))
        return FALSE;
    }

  if (out_index != NULL)
    *out_index = size;
  return TRUE;
}

/**
 * trb_merkle_log_append:
 * @entry: (array length=length): the entry's bytes (at most %TRB_MERKLE_LOG_MAX_ENTRY_SIZE)
 * @index: (out) (optional): the index of the new leaf
 *
 * Appends one entry. Runs in a SAVEPOINT: atomic on its own, and part of the caller's
 * transaction when there is one.
 */
gboolean
trb_merkle_log_append (TrbMerkleLog  *self,
                       const guint8  *entry,
                       gsize          length,
                       guint64       *index,
                       GError       **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (TRB_IS_MERKLE_LOG (self), FALSE);
  g_return_val_if_fail (entry != NULL || length == 0, FALSE);

  if (length > TRB_MERKLE_LOG_MAX_ENTRY_SIZE)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE,
                   _("The ledger entry is too large."));
      return FALSE;
    }

  locker = g_mutex_locker_new (&self->mutex);

  if (!exec_sql (self, "SAVEPOINT trb_merkle_log_append", error))
    return FALSE;

  if (!append_locked (self, entry, length, index, error))
    {
      g_autoptr(GError) rollback_error = NULL;

      /* The append's own error goes to the caller; one of undoing it is logged beside it. */
      if (!exec_sql (self, "ROLLBACK TO trb_merkle_log_append; RELEASE trb_merkle_log_append",
                     &rollback_error))
        g_warning ("%s", rollback_error->message);
      return FALSE;
    }

  return exec_sql (self, "RELEASE trb_merkle_log_append", error);
}

/**
 * trb_merkle_log_get_entry:
 *
 * Returns: (transfer full): the entry at @index, or %NULL with @error set
 */
GBytes *
trb_merkle_log_get_entry (TrbMerkleLog  *self,
                          guint64        index,
                          GError       **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  GBytes *bytes = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (TRB_IS_MERKLE_LOG (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);

  stmt = begin_statement (self, GET_ENTRY_SQL, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)index);
  rc = step (self, stmt, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    bytes = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
  else
    g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_NOT_FOUND,
                 _("The ledger has no entry number %llu."), (unsigned long long) index);
  trb_store_end_statement (self->store, stmt);

  return bytes;
}

static guint64
split_point (guint64 n)
{
  guint64 k = 1;

  g_assert (n >= 2);
  while (k << 1 < n)
    k <<= 1;
  return k;
}

/* The hash of the n leaves starting at lo, where lo is a multiple of the largest power of two
 * not above n (true of every subtree RFC 9162's proofs name). */
static gboolean
subtree_hash (TrbMerkleLog  *self,
              guint64        lo,
              guint64        n,
              guint8         out[TRB_MERKLE_HASH_SIZE],
              GError       **error)
{
  guint8 right[TRB_MERKLE_HASH_SIZE];
  guint64 k;

  g_assert (n >= 1);

  if ((n & (n - 1)) == 0)
    {
      guint level = g_bit_nth_lsf (n, -1);

      g_assert (lo % n == 0);
      return read_node (self, level, lo >> level, out, error);
    }

  k = split_point (n);
  if (!subtree_hash (self, lo, k, out, error) ||
      !subtree_hash (self, lo + k, n - k, right, error))
    return FALSE;
  trb_merkle_hash_children (out, right, out);
  return TRUE;
}

static gboolean
check_size (TrbMerkleLog  *self,
            guint64        tree_size,
            GError       **error)
{
  guint64 size;

  if (!read_size (self, &size, error))
    return FALSE;
  if (tree_size > size)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_NOT_FOUND,
                   g_dngettext (GETTEXT_PACKAGE,
                                /* Translators: the entries the ledger has, then those asked
                                 * for. */
                                "The ledger has only %llu entry, not %llu.",
                                "The ledger has only %llu entries, not %llu.", size),
                   (unsigned long long) size, (unsigned long long) tree_size);
      return FALSE;
    }
  return TRUE;
}

/**
 * trb_merkle_log_get_root:
 * @tree_size: any size up to the current one
 *
 * Computes the tree head of the first @tree_size entries.
 */
gboolean
trb_merkle_log_get_root (TrbMerkleLog  *self,
                         guint64        tree_size,
                         guint8         out[TRB_MERKLE_HASH_SIZE],
                         GError       **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (TRB_IS_MERKLE_LOG (self), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  locker = g_mutex_locker_new (&self->mutex);

  if (!check_size (self, tree_size, error))
    return FALSE;
  if (tree_size == 0)
    {
      trb_merkle_empty_root (out);
      return TRUE;
    }
  return subtree_hash (self, 0, tree_size, out, error);
}

static gboolean
append_subtree (TrbMerkleLog  *self,
                GByteArray    *proof,
                guint64        lo,
                guint64        n,
                GError       **error)
{
  guint8 hash[TRB_MERKLE_HASH_SIZE];

  if (!subtree_hash (self, lo, n, hash, error))
    return FALSE;
  g_byte_array_append (proof, hash, sizeof hash);
  return TRUE;
}

/* PATH(m, D[lo:lo+n]) of RFC 9162, section 2.1.3.1. */
static gboolean
inclusion_path (TrbMerkleLog  *self,
                GByteArray    *proof,
                guint64        m,
                guint64        lo,
                guint64        n,
                GError       **error)
{
  guint64 k;

  if (n == 1)
    return TRUE;

  k = split_point (n);
  if (m < k)
    return inclusion_path (self, proof, m, lo, k, error) &&
           append_subtree (self, proof, lo + k, n - k, error);
  else
    return inclusion_path (self, proof, m - k, lo + k, n - k, error) &&
           append_subtree (self, proof, lo, k, error);
}

/**
 * trb_merkle_log_get_inclusion_proof:
 * @index: the leaf
 * @tree_size: the size of the tree to prove inclusion in (more than @index, at most the size)
 *
 * Returns: (transfer full): the proof, 32 bytes per hash, or %NULL with @error set
 */
GByteArray *
trb_merkle_log_get_inclusion_proof (TrbMerkleLog  *self,
                                    guint64        index,
                                    guint64        tree_size,
                                    GError       **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GByteArray) proof = NULL;

  g_return_val_if_fail (TRB_IS_MERKLE_LOG (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);

  if (!check_size (self, tree_size, error))
    return NULL;
  if (index >= tree_size)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_NOT_FOUND,
                   g_dngettext (GETTEXT_PACKAGE,
                                /* Translators: the entry's number, then the size of the ledger
                                 * asked for, which chooses the plural form. */
                                "The ledger has no entry number %llu in its first %llu entry.",
                                "The ledger has no entry number %llu in its first %llu entries.",
                                (gulong) MIN (tree_size, G_MAXULONG)),
                   (unsigned long long) index, (unsigned long long) tree_size);
      return NULL;
    }

  proof = g_byte_array_sized_new (64 * TRB_MERKLE_HASH_SIZE);
  if (!inclusion_path (self, proof, index, 0, tree_size, error))
    return NULL;

  return g_steal_pointer (&proof);
}

/* SUBPROOF(m, D[lo:lo+n], b) of RFC 9162, section 2.1.4.1. */
static gboolean
consistency_subproof (TrbMerkleLog  *self,
                      GByteArray    *proof,
                      guint64        m,
                      guint64        lo,
                      guint64        n,
                      gboolean       complete,
                      GError       **error)
{
  guint64 k;

  if (m == n)
    return complete ? TRUE : append_subtree (self, proof, lo, n, error);

  k = split_point (n);
  if (m <= k)
    return consistency_subproof (self, proof, m, lo, k, complete, error) &&
           append_subtree (self, proof, lo + k, n - k, error);
  else
    return consistency_subproof (self, proof, m - k, lo + k, n - k, FALSE, error) &&
           append_subtree (self, proof, lo, k, error);
}

/**
 * trb_merkle_log_get_consistency_proof:
 * @size1: the older size
 * @size2: the newer size (at least @size1, at most the size)
 *
 * Returns: (transfer full): the proof (empty when @size1 is 0 or equals @size2), or %NULL with
 *   @error set
 */
GByteArray *
trb_merkle_log_get_consistency_proof (TrbMerkleLog  *self,
                                      guint64        size1,
                                      guint64        size2,
                                      GError       **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GByteArray) proof = NULL;

  g_return_val_if_fail (TRB_IS_MERKLE_LOG (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);

  if (!check_size (self, size2, error))
    return NULL;
  if (size1 > size2)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("A ledger cannot be proved consistent with a larger, older version."));
      return NULL;
    }

  proof = g_byte_array_sized_new (64 * TRB_MERKLE_HASH_SIZE);
  if (size1 > 0 && size1 < size2 &&
      !consistency_subproof (self, proof, size1, 0, size2, TRUE, error))
    return NULL;

  return g_steal_pointer (&proof);
}
