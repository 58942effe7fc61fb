/* trb-history-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "store/trb-store.h"

G_BEGIN_DECLS

#define TRB_TYPE_HISTORY_PAGE (trb_history_page_get_type ())

G_DECLARE_FINAL_TYPE (TrbHistoryPage, trb_history_page, TRB, HISTORY_PAGE, AdwBin)

void trb_history_page_set_store (TrbHistoryPage *self,
                                 TrbStore       *store);

G_END_DECLS
