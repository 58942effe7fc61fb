/* trb-history-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TRB_TYPE_HISTORY_PAGE (trb_history_page_get_type ())

G_DECLARE_FINAL_TYPE (TrbHistoryPage, trb_history_page, TRB, HISTORY_PAGE, AdwBin)

G_END_DECLS
