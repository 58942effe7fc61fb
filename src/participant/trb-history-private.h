/* trb-history-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of TrbHistory share, and nothing outside src/participant/ sees: the object's
 * fields, a network's state and halt, the reading of a stored entry, and what the model
 * evaluation (trb-history-evaluation.c) reads of the history's ledger copy.
 */

#pragma once

#include "compute/trb-model-spec.h"
#include "compute/trb-trainer.h"
#include "compute/trb-weights.h"
#include "ledger/trb-checkpoint.h"
#include "ledger/trb-ledger-entry.h"
#include "ledger/trb-ledger-error.h"
#include "ledger/trb-ledger-history.h"
#include "ledger/trb-note.h"
#include "ledger/trb-note-verifier.h"
#include "net/trb-contributor.h"
#include "net/trb-training-set.h"
#include "participant/trb-history.h"
#include "participant/trb-history-item.h"
#include "store/trb-store-history.h"
#include "store/trb-store-net.h"
#include "trb-json.h"

G_BEGIN_DECLS

struct _TrbHistory
{
  GObject   parent_instance;

  TrbStore *store;
  GMutex    lock;
};

/* A joined network as the protocol client wrote it down. */
typedef TrbStoreNetNetwork Network;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Network, trb_store_net_network_free)

/* trb-history.c */
void
trb_history_emit_changed (TrbHistory *self);
void
trb_history_emit_halted (TrbHistory *self,
                         const char *origin);
Network *
trb_history_lookup_network (TrbHistory *self,
                            const char *origin,
                            GError    **error);
gboolean
trb_history_halt (TrbHistory *self,
                  const char *origin,
                  const char *why,
                  GError    **error);
gboolean
trb_history_halt_for_evidence (TrbHistory *self,
                               const char *origin,
                               GError    **error);

/* trb-history-queries.c */
TrbLedgerEntry *
trb_history_parse_entry (const TrbStoreHistoryEntry *row);

/* trb-history-reconcile.c */
gboolean
trb_history_lookup_round_entry (TrbHistory      *self,
                                const char      *origin,
                                const char      *type,
                                const char      *task,
                                gint64           round,
                                TrbLedgerEntry **entry,
                                gboolean        *verified,
                                GError         **error);
gboolean
trb_history_strv_has (const char * const *strv,
                      const char         *value);

/* what the model evaluation reads (trb-history-evaluation.c) */

gboolean  trb_history_is_verified_model (TrbHistory  *self,
                                         const char  *origin,
                                         const char  *model,
                                         gboolean    *verified,
                                         GError     **error);
gboolean  trb_history_dup_task_json     (TrbHistory  *self,
                                         const char  *origin,
                                         const char  *task,
                                         char       **json,
                                         GError     **error);
char     *trb_history_dup_network_url   (TrbHistory  *self,
                                         const char  *origin,
                                         GError     **error);

G_END_DECLS
