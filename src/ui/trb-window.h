/* trb-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TRB_TYPE_WINDOW (trb_window_get_type ())

G_DECLARE_FINAL_TYPE (TrbWindow, trb_window, TRB, WINDOW, AdwApplicationWindow)

TrbWindow  *trb_window_new          (GtkApplication *application);
void        trb_window_show_area    (TrbWindow      *self,
                                     const char     *area);
void        trb_window_add_toast    (TrbWindow      *self,
                                     AdwToast       *toast);
void        trb_window_report_problem (GtkWidget    *inside,
                                       const char   *what,
                                       const GError *error);

G_END_DECLS
