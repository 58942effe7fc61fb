/* trb-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The local SQLite store. One file, in WAL mode, and one connection, shared by every area of
 * the program: the application opens it once and hands it to each area. Each area's tables and
 * statements live in a trb-store-<area>.c beside this file, migrated through
 * trb_store_migrate() under a component name. Statements are prepared once and kept
 * (trb_store_begin_statement()); every failure becomes a TRB_STORE_ERROR for the caller; every
 * write announces itself with TrbStore::changed, on the thread that opened the store.
 */

#define G_LOG_DOMAIN "trb-store"

#include "config.h"

#include "trb-store.h"
#include "trb-store-sql.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

struct _TrbStore
{
  GObject       parent_instance;

  char         *path;
  sqlite3      *db;
  /* Held from trb_store_begin_statement() to trb_store_end_statement(), so that a cached
   * statement is used by one thread at a time; recursive, for statements run inside a
   * migration or inside another statement's use. */
  GRecMutex     mutex;
  /* The mutex is held once more for as long as a transaction is open (sync_transaction()):
   * the connection is shared by threads, and a statement of one must not land inside
   * another's BEGIN … COMMIT. */
  gboolean      in_transaction;
  /* SQL text → sqlite3_stmt, prepared once with SQLITE_PREPARE_PERSISTENT. */
  GHashTable   *statements;
  /* TrbStore::changed is emitted here, on the thread that opened the store. */
  GMainContext *context;
  GThread      *owner;
};

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TrbStore, trb_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (trb-store-error-quark, trb_store_error)

static void
trb_store_finalize (GObject *object)
{
  TrbStore *self = (TrbStore *)object;

  trb_store_close (self);
  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_rec_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (trb_store_parent_class)->finalize (object);
}

static void
trb_store_class_init (TrbStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_store_finalize;

  /**
   * TrbStore::changed:
   * @self: the store
   * @kind: what changed, one of the `TRB_STORE_CHANGE_*` names (also the signal's detail)
   * @origin: (nullable): the network it changed for, when it concerns one
   *
   * Emitted after a write has been committed, on the thread that opened the store, so that
   * every area sharing the store shows the change without polling. Connect to
   * `changed::history` for one kind only.
   */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
trb_store_init (TrbStore *self)
{
  g_rec_mutex_init (&self->mutex);
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) sqlite3_finalize);
  self->context = g_main_context_ref_thread_default ();
  self->owner = g_thread_self ();
}

/* Called with the mutex held: takes it once more when a transaction has begun, gives that back
 * once it has ended (committed, rolled back, or rolled back by SQLite itself on an error). */
static void
sync_transaction (TrbStore *self)
{
  gboolean open = self->db != NULL && !sqlite3_get_autocommit (self->db);

  if (open && !self->in_transaction)
    {
      g_rec_mutex_lock (&self->mutex);
      self->in_transaction = TRUE;
    }
  else if (!open && self->in_transaction)
    {
      self->in_transaction = FALSE;
      g_rec_mutex_unlock (&self->mutex);
    }
}

static gboolean
set_closed_error (GError **error)
{
  g_set_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_CLOSED,
               _("The local database is closed"));
  return FALSE;
}

/**
 * trb_store_close:
 *
 * Closes the connection: what follows fails with %TRB_STORE_ERROR_CLOSED instead of writing.
 * The application closes its store when it quits, after the areas have stopped.
 */
void
trb_store_close (TrbStore *self)
{
  g_return_if_fail (TRB_IS_STORE (self));

  g_rec_mutex_lock (&self->mutex);
  g_hash_table_remove_all (self->statements);
  g_clear_pointer (&self->db, sqlite3_close_v2);
  sync_transaction (self);
  g_rec_mutex_unlock (&self->mutex);
}

gboolean
trb_store_is_closed (TrbStore *self)
{
  g_return_val_if_fail (TRB_IS_STORE (self), TRUE);

  return self->db == NULL;
}

typedef struct
{
  TrbStore *store;
  char     *kind;
  char     *origin;
} Change;

static void
change_free (gpointer data)
{
  Change *change = data;

  g_object_unref (change->store);
  g_free (change->kind);
  g_free (change->origin);
  g_free (change);
}

static gboolean
emit_change_cb (gpointer data)
{
  Change *change = data;

  g_signal_emit (change->store, signals[SIGNAL_CHANGED], g_quark_from_string (change->kind),
                 change->kind, change->origin);
  return G_SOURCE_REMOVE;
}

