/* trb-wallet-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TRB_TYPE_WALLET_PAGE (trb_wallet_page_get_type ())

G_DECLARE_FINAL_TYPE (TrbWalletPage, trb_wallet_page, TRB, WALLET_PAGE, AdwBin)

G_END_DECLS
