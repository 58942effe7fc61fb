/* trb-dataset-item-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Setters for the registry, which alone changes items.
 */

#pragma once

#include "trb-dataset-item.h"

G_BEGIN_DECLS

TrbDatasetItem *trb_dataset_item_new             (gint64            id,
                                                  const char       *path,
                                                  TrbDatasetFormat  format);
const char     *trb_dataset_item_get_stamp       (TrbDatasetItem   *self);
void            trb_dataset_item_set_paused      (TrbDatasetItem   *self,
                                                  gboolean          paused);
void            trb_dataset_item_set_checking    (TrbDatasetItem   *self,
                                                  gboolean          checking);
void            trb_dataset_item_set_changed     (TrbDatasetItem   *self,
                                                  gboolean          changed);
void            trb_dataset_item_set_progress    (TrbDatasetItem   *self,
                                                  double            progress);
void            trb_dataset_item_set_result      (TrbDatasetItem   *self,
                                                  TrbDatasetReport *report,
                                                  const char       *error);
void            trb_dataset_item_set_networks    (TrbDatasetItem   *self,
                                                  const char * const *networks);

G_END_DECLS
