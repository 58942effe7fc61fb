/* trb-node-http.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HTTP for the node: replies, problems (RFC 9457), signature checks and request bodies.
 */

#pragma once

#include "trb-node-private.h"

G_BEGIN_DECLS

char *trb_node_json_to_string (JsonNode *node);
char *trb_node_problem_text (guint       status,
                             const char *type,
                             const char *title,
                             const char *detail);
void trb_node_reply_json (SoupServerMessage *msg,
                          guint              status,
                          JsonNode          *node);
void trb_node_reply_problem (SoupServerMessage *msg,
                             guint              status,
                             const char        *type,
                             const char        *title,
                             const char        *detail);
void trb_node_reply_internal (SoupServerMessage *msg,
                              const GError      *error);
char *trb_node_verify_request (TrbNode           *self,
                               SoupServerMessage *msg,
                               GBytes            *body,
                               char             **nonce_out);
JsonObject *trb_node_parse_json_body (SoupServerMessage *msg,
                                      GBytes            *body);

G_END_DECLS
