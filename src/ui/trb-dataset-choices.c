/* trb-dataset-choices.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The data sets a person can pick to train or evaluate a model on: the demo pictures that come
 * with the app, then the picture data sets added in the Datasets area.
 */

#define G_LOG_DOMAIN "trb-dataset-choices"

#include "config.h"

#include "trb-dataset-choices.h"

#include "datasets/trb-dataset-registry.h"
#include "store/trb-store.h"

/**
 * trb_dataset_choices_fill:
 * @names: the names to show, appended to
 * @paths: (element-type utf8): the data sets' paths, appended to in the same order
 *
 * Lists the demo pictures first, then each registered IDX data set (the models train on
 * pictures), without listing the demo pictures twice.
 */
void
trb_dataset_choices_fill (GtkStringList *names,
                          GPtrArray     *paths)
{
  g_autofree char *demo = trb_dataset_dup_demo_path ();
  g_autofree char *store_path = trb_store_default_path ();
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbDatasetRegistry) registry = NULL;
  GListModel *items;

  g_return_if_fail (GTK_IS_STRING_LIST (names));
  g_return_if_fail (paths != NULL);

  store = trb_store_new_for_path (store_path, NULL);
  if (store != NULL)
    registry = trb_dataset_registry_new (store, NULL);
  {
    g_autofree char *demo_name = trb_dataset_dup_display_name (NULL, demo);

    gtk_string_list_append (names, demo_name);
    g_ptr_array_add (paths, g_strdup (demo));
  }
  if (registry == NULL)
    return;
  items = G_LIST_MODEL (registry);
  for (guint i = 0; i < g_list_model_get_n_items (items); i++)
    {
      g_autoptr(TrbDatasetItem) item = g_list_model_get_item (items, i);

      if (trb_dataset_item_get_format (item) != TRB_DATASET_FORMAT_IDX ||
          g_str_equal (trb_dataset_item_get_path (item), demo))
        continue;
      gtk_string_list_append (names, trb_dataset_item_get_name (item));
      g_ptr_array_add (paths, g_strdup (trb_dataset_item_get_path (item)));
    }
}
