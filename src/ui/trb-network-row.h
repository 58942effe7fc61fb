/* trb-network-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "participant/trb-participation.h"

G_BEGIN_DECLS

#define TRB_TYPE_NETWORK_ROW (trb_network_row_get_type ())

G_DECLARE_FINAL_TYPE (TrbNetworkRow, trb_network_row, TRB, NETWORK_ROW, AdwActionRow)

GtkWidget        *trb_network_row_new               (TrbParticipation *participation,
                                                     const char       *name);
TrbParticipation *trb_network_row_get_participation (TrbNetworkRow    *self);

G_END_DECLS
