/* trb-dataset-detail.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "datasets/trb-dataset-registry.h"

G_BEGIN_DECLS

#define TRB_TYPE_DATASET_DETAIL (trb_dataset_detail_get_type ())

G_DECLARE_FINAL_TYPE (TrbDatasetDetail, trb_dataset_detail, TRB, DATASET_DETAIL, AdwBin)

void            trb_dataset_detail_set_item     (TrbDatasetDetail   *self,
                                                 TrbDatasetRegistry *registry,
                                                 TrbDatasetItem     *item);
TrbDatasetItem *trb_dataset_detail_get_item     (TrbDatasetDetail   *self);

G_END_DECLS
