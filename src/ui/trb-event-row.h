/* trb-event-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TRB_TYPE_EVENT_ROW (trb_event_row_get_type ())

G_DECLARE_FINAL_TYPE (TrbEventRow, trb_event_row, TRB, EVENT_ROW, GtkListBoxRow)

GtkWidget *trb_event_row_new (GtkStringObject *line);

G_END_DECLS
