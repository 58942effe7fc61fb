/* trb-network-host.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TRB_TYPE_NETWORK_HOST (trb_network_host_get_type ())

G_DECLARE_FINAL_TYPE (TrbNetworkHost, trb_network_host, TRB, NETWORK_HOST, GtkBox)

GtkWidget *trb_network_host_new          (void);
char      *trb_network_host_invite_link  (const char *url);

G_END_DECLS
