/* trb-wallet-error.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TRB_WALLET_ERROR (trb_wallet_error_quark ())

/**
 * TrbWalletError:
 * @TRB_WALLET_ERROR_INVALID_TEXT: the input is not valid text, or is too long
 * @TRB_WALLET_ERROR_WORD_COUNT: a backup phrase with a number of words other than 12–24
 * @TRB_WALLET_ERROR_UNKNOWN_WORD: a word that is not in the BIP39 English wordlist
 * @TRB_WALLET_ERROR_CHECKSUM: known words whose checksum does not match
 * @TRB_WALLET_ERROR_INVALID_PATH: a derivation path that cannot be used with Ed25519
 * @TRB_WALLET_ERROR_INVALID_ADDRESS: text that is not a wallet address
 * @TRB_WALLET_ERROR_INVALID_SIGNATURE: a signature that does not match
 * @TRB_WALLET_ERROR_INVALID_LABEL: an empty, too long or already used wallet name
 * @TRB_WALLET_ERROR_EXISTS: the wallet is already known
 * @TRB_WALLET_ERROR_NOT_FOUND: no wallet by that name or address
 * @TRB_WALLET_ERROR_NO_KEYRING: no Secret Service can be reached
 * @TRB_WALLET_ERROR_LOCKED: the keyring is locked
 * @TRB_WALLET_ERROR_UNLOCK_REFUSED: the person declined to unlock the keyring
 * @TRB_WALLET_ERROR_KEY_MISSING: the wallet's key is no longer in the keyring
 * @TRB_WALLET_ERROR_KEYRING: another keyring failure
 * @TRB_WALLET_ERROR_CORRUPT: what the keyring holds is not a Tributary wallet key
 */
typedef enum
{
  TRB_WALLET_ERROR_INVALID_TEXT,
  TRB_WALLET_ERROR_WORD_COUNT,
  TRB_WALLET_ERROR_UNKNOWN_WORD,
  TRB_WALLET_ERROR_CHECKSUM,
  TRB_WALLET_ERROR_INVALID_PATH,
  TRB_WALLET_ERROR_INVALID_ADDRESS,
  TRB_WALLET_ERROR_INVALID_SIGNATURE,
  TRB_WALLET_ERROR_INVALID_LABEL,
  TRB_WALLET_ERROR_EXISTS,
  TRB_WALLET_ERROR_NOT_FOUND,
  TRB_WALLET_ERROR_NO_KEYRING,
  TRB_WALLET_ERROR_LOCKED,
  TRB_WALLET_ERROR_UNLOCK_REFUSED,
  TRB_WALLET_ERROR_KEY_MISSING,
  TRB_WALLET_ERROR_KEYRING,
  TRB_WALLET_ERROR_CORRUPT,
} TrbWalletError;

GQuark trb_wallet_error_quark (void);

/* Makes sure libsodium is initialised; every entry point of the wallet domain calls it. */
void   trb_wallet_crypto_init (void);

G_END_DECLS
