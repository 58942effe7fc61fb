/* trb-store-datasets.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "store/trb-store.h"

G_BEGIN_DECLS

/**
 * TrbStoreDatasetRow:
 *
 * A picked dataset as written down: @format as trb_dataset_format_to_string() writes it,
 * @report the last check's report as JSON (%NULL before one), @problem why the last check
 * failed (%NULL when it did not).
 */
typedef struct
{
  gint64    id;
  char     *path;
  char     *format;
  gboolean  paused;
  char     *report;
  char     *problem;
} TrbStoreDatasetRow;

void                trb_store_dataset_row_free          (TrbStoreDatasetRow  *row);
gboolean            trb_store_datasets_migrate          (TrbStore            *store,
                                                         GError             **error);
GPtrArray          *trb_store_datasets_list_added       (TrbStore            *store,
                                                         GError             **error);
TrbStoreDatasetRow *trb_store_datasets_get              (TrbStore            *store,
                                                         gint64               id,
                                                         GError             **error);
GStrv               trb_store_datasets_list_networks    (TrbStore            *store,
                                                         gint64               id,
                                                         GError             **error);
gboolean            trb_store_datasets_find_path        (TrbStore            *store,
                                                         const char          *path,
                                                         gint64              *id,
                                                         GBytes             **salt,
                                                         char               **stamp,
                                                         char               **fingerprint,
                                                         GError             **error);
gboolean            trb_store_datasets_insert           (TrbStore            *store,
                                                         const char          *path,
                                                         const char          *format,
                                                         const char          *label_column,
                                                         GBytes              *salt,
                                                         gint64              *id,
                                                         GError             **error);
gboolean            trb_store_datasets_mark_added       (TrbStore            *store,
                                                         gint64               id,
                                                         const char          *label_column,
                                                         GError             **error);
gboolean            trb_store_datasets_save_report      (TrbStore            *store,
                                                         gint64               id,
                                                         const char          *report,
                                                         const char          *fingerprint,
                                                         const char          *stamp,
                                                         GError             **error);
gboolean            trb_store_datasets_save_problem     (TrbStore            *store,
                                                         gint64               id,
                                                         const char          *problem,
                                                         GError             **error);
gboolean            trb_store_datasets_get_salt         (TrbStore            *store,
                                                         gint64               id,
                                                         GBytes             **salt,
                                                         char               **label_column,
                                                         GError             **error);
gboolean            trb_store_datasets_delete           (TrbStore            *store,
                                                         gint64               id,
                                                         GError             **error);
gboolean            trb_store_datasets_set_paused       (TrbStore            *store,
                                                         gint64               id,
                                                         gboolean             paused,
                                                         GError             **error);
gboolean            trb_store_datasets_set_used_by      (TrbStore            *store,
                                                         gint64               id,
                                                         const char          *network,
                                                         gboolean             used,
                                                         GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbStoreDatasetRow, trb_store_dataset_row_free)

G_END_DECLS
