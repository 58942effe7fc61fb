/* trb-wallet-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-wallet-error"

#include "config.h"

#include "trb-wallet-error.h"

#include <sodium.h>

G_DEFINE_QUARK (trb-wallet-error-quark, trb_wallet_error)

void
trb_wallet_crypto_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      if (sodium_init () < 0)
        g_error ("libsodium could not be initialised");
      g_once_init_leave (&initialized, 1);
    }
}
