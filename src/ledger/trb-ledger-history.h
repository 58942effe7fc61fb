/* trb-ledger-history.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The client's history of verified checkpoints of one ledger, kept in the local store
 * (component "ledger"). A checkpoint is accepted only when it is signed by the pinned key and
 * consistent with the last one verified; otherwise both are kept as evidence and
 * TRB_LEDGER_ERROR_INCONSISTENT is returned.
 */

#pragma once

#include <gio/gio.h>

#include "ledger/trb-checkpoint.h"
#include "ledger/trb-note-verifier.h"
#include "store/trb-store.h"

G_BEGIN_DECLS

typedef struct
{
  char   *origin;
  char   *verified_note;
  char   *conflicting_note;
  gint64  detected_at;
} TrbLedgerEvidence;

void trb_ledger_evidence_free (TrbLedgerEvidence *evidence);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbLedgerEvidence, trb_ledger_evidence_free)

#define TRB_TYPE_LEDGER_HISTORY (trb_ledger_history_get_type ())

G_DECLARE_FINAL_TYPE (TrbLedgerHistory, trb_ledger_history, TRB, LEDGER_HISTORY, GObject)

gboolean          trb_ledger_history_migrate            (TrbStore             *store,
                                                         GError              **error);
TrbLedgerHistory *trb_ledger_history_new                (TrbStore             *store,
                                                         const char           *origin,
                                                         TrbNoteVerifier      *log_key,
                                                         GError              **error);
const char       *trb_ledger_history_get_origin         (TrbLedgerHistory     *self);
TrbNoteVerifier  *trb_ledger_history_get_log_key        (TrbLedgerHistory     *self);
TrbCheckpoint    *trb_ledger_history_get_latest         (TrbLedgerHistory     *self,
                                                         GError              **error);
TrbCheckpoint    *trb_ledger_history_get_checkpoint     (TrbLedgerHistory     *self,
                                                         guint64               tree_size,
                                                         GError              **error);
TrbCheckpoint    *trb_ledger_history_accept             (TrbLedgerHistory     *self,
                                                         const char           *signed_note,
                                                         gsize                 length,
                                                         const guint8         *consistency_proof,
                                                         gsize                 n_hashes,
                                                         GError              **error);
void              trb_ledger_history_accept_async       (TrbLedgerHistory     *self,
                                                         const char           *signed_note,
                                                         gsize                 length,
                                                         GBytes               *consistency_proof,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
TrbCheckpoint    *trb_ledger_history_accept_finish      (TrbLedgerHistory     *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
gboolean          trb_ledger_history_verify_inclusion   (TrbLedgerHistory     *self,
                                                         const char           *entry,
                                                         gsize                 length,
                                                         guint64               index,
                                                         guint64               tree_size,
                                                         const guint8         *proof,
                                                         gsize                 n_hashes,
                                                         GError              **error);
gboolean          trb_ledger_history_is_compromised     (TrbLedgerHistory     *self);
gboolean          trb_ledger_history_trust_again        (TrbLedgerHistory     *self,
                                                         GError              **error);
GPtrArray        *trb_ledger_history_list_evidence      (TrbLedgerHistory     *self,
                                                         GError              **error);

G_END_DECLS
