/* trb-dataset-registry.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "store/trb-store.h"

#include "trb-dataset-item.h"
#include "trb-dataset-report.h"

G_BEGIN_DECLS

/**
 * SECTION:trb-dataset-registry
 * @title: TrbDatasetRegistry
 *
 * The datasets the user picked, persisted in the local store (component "datasets"), as a
 * #GListModel of #TrbDatasetItem for the Datasets area and `tributary-cli dataset`. The
 * registry keeps each dataset's fingerprint salt (made once, never sent), its last report and
 * fingerprint, and the stamp of its files, so that a dataset is read again only when its files
 * change; trb_dataset_registry_refresh() notices such changes.
 *
 * Datasets that were only checked (`tributary-cli dataset check PATH`) get a salt too, so
 * that checking twice gives the same fingerprint, but they are not in the list.
 */

#define TRB_TYPE_DATASET_REGISTRY (trb_dataset_registry_get_type ())

G_DECLARE_FINAL_TYPE (TrbDatasetRegistry, trb_dataset_registry, TRB, DATASET_REGISTRY, GObject)

TrbDatasetRegistry *trb_dataset_registry_new         (TrbStore                 *store,
                                                      GError                  **error);
TrbDatasetItem     *trb_dataset_registry_lookup      (TrbDatasetRegistry       *self,
                                                      const char               *path);
TrbDatasetItem     *trb_dataset_registry_add         (TrbDatasetRegistry       *self,
                                                      const char               *path,
                                                      const TrbDatasetOptions  *options,
                                                      GError                  **error);
TrbDatasetReport   *trb_dataset_registry_check_path  (TrbDatasetRegistry       *self,
                                                      const char               *path,
                                                      const TrbDatasetOptions  *options,
                                                      TrbScanProgressFunc       progress,
                                                      gpointer                  user_data,
                                                      GCancellable             *cancellable,
                                                      char                    **previous,
                                                      GError                  **error);
void                trb_dataset_registry_check_async (TrbDatasetRegistry       *self,
                                                      TrbDatasetItem           *item,
                                                      GCancellable             *cancellable,
                                                      GAsyncReadyCallback       callback,
                                                      gpointer                  user_data);
gboolean            trb_dataset_registry_check_finish (TrbDatasetRegistry      *self,
                                                       GAsyncResult            *result,
                                                       GError                 **error);
gboolean            trb_dataset_registry_remove      (TrbDatasetRegistry       *self,
                                                      TrbDatasetItem           *item,
                                                      GError                  **error);
gboolean            trb_dataset_registry_set_paused  (TrbDatasetRegistry       *self,
                                                      TrbDatasetItem           *item,
                                                      gboolean                  paused,
                                                      GError                  **error);
gboolean            trb_dataset_registry_set_used_by (TrbDatasetRegistry       *self,
                                                      TrbDatasetItem           *item,
                                                      const char               *network,
                                                      gboolean                  used,
                                                      GError                  **error);
guint               trb_dataset_registry_refresh     (TrbDatasetRegistry       *self);
GBytes             *trb_dataset_registry_dup_salt    (TrbDatasetRegistry       *self,
                                                      TrbDatasetItem           *item);
GPtrArray          *trb_dataset_list_choices         (TrbDatasetRegistry       *registry);
char               *trb_dataset_dup_demo_dir         (void);
char               *trb_dataset_dup_demo_path        (void);
char               *trb_dataset_dup_display_name     (TrbDatasetRegistry       *registry,
                                                      const char               *path);

G_END_DECLS
