/* trb-node-upload.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An update's upload in two steps: checking it (reading the safetensors, its shapes, values and
 * metadata) on a worker thread while the main loop keeps answering, then storing it and its
 * ledger entry back on the main loop, where every write of the node happens, in order.
 */

#pragma once

#include "trb-node-private.h"

G_BEGIN_DECLS

void trb_node_handle_upload (TrbNode           *self,
                             SoupServerMessage *msg,
                             Task              *task,
                             gint64             round,
                             GBytes            *body);

G_END_DECLS
