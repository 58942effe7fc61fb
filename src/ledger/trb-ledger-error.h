/* trb-ledger-error.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TRB_LEDGER_ERROR (trb_ledger_error_quark ())

/**
 * TrbLedgerError:
 * @TRB_LEDGER_ERROR_INVALID: the input is malformed (bad JSON, bad note, bad key, …)
 * @TRB_LEDGER_ERROR_TOO_LARGE: the input is over one of the size limits
 * @TRB_LEDGER_ERROR_BAD_SIGNATURE: a signature from a known key does not verify
 * @TRB_LEDGER_ERROR_UNTRUSTED_KEY: nothing is signed by the expected (pinned) key, or the
 *   network's key is not the one pinned earlier
 * @TRB_LEDGER_ERROR_BAD_PROOF: an inclusion proof does not verify
 * @TRB_LEDGER_ERROR_INCONSISTENT: two signed views of the ledger cannot both be true: the
 *   history was rewritten or forked. Both checkpoints are kept as evidence.
 * @TRB_LEDGER_ERROR_STALE: the checkpoint is older than one verified already
 * @TRB_LEDGER_ERROR_WRONG_ORIGIN: the checkpoint belongs to another ledger
 * @TRB_LEDGER_ERROR_NOT_FOUND: no such entry, size or checkpoint
 * @TRB_LEDGER_ERROR_STORAGE: the database could not be read or written
 */
typedef enum
{
  TRB_LEDGER_ERROR_INVALID,
  TRB_LEDGER_ERROR_TOO_LARGE,
  TRB_LEDGER_ERROR_BAD_SIGNATURE,
  TRB_LEDGER_ERROR_UNTRUSTED_KEY,
  TRB_LEDGER_ERROR_BAD_PROOF,
  TRB_LEDGER_ERROR_INCONSISTENT,
  TRB_LEDGER_ERROR_STALE,
  TRB_LEDGER_ERROR_WRONG_ORIGIN,
  TRB_LEDGER_ERROR_NOT_FOUND,
  TRB_LEDGER_ERROR_STORAGE,
} TrbLedgerError;

GQuark trb_ledger_error_quark (void);

G_END_DECLS
