/* trb-store-wallet.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "store/trb-store.h"

G_BEGIN_DECLS

/**
 * TrbStoreWalletRow:
 *
 * A wallet's non-secret metadata as written down; its key is in the keyring, never here.
 */
typedef struct
{
  char     *address;
  char     *label;
  gboolean  backed_up;
  gboolean  is_default;
  gint64    created;
} TrbStoreWalletRow;

void       trb_store_wallet_row_free        (TrbStoreWalletRow  *row);
gboolean   trb_store_wallet_migrate         (TrbStore           *store,
                                             GError            **error);
GPtrArray *trb_store_wallet_list            (TrbStore           *store,
                                             GError            **error);
gboolean   trb_store_wallet_insert          (TrbStore           *store,
                                             const char         *address,
                                             const char         *label,
                                             gint64              created,
                                             gboolean            is_default,
                                             GError            **error);
gboolean   trb_store_wallet_delete          (TrbStore           *store,
                                             const char         *address,
                                             GError            **error);
gboolean   trb_store_wallet_mark_backed_up  (TrbStore           *store,
                                             const char         *address,
                                             GError            **error);
gboolean   trb_store_wallet_rename          (TrbStore           *store,
                                             const char         *address,
                                             const char         *label,
                                             GError            **error);
gboolean   trb_store_wallet_set_default     (TrbStore           *store,
                                             const char         *address,
                                             GError            **error);
gboolean   trb_store_wallet_set_for_network (TrbStore           *store,
                                             const char         *network,
                                             const char         *address,
                                             GError            **error);
gboolean   trb_store_wallet_get_for_network (TrbStore           *store,
                                             const char         *network,
                                             char              **address,
                                             GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbStoreWalletRow, trb_store_wallet_row_free)

G_END_DECLS
