/* trb-background.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TRB_TYPE_BACKGROUND (trb_background_get_type ())

G_DECLARE_FINAL_TYPE (TrbBackground, trb_background, TRB, BACKGROUND, GObject)

TrbBackground *trb_background_new                 (GApplication  *application,
                                                   GSettings     *settings,
                                                   const char    *exec_path);
gboolean       trb_background_get_enabled         (TrbBackground *self);
gboolean       trb_background_get_holding         (TrbBackground *self);

char          *trb_background_get_autostart_path  (const char    *app_id);
gboolean       trb_background_write_autostart     (const char    *app_id,
                                                   const char    *exec_path,
                                                   GError       **error);
gboolean       trb_background_remove_autostart    (const char    *app_id,
                                                   GError       **error);
char          *trb_background_quote_exec_argument (const char    *argument);

G_END_DECLS
