/* trb-node-rounds.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rounds: opening one, the 200 ms tick that closes it, the aggregation on a worker thread and
 * the round events.
 */

#pragma once

#include "trb-node-private.h"

G_BEGIN_DECLS

void trb_node_emit_round_event (TrbNode *self,
                                Task    *task);
gboolean trb_node_open_round (TrbNode     *self,
                              Task        *task,
                              gint64       round,
                              const char  *model_hash,
                              GError     **error);
gboolean trb_node_round_asks (Task       *task,
                              const char *address,
                              guint64     joined_index);
const char *trb_node_round_cutoff (Task *task);
gboolean trb_node_load_round_periods (TrbNode  *self,
                                      Task     *task,
                                      GError  **error);
void trb_node_start_aggregation (TrbNode *self,
                                 Task    *task);
gboolean trb_node_tick_cb (gpointer user_data);

G_END_DECLS
