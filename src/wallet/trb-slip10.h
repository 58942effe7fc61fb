/* trb-slip10.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The path of Solana wallets: the same phrase shows the same address there. */
#define TRB_WALLET_DERIVATION_PATH "m/44'/501'/0'/0'"
#define TRB_SLIP10_MAX_DEPTH       16
#define TRB_SLIP10_HARDENED        0x80000000u

gboolean trb_slip10_parse_path       (const char     *path,
                                      guint32        *indices,
                                      guint          *n_indices,
                                      GError        **error);
gboolean trb_slip10_derive_ed25519   (const guint8   *seed,
                                      gsize           seed_len,
                                      const guint32  *indices,
                                      guint           n_indices,
                                      guint8         *key,
                                      guint8         *chain_code,
                                      GError        **error);

G_END_DECLS
