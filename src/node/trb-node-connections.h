/* trb-node-connections.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The node's connections: accepted by the node, capped, checked, then handed to SoupServer.
 */

#pragma once

#include "trb-node-private.h"

G_BEGIN_DECLS

gboolean trb_node_connections_listen (TrbNode          *self,
                                      GSocket          *socket,
                                      GTlsCertificate  *certificate,
                                      GError          **error);
void trb_node_connections_shutdown (TrbNode *self);
void trb_node_connection_keep_open (TrbNode           *self,
                                    SoupServerMessage *msg);
GSocket *trb_node_connection_plain_socket (TrbNode        *self,
                                           GSocketAddress *remote);
void trb_node_refuse_stream (GIOStream  *stream,
                             GSocket    *socket,
                             guint       status,
                             const char *type,
                             const char *title,
                             const char *detail,
                             guint       retry_after_s);

G_END_DECLS
