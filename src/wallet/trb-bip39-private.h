/* trb-bip39-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TRB_BIP39_N_WORDS 2048

extern const char * const trb_bip39_english[TRB_BIP39_N_WORDS];

G_END_DECLS
