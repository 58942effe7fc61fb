/* trb-wallet-keyring.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Wallet keys in the system keyring, through libsecret's asynchronous secret_password_* API
 * (which reaches the Secret Service directly, or the Secret portal inside Flatpak).
 *
 * What is stored: one item per wallet, schema "io.github.tributary.Wallet", attributes
 * "address" (the wallet's base58 address) and "kind" ("bip39"). Its secret is the seed
 * material the key is derived from, as text:
 *
 *     tributary-wallet 1\n<the normalised BIP39 phrase>\n<the passphrase, possibly empty>
 *
 * The phrase is kept (rather than only the seed or the private key) because the backup flow
 * shows it again; the key is derived from it each time it is needed (BIP39 seed, then SLIP-0010
 * at m/44'/501'/0'/0'). Nothing of this is ever written anywhere else.
 */

#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "wallet/trb-secret.h"

G_BEGIN_DECLS

const SecretSchema *trb_wallet_keyring_get_schema     (void);

TrbSecret          *trb_wallet_material_encode        (const char           *phrase,
                                                       const char           *passphrase);
gboolean            trb_wallet_material_decode        (const TrbSecret      *material,
                                                       TrbSecret           **phrase,
                                                       TrbSecret           **passphrase,
                                                       GError              **error);

void                trb_wallet_keyring_store_async    (const char           *address,
                                                       const char           *label,
                                                       const TrbSecret      *material,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean            trb_wallet_keyring_store_finish   (GAsyncResult         *result,
                                                       GError              **error);
void                trb_wallet_keyring_lookup_async   (const char           *address,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
TrbSecret          *trb_wallet_keyring_lookup_finish  (GAsyncResult         *result,
                                                       GError              **error);
void                trb_wallet_keyring_clear_async    (const char           *address,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean            trb_wallet_keyring_clear_finish   (GAsyncResult         *result,
                                                       GError              **error);

GError             *trb_wallet_keyring_translate_error (const GError        *error,
                                                        GCancellable        *cancellable);

G_END_DECLS
