/* trb-network-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "participant/trb-participation-manager.h"

G_BEGIN_DECLS

#define TRB_TYPE_NETWORK_PAGE (trb_network_page_get_type ())

G_DECLARE_FINAL_TYPE (TrbNetworkPage, trb_network_page, TRB, NETWORK_PAGE, AdwBin)

GtkWidget        *trb_network_page_new               (TrbParticipationManager *manager);
void              trb_network_page_set_participation (TrbNetworkPage          *self,
                                                      TrbParticipation        *participation);
TrbParticipation *trb_network_page_get_participation (TrbNetworkPage          *self);

G_END_DECLS
