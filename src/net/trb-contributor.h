/* trb-contributor.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Headless participation in one network: pin its ledger key, join, take part in rounds
 * (download the model, train locally, upload the update), and verify the ledger: every
 * checkpoint consistent with the last one verified, every receipt's entry included. Used by
 * tributary-cli and the integration tests; it waits on the thread-default main context, so it
 * is not for a UI thread.
 */

#pragma once

#include <gio/gio.h>

#include <json-glib/json-glib.h>

#include "compute/trb-weights.h"
#include "net/trb-client.h"
#include "net/trb-training-set.h"
#include "store/trb-store.h"

G_BEGIN_DECLS

#define TRB_TYPE_CONTRIBUTOR (trb_contributor_get_type ())

G_DECLARE_FINAL_TYPE (TrbContributor, trb_contributor, TRB, CONTRIBUTOR, GObject)

/* Tells a person what a long step is doing. */
typedef void (*TrbContributorProgress) (const char *sentence,
                                        gpointer    user_data);

/* Sees, and may change, an update after it is built and before it is signed and uploaded. */
typedef void (*TrbContributorUpdateHook) (TrbWeights *update,
                                          gint64      round,
                                          gpointer    user_data);

gboolean        trb_contributor_migrate           (TrbStore        *store,
                                                   GError         **error);
TrbContributor *trb_contributor_new               (TrbClient       *client,
                                                   TrbStore        *store);
void            trb_contributor_set_device        (TrbContributor  *self,
                                                   const char      *device);
void            trb_contributor_set_cancellable   (TrbContributor  *self,
                                                   GCancellable    *cancellable);
void            trb_contributor_set_update_hook   (TrbContributor  *self,
                                                   TrbContributorUpdateHook hook,
                                                   gpointer         user_data);
void            trb_contributor_set_training_seed (TrbContributor  *self,
                                                   guint64          seed);
gboolean        trb_contributor_connect           (TrbContributor  *self,
                                                   GError         **error);
const char     *trb_contributor_get_origin        (TrbContributor  *self);
const char     *trb_contributor_get_ledger_key    (TrbContributor  *self);
const char     *trb_contributor_get_name          (TrbContributor  *self);
const char     *trb_contributor_get_task          (TrbContributor  *self);
const char     *trb_contributor_get_join_policy   (TrbContributor  *self,
                                                   guint           *bits);
void            trb_contributor_set_invitation    (TrbContributor  *self,
                                                   const char      *code);
void            trb_contributor_set_join_progress (TrbContributor  *self,
                                                   TrbContributorProgress progress,
                                                   gpointer         user_data);
gboolean        trb_contributor_join              (TrbContributor  *self,
                                                   GError         **error);
gint64          trb_contributor_contribute        (TrbContributor  *self,
                                                   const char      *task,
                                                   TrbTrainingSet  *data,
                                                   gint64           after_round,
                                                   guint            timeout_s,
                                                   GError         **error);
gboolean        trb_contributor_sync              (TrbContributor  *self,
                                                   gboolean         cosign,
                                                   GError         **error);
guint64         trb_contributor_get_verified_size (TrbContributor  *self);
gboolean        trb_contributor_check_root        (TrbContributor  *self,
                                                   guint64          tree_size,
                                                   const guint8    *root);
guint           trb_contributor_get_n_recomputed  (TrbContributor  *self);
guint           trb_contributor_count_receipts    (TrbContributor  *self,
                                                   gboolean         verified_only);
gboolean        trb_contributor_is_compromised    (TrbContributor  *self);
gboolean        trb_contributor_is_network_compromised (TrbStore   *store,
                                                        const char *origin);

void            trb_contributor_read_privacy_policy (JsonObject    *task,
                                                     double        *clip_norm,
                                                     double        *noise_multiplier);
GBytes         *trb_contributor_build_update      (double           clip_norm,
                                                   double           noise_multiplier,
                                                   TrbWeights      *trained,
                                                   TrbWeights      *base,
                                                   const char      *base_model,
                                                   TrbTrainingSet  *data,
                                                   guint            epochs,
                                                   double           train_loss,
                                                   GError         **error);

G_END_DECLS