/**
 * trb_store_emit_changed:
 * @kind: what changed, a `TRB_STORE_CHANGE_*` name
 * @origin: (nullable): the network it changed for
 *
 * Announces a committed write with TrbStore::changed. Called by the store's own operations;
 * from a worker thread, the signal follows on the thread that opened the store.
 */
void
trb_store_emit_changed (TrbStore   *self,
                        const char *kind,
                        const char *origin)
{
  Change *change;
  GSource *source;

  g_return_if_fail (TRB_IS_STORE (self));
  g_return_if_fail (kind != NULL);

  if (g_thread_self () == self->owner)
    {
      g_signal_emit (self, signals[SIGNAL_CHANGED], g_quark_from_string (kind), kind, origin);
      return;
    }

  change = g_new0 (Change, 1);
  change->store = g_object_ref (self);
  change->kind = g_strdup (kind);
  change->origin = g_strdup (origin);
  /* An idle source, not g_main_context_invoke(): that would run the handlers on this thread
   * when no thread holds the context. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, emit_change_cb, change, change_free);
  g_source_set_static_name (source, "[trb] TrbStore::changed");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/**
 * trb_store_default_path:
 *
 * Returns: (transfer full): `$XDG_DATA_HOME/tributary/tributary.db`
 */
char *
trb_store_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "tributary", "tributary.db", NULL);
}

/**
 * trb_store_set_error_from_db:
 *
 * Sets @error from the last SQLite error of the store's connection.
 *
 * Returns: %FALSE, so that callers can `return trb_store_set_error_from_db (…)`.
 */
gboolean
trb_store_set_error_from_db (TrbStore  *self,
                             GError   **error)
{
  g_return_val_if_fail (TRB_IS_STORE (self), FALSE);

  if (self->db == NULL)
    return set_closed_error (error);
  g_set_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_QUERY,
               _("The local database could not be updated: %s"), sqlite3_errmsg (self->db));
  return FALSE;
}

/**
 * trb_store_new_for_path:
 * @path: the database file; its folder is created (mode 0700) when missing
 *
 * Opens or creates the store. The connection is serialized, so the store may be used from
 * worker threads.
 *
 * Returns: (transfer full): the store, or %NULL with @error set
 */
TrbStore *
trb_store_new_for_path (const char  *path,
                        GError     **error)
{
  g_autoptr(TrbStore) self = NULL;
  g_autofree char *dir = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;
      g_set_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_OPEN,
                   /* Translators: the folder's path, then the reason. */
                   _("Could not create the folder %s: %s"), dir, g_strerror (errsv));
      return NULL;
    }

  self = g_object_new (TRB_TYPE_STORE, NULL);
  self->path = g_strdup (path);

  rc = sqlite3_open_v2 (path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_OPEN,
                   /* Translators: the database file's path, then the reason. */
                   _("Could not open the local database %s: %s"),
                   path, self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }

  sqlite3_busy_timeout (self->db, 5000);
  sqlite3_extended_result_codes (self->db, 1);

  if (!trb_store_exec (self,
                       "PRAGMA journal_mode=WAL;"
                       "PRAGMA synchronous=FULL;"
                       "PRAGMA foreign_keys=ON;"
                       "CREATE TABLE IF NOT EXISTS schema_versions ("
                       "  component TEXT PRIMARY KEY,"
                       "  version INTEGER NOT NULL"
                       ");",
                       error))
    return NULL;

  /* Not secret, but private: the store says which networks and datasets one uses. */
  g_chmod (path, 0600);

  return g_steal_pointer (&self);
}

const char *
trb_store_get_path (TrbStore *self)
{
  g_return_val_if_fail (TRB_IS_STORE (self), NULL);

  return self->path;
}

/**
 * trb_store_get_db:
 *
 * For the store layer only (trb-store-sql.h).
 *
 * Returns: (transfer none) (nullable): the SQLite connection, opened in serialized mode, or
 *   %NULL once the store is closed
 */
sqlite3 *
trb_store_get_db (TrbStore *self)
{
  g_return_val_if_fail (TRB_IS_STORE (self), NULL);

  return self->db;
}

