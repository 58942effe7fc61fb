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

/**
 * TrbStoreNetReceipt:
 *
 * A receipt kept for an accepted update whose inclusion in the ledger is not verified yet.
 */
typedef struct
{
  guint64  leaf_index;
  char    *update_hash, *participant;
} TrbStoreNetReceipt;

void       trb_store_net_network_free    (TrbStoreNetNetwork  *network);
void       trb_store_net_receipt_free    (TrbStoreNetReceipt  *receipt);
gboolean   trb_store_net_migrate         (TrbStore            *store,
                                          GError             **error);
gboolean   trb_store_net_save_network    (TrbStore            *store,
                                          const char          *origin,
                                          const char          *url,
                                          const char          *name,
                                          const char          *ledger_key,
                                          const char          *task,
                                          GError             **error);
gboolean   trb_store_net_set_joined      (TrbStore            *store,
                                          const char          *origin,
                                          const char          *address,
                                          GError             **error);
gboolean   trb_store_net_is_joined       (TrbStore            *store,
                                          const char          *origin,
                                          const char          *address,
                                          gboolean            *joined,
                                          GError             **error);
gboolean   trb_store_net_mark_compromised (TrbStore           *store,
                                           const char         *origin,
                                           GError            **error);
gboolean   trb_store_net_is_compromised  (TrbStore            *store,
                                          const char          *origin,
                                          gboolean            *compromised,
                                          GError             **error);
GPtrArray *trb_store_net_list_unverified_receipts (TrbStore   *store,
                                                   const char *origin,
                                                   guint64     below,
                                                   GError    **error);
gboolean   trb_store_net_set_receipt_verified (TrbStore       *store,
                                               const char     *origin,
                                               guint64         leaf_index,
                                               guint64         tree_size,
                                               GError        **error);
gboolean   trb_store_net_lookup_network  (TrbStore            *store,
                                          const char          *origin,
                                          TrbStoreNetNetwork **network,
                                          GError             **error);
GPtrArray *trb_store_net_list_joined     (TrbStore            *store,
                                          GError             **error);
gboolean   trb_store_net_count_receipts  (TrbStore            *store,
                                          const char          *origin,
                                          gboolean             verified_only,
                                          guint               *count,
                                          GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbStoreNetNetwork, trb_store_net_network_free)

G_END_DECLS
