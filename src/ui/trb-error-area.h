/* trb-error-area.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TRB_TYPE_ERROR_AREA (trb_error_area_get_type ())

G_DECLARE_FINAL_TYPE (TrbErrorArea, trb_error_area, TRB, ERROR_AREA, GtkBox)

GtkWidget  *trb_error_area_new          (void);
void        trb_error_area_show_error   (TrbErrorArea *self,
                                         const GError *error);
void        trb_error_area_show_message (TrbErrorArea *self,
                                         const char   *message,
                                         const char   *details);
void        trb_error_area_clear        (TrbErrorArea *self);
void        trb_error_area_set_dismissible (TrbErrorArea *self,
                                            gboolean      dismissible);
const char *trb_error_area_get_message  (TrbErrorArea *self);

G_END_DECLS