gboolean
trb_store_exec (TrbStore    *self,
                const char  *sql,
                GError     **error)
{
  g_autoptr(GRecMutexLocker) locker = NULL;
  char *errmsg = NULL;
  int rc;

  g_return_val_if_fail (TRB_IS_STORE (self), FALSE);
  g_return_val_if_fail (sql != NULL, FALSE);

  locker = g_rec_mutex_locker_new (&self->mutex);
  if (self->db == NULL)
    return set_closed_error (error);
  rc = sqlite3_exec (self->db, sql, NULL, NULL, &errmsg);
  sync_transaction (self);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_QUERY,
                   _("The local database could not be updated: %s"),
                   errmsg ? errmsg : sqlite3_errmsg (self->db));
      sqlite3_free (errmsg);
      return FALSE;
    }

  return TRUE;
}

/**
 * trb_store_get_schema_version:
 * @component: the domain that owns some tables, for example "wallet"
 *
 * Returns: how many migration steps of @component have been applied, or 0
 */
int
trb_store_get_schema_version (TrbStore   *self,
                              const char *component)
{
  sqlite3_stmt *stmt;
  int version = 0;

  g_return_val_if_fail (TRB_IS_STORE (self), 0);
  g_return_val_if_fail (component != NULL, 0);

  stmt = trb_store_begin_statement (self, "SELECT version FROM schema_versions "
                                    "WHERE component = ?1", NULL);
  if (stmt == NULL)
    return 0;

  sqlite3_bind_text (stmt, 1, component, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  trb_store_end_statement (self, stmt);

  return version;
}

/**
 * trb_store_migrate:
 * @component: the domain that owns the tables, for example "datasets"
 * @steps: (array length=n_steps): SQL for each schema version, oldest first
 * @n_steps: the number of steps
 *
 * Applies the steps of @component that have not been applied yet, all in one transaction, so
 * that a crash half-way leaves the previous schema intact. A store written by a newer version
 * (more steps than known) is refused rather than misread.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_store_migrate (TrbStore           *self,
                   const char         *component,
                   const char * const *steps,
                   guint               n_steps,
                   GError            **error)
{
  g_autoptr(GRecMutexLocker) locker = NULL;
  sqlite3_stmt *stmt;
  int current;

  g_return_val_if_fail (TRB_IS_STORE (self), FALSE);
  g_return_val_if_fail (component != NULL, FALSE);
  g_return_val_if_fail (steps != NULL || n_steps == 0, FALSE);

  locker = g_rec_mutex_locker_new (&self->mutex);

  if (!trb_store_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;

  current = trb_store_get_schema_version (self, component);
  if (current > (int)n_steps)
    {
      trb_store_exec (self, "ROLLBACK", NULL);
      g_set_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_TOO_NEW,
                   _("The local database was written by a newer version of Tributary. "
                     "Update Tributary to use it."));
      return FALSE;
    }

  for (guint i = current; i < n_steps; i++)
    {
      if (!trb_store_exec (self, steps[i], error))
        {
          trb_store_exec (self, "ROLLBACK", NULL);
          return FALSE;
        }
    }

  stmt = trb_store_begin_statement (self,
                                    "INSERT INTO schema_versions (component, version) "
                                    "VALUES (?1, ?2) ON CONFLICT(component) "
                                    "DO UPDATE SET version = excluded.version", error);
  if (stmt == NULL)
    {
      trb_store_exec (self, "ROLLBACK", NULL);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, component, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 2, (int)n_steps);
  if (!trb_store_step_done (self, stmt, error))
    {
      trb_store_exec (self, "ROLLBACK", NULL);
      return FALSE;
    }

  return trb_store_exec (self, "COMMIT", error);
}

/**
 * trb_store_begin_statement:
 * @sql: the statement's text, usually a string literal
 *
 * Gives the statement for @sql, prepared on first use and kept for the store's life, reset
 * and with no bindings. The store is held for the calling thread until
 * trb_store_end_statement() (trb_store_step_done() calls it), so a cached statement is never
 * used by two threads at once.
 *
 * Returns: (transfer none) (nullable): the statement, or %NULL with @error set
 */
sqlite3_stmt *
trb_store_begin_statement (TrbStore    *self,
                           const char  *sql,
                           GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (TRB_IS_STORE (self), NULL);
  g_return_val_if_fail (sql != NULL, NULL);

  g_rec_mutex_lock (&self->mutex);
  if (self->db == NULL)
    {
      g_rec_mutex_unlock (&self->mutex);
      set_closed_error (error);
      return NULL;
    }

  stmt = g_hash_table_lookup (self->statements, sql);
  if (stmt == NULL)
    {
      if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                              NULL) != SQLITE_OK)
        {
          trb_store_set_error_from_db (self, error);
          sqlite3_finalize (stmt);
          g_rec_mutex_unlock (&self->mutex);
          return NULL;
        }
      g_hash_table_insert (self->statements, g_strdup (sql), stmt);
    }

  return stmt;
}

