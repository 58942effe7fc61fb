/* trb-proof-of-work.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The small puzzle a network may ask of every new participant (docs/protocol.md, "Join
 * policy"): a decimal nonce such that SHA-256(challenge || address || nonce) starts with a
 * given number of zero bits.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* About four million hashes: a second or so of one core (4.3 million SHA-256 a second on the
 * machine it was measured on). */
#define TRB_PROOF_OF_WORK_DEFAULT_BITS 22
/* More would take hours; a network that asks more is refused by clients. */
#define TRB_PROOF_OF_WORK_MAX_BITS 32
/* The longest challenge and nonce a node or a client reads. */
#define TRB_PROOF_OF_WORK_MAX_CHALLENGE 128
#define TRB_PROOF_OF_WORK_MAX_NONCE 20

gboolean  trb_proof_of_work_check (const char    *challenge,
                                   const char    *address,
                                   const char    *nonce,
                                   guint          bits);
char     *trb_proof_of_work_solve (const char    *challenge,
                                   const char    *address,
                                   guint          bits,
                                   GCancellable  *cancellable,
                                   GError       **error);

G_END_DECLS
