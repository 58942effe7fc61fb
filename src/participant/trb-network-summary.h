/* trb-network-summary.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a network's task says about itself, in plain words: shown before Join and on a joined
 * network's page, so that both say the same.
 */

#pragma once

#include <json-glib/json-glib.h>

#include "compute/trb-model-spec.h"

G_BEGIN_DECLS

TrbModelSpec *trb_network_summary_dup_spec    (JsonObject *task);
char         *trb_network_summary_dup_data    (JsonObject *task);
char         *trb_network_summary_dup_rewards (JsonObject *task);
const char   *trb_network_summary_get_privacy (JsonObject *task);
char         *trb_network_summary_dup_leaves  (JsonObject *task);

G_END_DECLS
