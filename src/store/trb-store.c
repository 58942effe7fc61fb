/* trb-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The local SQLite store. One file, in WAL mode, shared by every domain of libtributary. Each
 * domain owns its tables and migrates them itself through trb_store_migrate(), keyed by a
 * component name, so that domains never need to know each other's schema.
 */

#define G_LOG_DOMAIN "trb-store"

#include "config.h"

#include "trb-store.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

struct _TrbStore
{
  GObject  parent_instance;

  char    *path;
  sqlite3 *db;
  GMutex   mutex;
};

G_DEFINE_FINAL_TYPE (TrbStore, trb_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (trb-store-error-quark, trb_store_error)

static void
trb_store_finalize (GObject *object)
{
  TrbStore *self = (TrbStore *)object;

  g_clear_pointer (&self->db, sqlite3_close_v2);
  g_clear_pointer (&self->path, g_free);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (trb_store_parent_class)->finalize (object);
}

static void
trb_store_class_init (TrbStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_store_finalize;
}

static void
trb_store_init (TrbStore *self)
{
  g_mutex_init (&self->mutex);
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
 * Returns: (transfer none): the SQLite connection, opened in serialized mode
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
  char *errmsg = NULL;

  g_return_val_if_fail (TRB_IS_STORE (self), FALSE);
  g_return_val_if_fail (sql != NULL, FALSE);

  if (sqlite3_exec (self->db, sql, NULL, NULL, &errmsg) != SQLITE_OK)
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
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int version = 0;

  g_return_val_if_fail (TRB_IS_STORE (self), 0);
  g_return_val_if_fail (component != NULL, 0);

  if (sqlite3_prepare_v2 (self->db,
                          "SELECT version FROM schema_versions WHERE component = ?1",
                          -1, &stmt, NULL) != SQLITE_OK)
    return 0;

  sqlite3_bind_text (stmt, 1, component, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);

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
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int current;

  g_return_val_if_fail (TRB_IS_STORE (self), FALSE);
  g_return_val_if_fail (component != NULL, FALSE);
  g_return_val_if_fail (steps != NULL || n_steps == 0, FALSE);

  locker = g_mutex_locker_new (&self->mutex);

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

  if (sqlite3_prepare_v2 (self->db,
                          "INSERT INTO schema_versions (component, version) VALUES (?1, ?2) "
                          "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      trb_store_set_error_from_db (self, error);
      trb_store_exec (self, "ROLLBACK", NULL);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, component, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 2, (int)n_steps);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      trb_store_set_error_from_db (self, error);
      trb_store_exec (self, "ROLLBACK", NULL);
      return FALSE;
    }

  return trb_store_exec (self, "COMMIT", error);
}
