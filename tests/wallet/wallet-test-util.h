/* wallet-test-util.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "store/trb-store.h"
#include "wallet/trb-wallet-manager.h"

G_BEGIN_DECLS

#define TEST_PHRASE "legal winner thank year wave sausage worth useful legal winner thank yellow"

GAsyncResult     *wallet_test_wait         (GAsyncResult **slot);
void              wallet_test_got_result   (GObject       *object,
                                            GAsyncResult  *result,
                                            gpointer       user_data);
TrbWalletManager *wallet_test_new_manager  (TrbStore     **store_out);
void              wallet_test_round_trip   (TrbWalletManager *manager);
void              wallet_test_key_deleted  (TrbWalletManager *manager);
void              wallet_test_leaks        (TrbWalletManager *manager,
                                            TrbStore         *store,
                                            const char       *keyring_home);

G_END_DECLS
