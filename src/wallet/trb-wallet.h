/* trb-wallet.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TRB_TYPE_WALLET (trb_wallet_get_type ())

G_DECLARE_FINAL_TYPE (TrbWallet, trb_wallet, TRB, WALLET, GObject)

const char *trb_wallet_get_address      (TrbWallet  *self);
const char *trb_wallet_get_label        (TrbWallet  *self);
gboolean    trb_wallet_get_backed_up    (TrbWallet  *self);
gboolean    trb_wallet_get_is_default   (TrbWallet  *self);
gint64      trb_wallet_get_created      (TrbWallet  *self);

G_END_DECLS
