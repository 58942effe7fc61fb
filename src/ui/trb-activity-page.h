/* trb-activity-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TRB_TYPE_ACTIVITY_PAGE (trb_activity_page_get_type ())

G_DECLARE_FINAL_TYPE (TrbActivityPage, trb_activity_page, TRB, ACTIVITY_PAGE, AdwBin)

G_END_DECLS
