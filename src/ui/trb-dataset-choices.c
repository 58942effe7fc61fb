/* trb-dataset-choices.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The data sets a person can pick to train or evaluate a model on: the demo pictures that come
 * with the app when they are there, then the usable picture data sets added in the Datasets
 * area.
 */

#define G_LOG_DOMAIN "trb-dataset-choices"

#include "config.h"

#include "trb-dataset-choices.h"

#include "datasets/trb-dataset-registry.h"
#include "store/trb-store.h"

/**
 * trb_dataset_choices_fill:
 * @store: (nullable): the application's store, where the added datasets are listed
 * @names: the names to show, appended to
 * @paths: (element-type utf8): the data sets' paths, appended to in the same order
 *
 * Lists the datasets trb_dataset_list_choices() offers: the demo pictures when they are on
 * disk, then each usable IDX dataset the person added (the models train on pictures). Nothing
 * missing from the disk is offered; the list may be empty.
 */
void
trb_dataset_choices_fill (TrbStore      *store,
                          GtkStringList *names,
                          GPtrArray     *paths)
{
  g_autoptr(TrbDatasetRegistry) registry = NULL;
  g_autoptr(GPtrArray) choices = NULL;

  g_return_if_fail (!store || TRB_IS_STORE (store));
  g_return_if_fail (GTK_IS_STRING_LIST (names));
  g_return_if_fail (paths != NULL);

  if (store != NULL)
    registry = trb_dataset_registry_new (store, NULL);
  choices = trb_dataset_list_choices (registry);
  for (guint i = 0; i < choices->len; i++)
    {
      const char *path = g_ptr_array_index (choices, i);
      g_autofree char *name = trb_dataset_dup_display_name (registry, path);

      gtk_string_list_append (names, name);
      g_ptr_array_add (paths, g_strdup (path));
    }
}
