/* trb-node-receipt.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Finding the receipt of an update already stored, for
 * `GET /v1/tasks/{task}/rounds/{round}/updates/{sha256}` (docs/protocol.md §4): a participant
 * that lost the reply to its upload asks for it again.
 */

#pragma once

#include <libsoup/soup.h>

#include "trb-node.h"

G_BEGIN_DECLS

gboolean trb_node_receipt_find (TrbNode     *self,
                                const char  *task,
                                gint64       round,
                                const char  *participant,
                                const char  *update,
                                gboolean    *found,
                                gint64      *leaf_index,
                                GError     **error);

void     trb_node_receipt_reply_duplicate (SoupServerMessage *msg,
                                           const char        *stored);

G_END_DECLS