/**
 * trb_store_end_statement:
 * @stmt: a statement from trb_store_begin_statement()
 *
 * Resets @stmt for its next use and releases the store.
 */
void
trb_store_end_statement (TrbStore     *self,
                         sqlite3_stmt *stmt)
{
  g_return_if_fail (TRB_IS_STORE (self));
  g_return_if_fail (stmt != NULL);

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  sync_transaction (self);
  g_rec_mutex_unlock (&self->mutex);
}

/**
 * trb_store_step:
 * @stmt: a statement from trb_store_begin_statement()
 *
 * Steps @stmt. On a failure, @error is set and the statement ended.
 *
 * Returns: %SQLITE_ROW, %SQLITE_DONE, or -1 with @error set
 */
int
trb_store_step (TrbStore      *self,
                sqlite3_stmt  *stmt,
                GError       **error)
{
  int rc;

  g_return_val_if_fail (TRB_IS_STORE (self), -1);

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;

  trb_store_set_error_from_db (self, error);
  trb_store_end_statement (self, stmt);
  return -1;
}

/**
 * trb_store_step_done:
 * @stmt: a statement from trb_store_begin_statement() that returns no rows
 *
 * Runs @stmt to its end and ends it.
 *
 * Returns: %TRUE on success, else %FALSE with @error set
 */
gboolean
trb_store_step_done (TrbStore      *self,
                     sqlite3_stmt  *stmt,
                     GError       **error)
{
  int rc;

  g_return_val_if_fail (TRB_IS_STORE (self), FALSE);

  rc = trb_store_step (self, stmt, error);
  if (rc < 0)
    return FALSE;
  trb_store_end_statement (self, stmt);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, TRB_STORE_ERROR, TRB_STORE_ERROR_QUERY,
                   _("The local database could not be updated: a statement returned rows"));
      return FALSE;
    }
  return TRUE;
}

/**
 * trb_store_collect_rows:
 * @stmt: a statement from trb_store_begin_statement(), bound
 * @build_row: makes the item of the row @stmt is on
 * @user_data: data for @build_row
 * @free_row: frees an item, for the array
 * @error: return location for an error
 *
 * Steps @stmt to its end, collecting an item of each row, and ends it: the one loop of every
 * list operation of the store layer.
 *
 * Returns: (transfer full) (element-type gpointer): the items, or %NULL with @error set (the
 *   statement ended)
 */
GPtrArray *
trb_store_collect_rows (TrbStore              *self,
                        sqlite3_stmt          *stmt,
                        TrbStoreBuildRowFunc   build_row,
                        gpointer               user_data,
                        GDestroyNotify         free_row,
                        GError               **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  int rc;

  g_return_val_if_fail (TRB_IS_STORE (self), NULL);
  g_return_val_if_fail (stmt != NULL, NULL);
  g_return_val_if_fail (build_row != NULL, NULL);

  rows = g_ptr_array_new_with_free_func (free_row);
  while ((rc = trb_store_step (self, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (rows, build_row (stmt, user_data));
  if (rc < 0)
    return NULL;
  trb_store_end_statement (self, stmt);
  return g_steal_pointer (&rows);
}

static gpointer
text_from_row (sqlite3_stmt *stmt,
               gpointer      user_data)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

/**
 * trb_store_collect_texts:
 * @stmt: a statement from trb_store_begin_statement(), bound
 * @error: return location for an error
 *
 * trb_store_collect_rows() for the text in the first column of each row.
 *
 * Returns: (transfer full): the texts, or %NULL with @error set (the statement ended)
 */
GStrv
trb_store_collect_texts (TrbStore      *self,
                         sqlite3_stmt  *stmt,
                         GError       **error)
{
  GPtrArray *texts = trb_store_collect_rows (self, stmt, text_from_row, NULL, g_free, error);

  if (texts == NULL)
    return NULL;
  g_ptr_array_add (texts, NULL);
  return (GStrv) g_ptr_array_free (texts, FALSE);
}
