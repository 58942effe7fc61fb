/* trb-history-alerts.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "participant/trb-history.h"

G_BEGIN_DECLS

#define TRB_TYPE_HISTORY_ALERTS (trb_history_alerts_get_type ())

G_DECLARE_FINAL_TYPE (TrbHistoryAlerts, trb_history_alerts, TRB, HISTORY_ALERTS, GtkBox)

GtkWidget *trb_history_alerts_new    (TrbHistory         *history);
void       trb_history_alerts_update (TrbHistoryAlerts   *self,
                                      const char * const *halted);

G_END_DECLS
