/* trb-store-net.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "store/trb-store.h"

G_BEGIN_DECLS

/**
 * TrbStoreNetNetwork:
 *
 * A network this computer joined, as the protocol client wrote it down (component "net").
 */
typedef struct
{
  char     *origin, *name, *url, *ledger_key, *address, *task;
  gboolean  compromised;
} TrbStoreNetNetwork;

void       trb_store_net_network_free    (TrbStoreNetNetwork  *network);
GPtrArray *trb_store_net_list_joined     (TrbStore            *store,
                                          GError             **error);
gboolean   trb_store_net_count_receipts  (TrbStore            *store,
                                          const char          *origin,
                                          gboolean             verified_only,
                                          guint               *count,
                                          GError             **error);

G_END_DECLS
