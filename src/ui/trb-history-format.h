/* trb-history-format.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

char      *trb_history_format_time    (gint64      time,
                                       const char *format);
char      *trb_history_format_when    (gint64      time);
GtkWidget *trb_history_suffix_label   (const char *text,
                                       const char *css_class);
void       trb_history_clear_box      (GtkBox     *box,
                                       gpointer    data);
GtkWidget *trb_history_show_more_new  (GtkSliceListModel *slice,
                                       const char        *label);

G_END_DECLS
