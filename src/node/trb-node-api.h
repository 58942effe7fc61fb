/* trb-node-api.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The request handlers of docs/protocol.md, behind one SoupServer handler.
 */

#pragma once

#include "trb-node-private.h"

G_BEGIN_DECLS

void trb_node_handle_request_cb (SoupServer        *server,
                                 SoupServerMessage *msg,
                                 const char        *path,
                                 GHashTable        *query,
                                 gpointer           user_data);
gboolean trb_node_maybe_upgrade_events (TrbNode           *self,
                                        SoupServerMessage *msg);
void trb_node_reply_receipt (TrbNode           *self,
                             SoupServerMessage *msg,
                             const char        *update,
                             Task              *task,
                             gint64             round,
                             const char        *participant,
                             gint64             leaf_index);

G_END_DECLS
