/* trb-participation-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of the participation loop share, and nothing outside src/participant/ sees: the
 * object's fields and the steps one file hands to another.
 */

#pragma once

#include <sodium.h>

#include "compute/trb-executor-choice.h"
#include "compute/trb-model-spec.h"
#include "compute/trb-trainer.h"
#include "compute/trb-vulkan-executor.h"
#include "compute/trb-weights.h"
#include "datasets/trb-dataset-registry.h"
#include "ledger/trb-ledger-entry.h"
#include "ledger/trb-ledger-history.h"
#include "net/trb-contributor.h"
#include "net/trb-protocol.h"
#include "net/trb-task-config.h"
#include "net/trb-training-set.h"
#include "participant/trb-history.h"
#include "participant/trb-participation.h"
#include "store/trb-store-participation.h"
#include "trb-json.h"

G_BEGIN_DECLS

/* The longest wait before a problem is tried again. */
#define TRB_PARTICIPATION_MAX_RETRY_SECONDS (10 * 60)

struct _TrbParticipation
{
  GObject                parent_instance;

  TrbStore              *store;
  TrbHistory            *history;    /* made on first use */
  TrbClient             *client;
  TrbScheduler          *scheduler;
  TrbKeypair            *keypair;
  gboolean               cosign;
  TrbDeviceQueue        *queue;
  GCancellable          *cancellable;
  char                  *origin;
  char                  *task;
  char                  *dataset_path;
  /* The path that self->data was read from: a changed choice is read again next round. */
  char                  *data_path;
  char                  *device;
  char                  *work_dir;
  guint8                 ledger_public_key[32];
  gboolean               have_key;

  JsonObject            *task_obj;
  TrbModelSpec          *spec;
  TrbWeights            *base;
  TrbTrainer            *trainer;
  TrbExecutor           *executor;   /* the trainer's, while it trains */
  TrbTrainingSet             *data;

  TrbParticipationState  state;
  gint64                 round;
  char                  *model;
  guint64                seed;
  char                  *update_hash;
  gint64                 last_round;
  char                  *problem;
  /* The last write of the state that failed (trb_participation_store_failed()); the loop is
   * stopped. */
  GError                *store_error;
  /* The state written down could not be read: the loop must not start from a guess. */
  gboolean               load_failed;
  gint64                 retry_at;
  guint                  failures;
  guint                  refusals;
  guint64                ledger_scanned;
  gint64                 credited_points;  /* thousandths, since this object started */

  /* What the network last said of its current round, for saying what the loop waits for. */
  gint64                 seen_round;
  gboolean               seen_open;
  gboolean               seen_aggregating;
  TrbClientRoundCounts   seen_counts;

  double                 progress;
  double                 eta_seconds;
  int                    resumed_epoch;
  guint                  n_uploads;
  gboolean               holds_device;
  gboolean               running;
  gboolean               trained_here;  /* a round trained since start, on trained_on */
  char                  *trained_on;    /* the Vulkan device's name, NULL for the processor */
  /* asked for by Join: see trb_participation_request_round_now() */
  gboolean               round_now;

  guint                  poll_ms;
  guint                  retry_base_s;
  gsize                  max_samples;
  guint                  timeout_id;
  gulong                 decision_id;
  gulong                 preset_id;
};

typedef enum
{
  PROP_0,
  PROP_STATE,
  PROP_ROUND,
  PROP_PROGRESS,
  PROP_LAST_CONTRIBUTED,
  PROP_STATUS,
  N_PROPS
} TrbParticipationProp;

/* trb-participation-state.c */
gboolean
trb_participation_load_state (TrbParticipation *self,
                              GError          **error);
void
trb_participation_log_event (TrbParticipation *self,
                             const char       *kind,
                             const char       *message);
gboolean
trb_participation_save_receipt (TrbParticipation *self,
                                JsonObject       *receipt,
                                GError          **error);
TrbHistory *
trb_participation_get_history (TrbParticipation *self);
gboolean
trb_participation_record_dataset (TrbParticipation *self,
                                  GError          **error);
char *
trb_participation_checkpoint_path (TrbParticipation *self);
char *
trb_participation_update_path (TrbParticipation *self);
void
trb_participation_remove_round_files (TrbParticipation *self);
void
trb_participation_notify_status (TrbParticipation *self);
void
trb_participation_store_failed (TrbParticipation *self,
                                const GError     *error);
gboolean
trb_participation_set_state (TrbParticipation     *self,
                             TrbParticipationState state);

/* trb-participation-problems.c */
void
trb_participation_fail (TrbParticipation *self,
                        const GError     *error);
void
trb_participation_fail_literal (TrbParticipation *self,
                                GQuark            domain,
                                int               code,
                                const char       *message);

/* trb-participation-upload.c */
void
trb_participation_contributed (TrbParticipation *self);
void
trb_participation_upload (TrbParticipation *self);
void
trb_participation_build_update (TrbParticipation *self,
                                TrbWeights       *trained,
                                double            loss,
                                guint             epochs);

/* trb-participation-round.c */
void
trb_participation_release_device (TrbParticipation *self);
void
trb_participation_step_later (TrbParticipation *self,
                              guint             ms);
gboolean
trb_participation_is_cancelled (const GError *error);
void
trb_participation_apply_preset (TrbParticipation *self);
void
trb_participation_update_pause (TrbParticipation *self);
gboolean
trb_participation_scheduler_allows (TrbParticipation *self);
void
trb_participation_decision_changed_cb (TrbParticipation *self);

/* trb-participation.c */
void
trb_participation_notify (TrbParticipation    *self,
                          TrbParticipationProp prop);
void
trb_participation_emit_event (TrbParticipation *self,
                              const char       *kind,
                              const char       *message);

G_END_DECLS
