/* trb-wallet-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "wallet/trb-wallet.h"

G_BEGIN_DECLS

#define TRB_TYPE_WALLET_ROW (trb_wallet_row_get_type ())

G_DECLARE_FINAL_TYPE (TrbWalletRow, trb_wallet_row, TRB, WALLET_ROW, AdwActionRow)

GtkWidget *trb_wallet_row_new        (TrbWallet    *wallet);
TrbWallet *trb_wallet_row_get_wallet (TrbWalletRow *self);

G_END_DECLS
