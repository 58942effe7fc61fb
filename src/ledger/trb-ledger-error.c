/* trb-ledger-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-ledger"

#include "config.h"

#include "trb-ledger-error.h"

G_DEFINE_QUARK (trb-ledger-error-quark, trb_ledger_error)
