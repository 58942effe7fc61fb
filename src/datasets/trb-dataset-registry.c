/* trb-dataset-registry.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The picked datasets and their cached checks, in the local store. The salt of a dataset is
 * stored here and nowhere else; removing a dataset forgets its salt, after which its old
 * fingerprint can no longer be opened.
 */

#define G_LOG_DOMAIN "trb-dataset-registry"

#include "config.h"

#include "trb-dataset-registry.h"

#include <glib/gi18n.h>

#include "trb-dataset-item-private.h"
#include "trb-fingerprint.h"
#include "trb-json.h"
#include "store/trb-store-datasets.h"

struct _TrbDatasetRegistry
{
  GObject    parent_instance;

  TrbStore  *store;
  GPtrArray *items;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TrbDatasetRegistry, trb_dataset_registry, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static void
trb_dataset_registry_dispose (GObject *object)
{
  TrbDatasetRegistry *self = (TrbDatasetRegistry *)object;

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (trb_dataset_registry_parent_class)->dispose (object);
}

static void
trb_dataset_registry_class_init (TrbDatasetRegistryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = trb_dataset_registry_dispose;
}

static void
trb_dataset_registry_init (TrbDatasetRegistry *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

static GType
trb_dataset_registry_get_item_type (GListModel *model)
{
  return TRB_TYPE_DATASET_ITEM;
}

static guint
trb_dataset_registry_get_n_items (GListModel *model)
{
  return TRB_DATASET_REGISTRY (model)->items->len;
}

static gpointer
trb_dataset_registry_get_item (GListModel *model,
                               guint       position)
{
  TrbDatasetRegistry *self = TRB_DATASET_REGISTRY (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = trb_dataset_registry_get_item_type;
  iface->get_n_items = trb_dataset_registry_get_n_items;
  iface->get_item = trb_dataset_registry_get_item;
}

static gboolean
load_networks (TrbDatasetRegistry  *self,
               TrbDatasetItem      *item,
               GError             **error)
{
  g_auto(GStrv) networks = NULL;

  networks = trb_store_datasets_list_networks (self->store, trb_dataset_item_get_id (item),
                                               error);
  if (networks == NULL)
    return FALSE;
  trb_dataset_item_set_networks (item, (const char * const *)networks);
  return TRUE;
}

static TrbDatasetItem *
item_from_row (TrbDatasetRegistry        *self,
               const TrbStoreDatasetRow  *row,
               GError                   **error)
{
  g_autoptr(TrbDatasetItem) item = NULL;
  g_autoptr(TrbDatasetReport) report = NULL;

  item = trb_dataset_item_new (row->id, row->path, trb_dataset_format_from_string (row->format));
  trb_dataset_item_set_paused (item, row->paused);

  if (row->report != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new_immutable ();

      if (trb_json_parser_load_bounded (parser, row->report, -1, NULL))
        report = trb_dataset_report_new_from_json (json_parser_get_root (parser), NULL);
    }
  if (report != NULL || row->problem != NULL)
    trb_dataset_item_set_result (item, report, row->problem);

  if (!load_networks (self, item, error))
    return NULL;
  return g_steal_pointer (&item);
}

/**
 * trb_dataset_registry_new:
 *
 * Creates or updates the registry's tables and loads the picked datasets.
 *
 * Returns: (transfer full): the registry, or %NULL with @error set
 */
TrbDatasetRegistry *
trb_dataset_registry_new (TrbStore  *store,
                          GError   **error)
{
  g_autoptr(TrbDatasetRegistry) self = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  if (!trb_store_datasets_migrate (store, error))
    return NULL;

  self = g_object_new (TRB_TYPE_DATASET_REGISTRY, NULL);
  self->store = g_object_ref (store);

  rows = trb_store_datasets_list_added (store, error);
  if (rows == NULL)
    return NULL;
  for (guint i = 0; i < rows->len; i++)
    {
      TrbDatasetItem *item = item_from_row (self, g_ptr_array_index (rows, i), error);

      if (item == NULL)
        return NULL;
      g_ptr_array_add (self->items, item);
    }

  return g_steal_pointer (&self);
}

/**
 * trb_dataset_registry_lookup:
 *
 * Returns: (transfer none) (nullable): the picked dataset at @path
 */
TrbDatasetItem *
trb_dataset_registry_lookup (TrbDatasetRegistry *self,
                             const char         *path)
{
  g_autofree char *canonical = NULL;

  g_return_val_if_fail (TRB_IS_DATASET_REGISTRY (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  canonical = g_canonicalize_filename (path, NULL);
  for (guint i = 0; i < self->items->len; i++)
    {
      TrbDatasetItem *item = g_ptr_array_index (self->items, i);
      if (g_str_equal (trb_dataset_item_get_path (item), canonical))
        return item;
    }

  return NULL;
}

/**
 * trb_dataset_list_choices:
 * @registry: (nullable): the registry of the datasets the person added
 *
 * The datasets a person can pick to train or evaluate a picture model on: the demo pictures
 * when they are on disk, then each added IDX dataset that is on disk, not paused and whose last
 * check did not fail. A dataset that is missing or unreadable is never offered: picking it would
 * only fail later, after Join.
 *
 * Returns: (transfer full) (element-type utf8): the datasets' paths, possibly none
 */
GPtrArray *
trb_dataset_list_choices (TrbDatasetRegistry *registry)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *demo = trb_dataset_dup_demo_path ();
  g_autofree char *canonical_demo = g_canonicalize_filename (demo, NULL);

  g_return_val_if_fail (registry == NULL || TRB_IS_DATASET_REGISTRY (registry), NULL);

  if (g_file_test (demo, G_FILE_TEST_IS_REGULAR))
    g_ptr_array_add (paths, g_strdup (demo));
  if (registry == NULL)
    return g_steal_pointer (&paths);

  for (guint i = 0; i < registry->items->len; i++)
    {
      TrbDatasetItem *item = g_ptr_array_index (registry->items, i);
      const char *path = trb_dataset_item_get_path (item);

      if (trb_dataset_item_get_format (item) != TRB_DATASET_FORMAT_IDX ||
          g_str_equal (path, canonical_demo) || trb_dataset_item_get_paused (item) ||
          trb_dataset_item_get_error (item) != NULL ||
          !g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      g_ptr_array_add (paths, g_strdup (path));
    }
  return g_steal_pointer (&paths);
}

/* Finds or creates the row of @path, with its salt. */
static gboolean
ensure_row (TrbDatasetRegistry       *self,
            const char               *path,
            TrbDatasetFormat          format,
            const TrbDatasetOptions  *options,
            gint64                   *id,
            GBytes                  **salt,
            char                    **stamp,
            char                    **fingerprint,
            GError                  **error)
{
  guint8 fresh[TRB_FINGERPRINT_SALT_SIZE];
  g_autoptr(GBytes) new_salt = NULL;

  if (!trb_store_datasets_find_path (self->store, path, id, salt, stamp, fingerprint, error))
    return FALSE;
  if (*salt != NULL)
    return TRUE;

  trb_fingerprint_make_salt (fresh);
  new_salt = g_bytes_new (fresh, sizeof fresh);
  if (!trb_store_datasets_insert (self->store, path, trb_dataset_format_to_string (format),
                                  options != NULL ? options->label_column : NULL, new_salt, id,
                                  error))
    return FALSE;

  *salt = g_steal_pointer (&new_salt);
  if (stamp != NULL)
    *stamp = NULL;
  if (fingerprint != NULL)
    *fingerprint = NULL;
  return TRUE;
}

static gboolean
save_result (TrbDatasetRegistry  *self,
             gint64               id,
             TrbDatasetReport    *report,
             const char          *problem,
             GError             **error)
{
  if (report != NULL)
    {
      g_autoptr(JsonNode) node = trb_dataset_report_to_json (report);
      g_autofree char *json = json_to_string (node, FALSE);

      return trb_store_datasets_save_report (self->store, id, json,
                                             trb_dataset_report_get_fingerprint (report),
                                             trb_dataset_report_get_stamp (report), error);
    }
  return trb_store_datasets_save_problem (self->store, id, problem, error);
}

static TrbDatasetItem *
find_by_id (TrbDatasetRegistry *self,
            gint64              id)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      TrbDatasetItem *item = g_ptr_array_index (self->items, i);
      if (trb_dataset_item_get_id (item) == id)
        return item;
    }
  return NULL;
}

/**
 * trb_dataset_registry_check_path:
 * @path: a dataset, picked or not
 * @previous: (out) (optional) (nullable): the fingerprint of the previous check, if any
 *
 * Reads the dataset at @path now, in the calling thread, with its stored salt (made on the
 * first check), and stores the result.
 *
 * Returns: (transfer full): the report, or %NULL with @error set
 */
TrbDatasetReport *
trb_dataset_registry_check_path (TrbDatasetRegistry       *self,
                                 const char               *path,
                                 const TrbDatasetOptions  *options,
                                 TrbScanProgressFunc       progress,
                                 gpointer                  user_data,
                                 GCancellable             *cancellable,
                                 char                    **previous,
                                 GError                  **error)
{
  g_autofree char *canonical = NULL;
  g_autoptr(GBytes) salt = NULL;
  g_autoptr(TrbDatasetReport) report = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *old_fingerprint = NULL;
  TrbDatasetFormat format;
  TrbDatasetItem *item;
  gint64 id;

  g_return_val_if_fail (TRB_IS_DATASET_REGISTRY (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  canonical = g_canonicalize_filename (path, NULL);
  format = trb_sample_source_detect_format (canonical, error);
  if (format == TRB_DATASET_FORMAT_UNKNOWN)
    return NULL;

  if (!ensure_row (self, canonical, format, options, &id, &salt, NULL, &old_fingerprint, error))
    return NULL;

  item = find_by_id (self, id);
  if (item != NULL)
    trb_dataset_item_set_checking (item, TRUE);

  report = trb_dataset_scan (canonical, options, salt, progress, user_data, cancellable,
                             &local_error);

  /* A report that could not be written down is not one: the next check would compare with
   * an older fingerprint. */
  if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !save_result (self, id, report, local_error ? local_error->message : NULL,
                    local_error == NULL ? &local_error : NULL))
    g_clear_object (&report);

  if (item != NULL)
    {
      trb_dataset_item_set_checking (item, FALSE);
      trb_dataset_item_set_changed (item, FALSE);
      if (local_error == NULL ||
          !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        trb_dataset_item_set_result (item, report, local_error ? local_error->message : NULL);
    }

  if (previous != NULL)
    *previous = g_steal_pointer (&old_fingerprint);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  return g_steal_pointer (&report);
}

/**
 * trb_dataset_registry_add:
 * @path: a dataset file or folder
 * @options: (nullable): how to read it (CSV label column)
 *
 * Adds the dataset to the list, without reading it: call trb_dataset_registry_check_async()
 * (or trb_dataset_registry_check_path()) next. Adding a dataset that is already in the list
 * returns the existing item.
 *
 * Returns: (transfer none): the item, or %NULL with @error set when @path is not a dataset
 */
TrbDatasetItem *
trb_dataset_registry_add (TrbDatasetRegistry       *self,
                          const char               *path,
                          const TrbDatasetOptions  *options,
                          GError                  **error)
{
  g_autofree char *canonical = NULL;
  g_autoptr(GBytes) salt = NULL;
  g_autoptr(TrbStoreDatasetRow) row = NULL;
  TrbDatasetFormat format;
  TrbDatasetItem *item;
  gint64 id;

  g_return_val_if_fail (TRB_IS_DATASET_REGISTRY (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  item = trb_dataset_registry_lookup (self, path);
  if (item != NULL)
    return item;

  canonical = g_canonicalize_filename (path, NULL);
  format = trb_sample_source_detect_format (canonical, error);
  if (format == TRB_DATASET_FORMAT_UNKNOWN)
    return NULL;

  if (!ensure_row (self, canonical, format, options, &id, &salt, NULL, NULL, error))
    return NULL;

  if (!trb_store_datasets_mark_added (self->store, id,
                                      options != NULL ? options->label_column : NULL, error))
    return NULL;

  row = trb_store_datasets_get (self->store, id, error);
  if (row == NULL)
    return NULL;
  item = item_from_row (self, row, error);
  if (item == NULL)
    return NULL;
  g_ptr_array_add (self->items, item);
  g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);
  return item;
}

/* Asynchronous check of a picked dataset. */

typedef struct
{
  TrbDatasetRegistry *registry;
  TrbDatasetItem     *item;
} CheckData;

static void
check_data_free (gpointer data)
{
  CheckData *check = data;

  g_clear_object (&check->registry);
  g_clear_object (&check->item);
  g_free (check);
}

static void
check_progress_cb (double   fraction,
                   guint64  samples,
                   gpointer user_data)
{
  TrbDatasetItem *item = user_data;

  if (trb_dataset_item_get_checking (item))
    trb_dataset_item_set_progress (item, fraction);
}

static void
check_scanned_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CheckData *check = g_task_get_task_data (task);
  g_autoptr(TrbDatasetReport) report = NULL;
  g_autoptr(GError) error = NULL;

  report = trb_dataset_scan_finish (result, &error);
  trb_dataset_item_set_checking (check->item, FALSE);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!save_result (check->registry, trb_dataset_item_get_id (check->item), report,
                    error ? error->message : NULL, error == NULL ? &error : NULL))
    g_clear_object (&report);
  trb_dataset_item_set_changed (check->item, FALSE);
  trb_dataset_item_set_result (check->item, report, error ? error->message : NULL);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * trb_dataset_registry_check_async:
 * @item: a picked dataset
 *
 * Reads @item again in a worker thread; its status is "checking" meanwhile and its progress
 * property follows the reading. The result is stored and shown on @item.
 */
void
trb_dataset_registry_check_async (TrbDatasetRegistry  *self,
                                  TrbDatasetItem      *item,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GBytes) salt = NULL;
  g_autoptr(GError) error = NULL;
  TrbDatasetOptions options = { 0 };
  g_autofree char *label_column = NULL;
  CheckData *check;

  g_return_if_fail (TRB_IS_DATASET_REGISTRY (self));
  g_return_if_fail (TRB_IS_DATASET_ITEM (item));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_dataset_registry_check_async);

  if (!trb_store_datasets_get_salt (self->store, trb_dataset_item_get_id (item), &salt,
                                    &label_column, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (salt == NULL)
    {
      g_task_return_new_error (task, TRB_DATASET_ERROR, TRB_DATASET_ERROR_NOT_FOUND,
                               _("This dataset was removed."));
      return;
    }
  options.label_column = label_column;

  check = g_new0 (CheckData, 1);
  check->registry = g_object_ref (self);
  check->item = g_object_ref (item);
  g_task_set_task_data (task, check, check_data_free);

  trb_dataset_item_set_checking (item, TRUE);
  trb_dataset_scan_async (trb_dataset_item_get_path (item), &options, salt,
                          check_progress_cb, g_object_ref (item), g_object_unref,
                          cancellable, check_scanned_cb, g_steal_pointer (&task));
}

gboolean
trb_dataset_registry_check_finish (TrbDatasetRegistry  *self,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * trb_dataset_registry_remove:
 *
 * Takes @item out of the list and forgets everything about it, its salt included.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_dataset_registry_remove (TrbDatasetRegistry  *self,
                             TrbDatasetItem      *item,
                             GError             **error)
{
  guint position;

  g_return_val_if_fail (TRB_IS_DATASET_REGISTRY (self), FALSE);
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (item), FALSE);

  if (!trb_store_datasets_delete (self->store, trb_dataset_item_get_id (item), error))
    return FALSE;

  if (g_ptr_array_find (self->items, item, &position))
    {
      g_ptr_array_remove_index (self->items, position);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
    }

  return TRUE;
}

/**
 * trb_dataset_registry_set_paused:
 *
 * A paused dataset stays in the list but no network learns from it until it is resumed.
 */
gboolean
trb_dataset_registry_set_paused (TrbDatasetRegistry  *self,
                                 TrbDatasetItem      *item,
                                 gboolean             paused,
                                 GError             **error)
{
  g_return_val_if_fail (TRB_IS_DATASET_REGISTRY (self), FALSE);
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (item), FALSE);

  if (!trb_store_datasets_set_paused (self->store, trb_dataset_item_get_id (item), paused,
                                      error))
    return FALSE;

  trb_dataset_item_set_paused (item, paused);
  return TRUE;
}

/**
 * trb_dataset_registry_set_used_by:
 * @network: the network's identifier (as the participant domain names it)
 * @used: whether @network now learns from @item
 *
 * Records which networks use a dataset, for the detail page.
 */
gboolean
trb_dataset_registry_set_used_by (TrbDatasetRegistry  *self,
                                  TrbDatasetItem      *item,
                                  const char          *network,
                                  gboolean             used,
                                  GError             **error)
{
  g_return_val_if_fail (TRB_IS_DATASET_REGISTRY (self), FALSE);
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (item), FALSE);
  g_return_val_if_fail (network != NULL, FALSE);

  if (!trb_store_datasets_set_used_by (self->store, trb_dataset_item_get_id (item), network,
                                       used, error))
    return FALSE;

  return load_networks (self, item, error);
}

/**
 * trb_dataset_registry_refresh:
 *
 * Compares the files of every picked dataset with the stamp of its last check (sizes,
 * modification times, identities; no reading) and marks the ones that changed. They need a
 * new check before a network may learn from them.
 *
 * Returns: how many datasets changed
 */
guint
trb_dataset_registry_refresh (TrbDatasetRegistry *self)
{
  guint changed = 0;

  g_return_val_if_fail (TRB_IS_DATASET_REGISTRY (self), 0);

  for (guint i = 0; i < self->items->len; i++)
    {
      TrbDatasetItem *item = g_ptr_array_index (self->items, i);
      const char *old_stamp = trb_dataset_item_get_stamp (item);
      g_autofree char *stamp = NULL;

      if (trb_dataset_item_get_checking (item) || old_stamp == NULL)
        continue;

      stamp = trb_dataset_compute_stamp (trb_dataset_item_get_path (item), NULL);
      if (stamp == NULL || !g_str_equal (stamp, old_stamp))
        {
          trb_dataset_item_set_changed (item, TRUE);
          changed++;
        }
    }

  return changed;
}

/**
 * trb_dataset_registry_dup_salt:
 *
 * The salt is needed only to prove, later, that a sample was part of the dataset. It never
 * leaves this computer otherwise.
 *
 * Returns: (transfer full) (nullable): the fingerprint salt of @item
 */
GBytes *
trb_dataset_registry_dup_salt (TrbDatasetRegistry *self,
                               TrbDatasetItem     *item)
{
  g_autoptr(GBytes) salt = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (TRB_IS_DATASET_REGISTRY (self), NULL);
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (item), NULL);

  if (!trb_store_datasets_get_salt (self->store, trb_dataset_item_get_id (item), &salt, NULL,
                                    &error))
    g_debug ("No salt for dataset %" G_GINT64_FORMAT ": %s", trb_dataset_item_get_id (item),
             error->message);
  return g_steal_pointer (&salt);
}

/**
 * trb_dataset_dup_display_name:
 * @registry: (nullable): the registry, to find the name given to a registered dataset
 * @path: a dataset's path
 *
 * What to call the dataset at @path: the demo pictures, a registered dataset's name, or else
 * the file's name.
 *
 * Returns: (transfer full): a name to show
 */
char *
trb_dataset_dup_display_name (TrbDatasetRegistry *registry,
                              const char         *path)
{
  g_autofree char *demo = trb_dataset_dup_demo_path ();
  TrbDatasetItem *item;

  g_return_val_if_fail (path != NULL, NULL);

  if (g_str_equal (path, demo))
    return g_strdup (_("Demo pictures of clothing"));
  if (registry != NULL && (item = trb_dataset_registry_lookup (registry, path)) != NULL)
    return g_strdup (trb_dataset_item_get_name (item));
  return g_path_get_basename (path);
}

/* A program run from the build folder sits two levels below it (src/ui/tributary,
 * src/cli/tributary-cli, src/node/tributary-node), and meson keeps `meson-private/` at its
 * root: that is how a build-folder run is told from an installed one. */
static char *
dup_build_demo_dir (void)
{
  g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *root = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *dir = NULL;

  if (self_path == NULL)
    return NULL;
  {
    g_autofree char *bin_dir = g_path_get_dirname (self_path);
    g_autofree char *src_dir = g_path_get_dirname (bin_dir);

    root = g_path_get_dirname (src_dir);
  }
  marker = g_build_filename (root, "meson-private", NULL);
  dir = g_build_filename (root, "data", "demo", NULL);
  if (!g_file_test (marker, G_FILE_TEST_IS_DIR) || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    return NULL;
  return g_steal_pointer (&dir);
}

/**
 * trb_dataset_dup_demo_dir:
 *
 * The folder of the demo data shipped with Tributary, a small Fashion-MNIST shard: the build
 * folder's copy when the program runs from a build folder, else the installed one
 * (`$(pkgdatadir)/demo`, which is also where it lies in the Flatpak). `TRB_DEMO_DIR` in the
 * environment names another folder.
 *
 * Returns: (transfer full): a folder
 */
char *
trb_dataset_dup_demo_dir (void)
{
  const char *env = g_getenv ("TRB_DEMO_DIR");
  char *in_build;

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  in_build = dup_build_demo_dir ();
  if (in_build != NULL)
    return in_build;
  return g_strdup (PKGDATADIR "/demo");
}

/**
 * trb_dataset_dup_demo_path:
 *
 * The demo's training pictures, in trb_dataset_dup_demo_dir().
 *
 * Returns: (transfer full): the path of the demo's training images
 */
char *
trb_dataset_dup_demo_path (void)
{
  g_autofree char *dir = trb_dataset_dup_demo_dir ();

  return g_build_filename (dir, "demo-train-images-idx3-ubyte.gz", NULL);
}
