/* trb-dataset-report.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <json-glib/json-glib.h>

#include "trb-fingerprint.h"
#include "trb-sample-source.h"

G_BEGIN_DECLS

#define TRB_REPORT_THUMBS_PER_CLASS 4
#define TRB_REPORT_MAX_THUMBS       40

#define TRB_TYPE_DATASET_REPORT (trb_dataset_report_get_type ())

G_DECLARE_FINAL_TYPE (TrbDatasetReport, trb_dataset_report, TRB, DATASET_REPORT, GObject)

/**
 * TrbScanProgressFunc:
 * @fraction: 0 to 1, or -1 when the total is not known (CSV)
 * @samples: samples read so far
 */
typedef void (*TrbScanProgressFunc) (double   fraction,
                                     guint64  samples,
                                     gpointer user_data);

TrbDatasetReport     *trb_dataset_scan                     (const char               *path,
                                                            const TrbDatasetOptions  *options,
                                                            GBytes                   *salt,
                                                            TrbScanProgressFunc       progress,
                                                            gpointer                  user_data,
                                                            GCancellable             *cancellable,
                                                            GError                  **error);
void                  trb_dataset_scan_async               (const char               *path,
                                                            const TrbDatasetOptions  *options,
                                                            GBytes                   *salt,
                                                            TrbScanProgressFunc       progress,
                                                            gpointer                  data,
                                                            GDestroyNotify            notify,
                                                            GCancellable             *cancellable,
                                                            GAsyncReadyCallback       callback,
                                                            gpointer                  user_data);
TrbDatasetReport     *trb_dataset_scan_finish              (GAsyncResult             *result,
                                                            GError                  **error);
char                 *trb_dataset_compute_stamp            (const char               *path,
                                                            GError                  **error);

TrbDatasetReport     *trb_dataset_report_new_from_json     (JsonNode                 *node,
                                                            GError                  **error);
JsonNode             *trb_dataset_report_to_json           (TrbDatasetReport         *self);

const char           *trb_dataset_report_get_path          (TrbDatasetReport         *self);
TrbDatasetFormat      trb_dataset_report_get_format        (TrbDatasetReport         *self);
const TrbSampleShape *trb_dataset_report_get_shape         (TrbDatasetReport         *self);
guint64               trb_dataset_report_get_n_samples     (TrbDatasetReport         *self);
guint64               trb_dataset_report_get_n_skipped     (TrbDatasetReport         *self);
GPtrArray            *trb_dataset_report_get_problems      (TrbDatasetReport         *self);
guint                 trb_dataset_report_get_n_classes     (TrbDatasetReport         *self);
const guint64        *trb_dataset_report_get_histogram     (TrbDatasetReport         *self);
const char * const   *trb_dataset_report_get_class_names   (TrbDatasetReport         *self);
char                 *trb_dataset_report_dup_class_name    (TrbDatasetReport         *self,
                                                            guint                     index);
GHashTable           *trb_dataset_report_get_size_counts   (TrbDatasetReport         *self);
guint64               trb_dataset_report_get_n_colour      (TrbDatasetReport         *self);
void                  trb_dataset_report_get_value_range   (TrbDatasetReport         *self,
                                                            double                   *min,
                                                            double                   *max);
GPtrArray            *trb_dataset_report_get_thumbnails    (TrbDatasetReport         *self);
GArray               *trb_dataset_report_get_thumbnail_labels (TrbDatasetReport      *self);
const char * const   *trb_dataset_report_get_csv_header    (TrbDatasetReport         *self);
GPtrArray            *trb_dataset_report_get_csv_rows      (TrbDatasetReport         *self);
const char           *trb_dataset_report_get_fingerprint   (TrbDatasetReport         *self);
const char           *trb_dataset_report_get_stamp         (TrbDatasetReport         *self);

G_END_DECLS
