/* trb-dataset-item.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "trb-dataset-report.h"

G_BEGIN_DECLS

/**
 * TrbDatasetStatus:
 * @TRB_DATASET_STATUS_READY: checked, and nothing is wrong
 * @TRB_DATASET_STATUS_CHECKING: being read right now
 * @TRB_DATASET_STATUS_PROBLEMS: the last check failed, or left samples out
 * @TRB_DATASET_STATUS_CHANGED: the files changed since the last check
 * @TRB_DATASET_STATUS_PAUSED: the user paused it: no network learns from it for now
 */
typedef enum
{
  TRB_DATASET_STATUS_READY,
  TRB_DATASET_STATUS_CHECKING,
  TRB_DATASET_STATUS_PROBLEMS,
  TRB_DATASET_STATUS_CHANGED,
  TRB_DATASET_STATUS_PAUSED,
} TrbDatasetStatus;

#define TRB_TYPE_DATASET_STATUS (trb_dataset_status_get_type ())
GType trb_dataset_status_get_type (void);

#define TRB_TYPE_DATASET_ITEM (trb_dataset_item_get_type ())

G_DECLARE_FINAL_TYPE (TrbDatasetItem, trb_dataset_item, TRB, DATASET_ITEM, GObject)

gint64              trb_dataset_item_get_id          (TrbDatasetItem *self);
const char         *trb_dataset_item_get_path        (TrbDatasetItem *self);
const char         *trb_dataset_item_get_name        (TrbDatasetItem *self);
TrbDatasetFormat    trb_dataset_item_get_format      (TrbDatasetItem *self);
TrbDatasetStatus    trb_dataset_item_get_status      (TrbDatasetItem *self);
gboolean            trb_dataset_item_get_paused      (TrbDatasetItem *self);
gboolean            trb_dataset_item_get_checking    (TrbDatasetItem *self);
gboolean            trb_dataset_item_get_changed     (TrbDatasetItem *self);
const char         *trb_dataset_item_get_fingerprint (TrbDatasetItem *self);
const char         *trb_dataset_item_get_error       (TrbDatasetItem *self);
TrbDatasetReport   *trb_dataset_item_get_report      (TrbDatasetItem *self);
const char * const *trb_dataset_item_get_networks    (TrbDatasetItem *self);
char               *trb_dataset_item_dup_summary     (TrbDatasetItem *self);
const char         *trb_dataset_status_to_string     (TrbDatasetStatus status);

G_END_DECLS
