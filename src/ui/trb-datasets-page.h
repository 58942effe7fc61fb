/* trb-datasets-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "store/trb-store.h"

G_BEGIN_DECLS

#define TRB_TYPE_DATASETS_PAGE (trb_datasets_page_get_type ())

G_DECLARE_FINAL_TYPE (TrbDatasetsPage, trb_datasets_page, TRB, DATASETS_PAGE, AdwBin)

void trb_datasets_page_set_store (TrbDatasetsPage *self,
                                  TrbStore        *store);

G_END_DECLS
