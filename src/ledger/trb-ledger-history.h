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

/**
 * TrbLedgerTamper:
 * @TRB_LEDGER_TAMPER_NONE: nothing was found
 * @TRB_LEDGER_TAMPER_FORK: two signed checkpoints that cannot both be true
 * @TRB_LEDGER_TAMPER_SHRUNK: a signed checkpoint smaller than one verified, with no proof that
 *   it is a prefix of it
 * @TRB_LEDGER_TAMPER_EDITED_ENTRY: an entry served that is not the one the verified tree holds
 * @TRB_LEDGER_TAMPER_KEY_CHANGED: the network signs with another key than the one pinned
 *
 * What a dishonest ledger was caught doing.
 */
typedef enum
{
  TRB_LEDGER_TAMPER_NONE,
  TRB_LEDGER_TAMPER_FORK,
  TRB_LEDGER_TAMPER_SHRUNK,
  TRB_LEDGER_TAMPER_EDITED_ENTRY,
  TRB_LEDGER_TAMPER_KEY_CHANGED,
} TrbLedgerTamper;

/**
 * TrbLedgerEvidence:
 * @kind: what was found
 * @verified_note: the newest checkpoint verified before (signed with the pinned key)
 * @conflicting_note: the checkpoint that contradicts it (empty for an edited entry)
 * @entry: (nullable): for an edited entry, the entry as served
 * @entry_index: its position
 * @proof: (nullable): the proof the network gave (consistency, or inclusion of @entry)
 * @verified_key: (nullable): for a changed key, the key pinned at joining
 * @conflicting_key: (nullable): for a changed key, the key the network shows now
 */
typedef struct
{
  char            *origin;
  char            *verified_note;
  char            *conflicting_note;
  gint64           detected_at;
  TrbLedgerTamper  kind;
  char            *entry;
  guint64          entry_index;
  GBytes          *proof;
  char            *verified_key;
  char            *conflicting_key;
} TrbLedgerEvidence;

void trb_ledger_evidence_free (TrbLedgerEvidence *evidence);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbLedgerEvidence, trb_ledger_evidence_free)

const char      *trb_ledger_tamper_to_string  (TrbLedgerTamper   kind);
const char      *trb_ledger_tamper_describe   (TrbLedgerTamper   kind);
TrbLedgerTamper  trb_ledger_tamper_lookup     (TrbStore         *store,
                                               const char       *origin);
gboolean         trb_ledger_record_key_change (TrbStore         *store,
                                               const char       *origin,
                                               const char       *new_key,
                                               const char       *new_note,
                                               GError          **error);

#define TRB_TYPE_LEDGER_HISTORY (trb_ledger_history_get_type ())

G_DECLARE_FINAL_TYPE (TrbLedgerHistory, trb_ledger_history, TRB, LEDGER_HISTORY, GObject)

gboolean          trb_ledger_history_migrate            (TrbStore             *store,
                                                         GError              **error);
TrbLedgerHistory *trb_ledger_history_new                (TrbStore             *store,
                                                         const char           *origin,
                                                         TrbNoteVerifier      *log_key,
                                                         GError              **error);
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
gboolean          trb_ledger_history_record_edited_entry (TrbLedgerHistory    *self,
                                                          const char          *entry,
                                                          gsize                length,
                                                          guint64              index,
                                                          guint64              tree_size,
                                                          const guint8        *proof,
                                                          gsize                n_hashes,
                                                          GError             **error);

G_END_DECLS
