/* trb-dataset-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "datasets/trb-dataset-item.h"

G_BEGIN_DECLS

#define TRB_TYPE_DATASET_ROW (trb_dataset_row_get_type ())

G_DECLARE_FINAL_TYPE (TrbDatasetRow, trb_dataset_row, TRB, DATASET_ROW, AdwActionRow)

GtkWidget      *trb_dataset_row_new      (TrbDatasetItem *item);
TrbDatasetItem *trb_dataset_row_get_item (TrbDatasetRow  *self);

G_END_DECLS
