/* trb-wallet-manager.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "store/trb-store.h"
#include "wallet/trb-secret.h"
#include "wallet/trb-wallet.h"

G_BEGIN_DECLS

#define TRB_WALLET_LABEL_MAX_CHARS 64
#define TRB_WALLET_BACKUP_CHECKS   3

#define TRB_TYPE_WALLET_MANAGER (trb_wallet_manager_get_type ())

G_DECLARE_FINAL_TYPE (TrbWalletManager, trb_wallet_manager, TRB, WALLET_MANAGER, GObject)

TrbWalletManager *trb_wallet_manager_new                 (TrbStore             *store,
                                                          GError              **error);
GListModel       *trb_wallet_manager_get_wallets         (TrbWalletManager     *self);
TrbWallet        *trb_wallet_manager_lookup              (TrbWalletManager     *self,
                                                          const char           *label_or_address);
TrbWallet        *trb_wallet_manager_get_default         (TrbWalletManager     *self);
char             *trb_wallet_manager_suggest_label       (TrbWalletManager     *self);
gboolean          trb_wallet_manager_check_label         (TrbWalletManager     *self,
                                                          const char           *label,
                                                          TrbWallet            *except,
                                                          GError              **error);

void              trb_wallet_manager_create_async        (TrbWalletManager     *self,
                                                          const char           *label,
                                                          guint                 n_words,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
TrbWallet        *trb_wallet_manager_create_finish       (TrbWalletManager     *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
void              trb_wallet_manager_import_async        (TrbWalletManager     *self,
                                                          const char           *label,
                                                          const char           *phrase,
                                                          const char           *passphrase,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
TrbWallet        *trb_wallet_manager_import_finish       (TrbWalletManager     *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
void              trb_wallet_manager_sign_async          (TrbWalletManager     *self,
                                                          TrbWallet            *wallet,
                                                          GBytes               *data,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
GBytes           *trb_wallet_manager_sign_finish         (TrbWalletManager     *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
void              trb_wallet_manager_reveal_phrase_async (TrbWalletManager     *self,
                                                          TrbWallet            *wallet,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
TrbSecret        *trb_wallet_manager_reveal_phrase_finish (TrbWalletManager    *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);
void              trb_wallet_manager_remove_async        (TrbWalletManager     *self,
                                                          TrbWallet            *wallet,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean          trb_wallet_manager_remove_finish       (TrbWalletManager     *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);

gboolean          trb_wallet_manager_mark_backed_up      (TrbWalletManager     *self,
                                                          TrbWallet            *wallet,
                                                          GError              **error);
gboolean          trb_wallet_manager_rename              (TrbWalletManager     *self,
                                                          TrbWallet            *wallet,
                                                          const char           *label,
                                                          GError              **error);
gboolean          trb_wallet_manager_set_default         (TrbWalletManager     *self,
                                                          TrbWallet            *wallet,
                                                          GError              **error);
gboolean          trb_wallet_manager_set_for_network     (TrbWalletManager     *self,
                                                          const char           *network,
                                                          TrbWallet            *wallet,
                                                          GError              **error);
TrbWallet        *trb_wallet_manager_get_for_network     (TrbWalletManager     *self,
                                                          const char           *network,
                                                          GError              **error);

void              trb_wallet_backup_pick_positions       (guint                 n_words,
                                                          guint                *positions);
gboolean          trb_wallet_backup_check_word           (const TrbSecret      *phrase,
                                                          guint                 position,
                                                          const char           *typed);

G_END_DECLS
