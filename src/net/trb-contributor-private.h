/* trb-contributor-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of TrbContributor share, and nothing outside src/net/ sees: the object's
 * fields and the steps one file hands to another.
 *
 * The contributor blocks: its calls are the client's _sync ones, run in the calling thread (a
 * worker thread of the app, or the CLI's main thread), with the contributor's cancellable.
 */

#pragma once

#include "compute/trb-executor-choice.h"
#include "compute/trb-model-spec.h"
#include "compute/trb-trainer.h"
#include "compute/trb-weights.h"
#include "ledger/trb-checkpoint.h"
#include "ledger/trb-ledger-entry.h"
#include "ledger/trb-ledger-error.h"
#include "ledger/trb-ledger-history.h"
#include "ledger/trb-merkle.h"
#include "ledger/trb-note.h"
#include "net/trb-contributor.h"
#include "net/trb-http-signature.h"
#include "net/trb-proof-of-work.h"
#include "net/trb-protocol.h"
#include "net/trb-task-config.h"
#include "store/trb-store-net.h"
#include "store/trb-store-participation.h"
#include "trb-json.h"

G_BEGIN_DECLS

struct _TrbContributor
{
  GObject           parent_instance;

  TrbClient        *client;
  TrbStore         *store;
  TrbLedgerHistory *history;
  TrbNoteSigner    *cosigner;
  char             *origin;
  char             *name;
  char             *task;
  char             *ledger_key;
  char             *device;
  guint8            ledger_public_key[32];
  gboolean          compromised;
  /* The network's join policy, as GET /v1/network states it. */
  char             *join_policy;
  guint             join_bits;
  char             *invitation;
  TrbContributorProgress join_progress;
  /* Ends every step of the flow under way, from any thread (trb_contributor_set_cancellable()). */
  GCancellable     *cancellable;
  gpointer          join_progress_data;
  /* Only the robustness bench sets one, to play an attacker (trb_contributor_set_update_hook()). */
  TrbContributorUpdateHook update_hook;
  gpointer          update_hook_data;
  /* The training seed of every round, or 0 to draw one (trb_contributor_set_training_seed()). */
  guint64           training_seed;
  /* The entries hashed so far in this process, as a tree: the first sync hashes every entry,
   * later ones only the new entries (earlier ones are bound by the consistency proofs). */
  TrbMerkleFrontier checked;
  /* The verified entries of the task's rounds not recomputed yet (TrbLedgerEntry), with their
   * ledger indexes: what recomputing a round needs (trb-contributor-recompute.c). */
  GPtrArray        *round_entries;
  GArray           *round_indexes;
  guint             n_recomputed;
};

/* trb-contributor.c */
gboolean
trb_contributor_mark_compromised (TrbContributor *self,
                                  GError        **error,
                                  const char     *what);
const char *
trb_contributor_caught_before (TrbContributor *self);
gboolean
trb_contributor_is_tampering (const GError *error);

void     trb_contributor_filter_round_entry (TrbContributor  *self,
                                            const char      *text,
                                            guint64          index,
                                            GPtrArray       *kept,
                                            GArray          *kept_indexes);
void     trb_contributor_keep_round_entries (TrbContributor  *self,
                                            GPtrArray       *kept,
                                            GArray          *kept_indexes);
gboolean trb_contributor_recompute         (TrbContributor  *self,
                                            GError         **error);

G_END_DECLS
