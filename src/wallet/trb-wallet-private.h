/* trb-wallet-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "trb-wallet.h"

G_BEGIN_DECLS

TrbWallet *trb_wallet_new              (const char *address,
                                        const char *label,
                                        gboolean    backed_up,
                                        gboolean    is_default,
                                        gint64      created);
void       trb_wallet_set_label        (TrbWallet  *self,
                                        const char *label);
void       trb_wallet_set_backed_up    (TrbWallet  *self,
                                        gboolean    backed_up);
void       trb_wallet_set_is_default   (TrbWallet  *self,
                                        gboolean    is_default);

G_END_DECLS
