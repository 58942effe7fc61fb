/* trb-tray.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TRB_TYPE_TRAY (trb_tray_get_type ())

G_DECLARE_FINAL_TYPE (TrbTray, trb_tray, TRB, TRAY, GObject)

TrbTray  *trb_tray_new            (GDBusConnection  *connection,
                                   GActionGroup     *actions,
                                   const char       *icon_name,
                                   GError          **error);
void      trb_tray_set_status     (TrbTray          *self,
                                   const char       *status);
void      trb_tray_set_paused     (TrbTray          *self,
                                   gboolean          paused);
gboolean  trb_tray_get_registered (TrbTray          *self);

G_END_DECLS
