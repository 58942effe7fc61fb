/* trb-history-rewards.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "participant/trb-history.h"

G_BEGIN_DECLS

#define TRB_TYPE_HISTORY_REWARDS (trb_history_rewards_get_type ())

G_DECLARE_FINAL_TYPE (TrbHistoryRewards, trb_history_rewards, TRB, HISTORY_REWARDS, GtkBox)

GtkWidget *trb_history_rewards_new    (TrbHistory        *history);
void       trb_history_rewards_update (TrbHistoryRewards *self,
                                       GPtrArray         *records,
                                       GPtrArray         *reconciled);

G_END_DECLS
