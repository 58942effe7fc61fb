/* trb-history.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The local verified copy of each joined network's ledger (store component "history"): the
 * entries that concern this computer's wallets and every round's result, each verified by an
 * inclusion proof against a checkpoint that was itself verified as consistent with every
 * earlier one. Rewards, reconciliation and provenance are computed from it alone, never from
 * what a node merely claims.
 */

#pragma once

#include <gio/gio.h>

#include "ledger/trb-ledger-history.h"
#include "net/trb-client.h"
#include "participant/trb-rewards.h"
#include "store/trb-store.h"
#include "wallet/trb-keypair.h"

G_BEGIN_DECLS

#define TRB_HISTORY_ERROR (trb_history_error_quark ())

typedef enum
{
  TRB_HISTORY_ERROR_NOT_JOINED,
  TRB_HISTORY_ERROR_HALTED,
  TRB_HISTORY_ERROR_INCONSISTENT,
  TRB_HISTORY_ERROR_PROTOCOL,
} TrbHistoryError;

/* The most entries kept per network, and fetched per request. */
#define TRB_HISTORY_MAX_ENTRIES (4 * 1024 * 1024)
#define TRB_HISTORY_PAGE_SIZE   1000

typedef struct
{
  char   *origin;
  char   *network;
  char   *wallet;
  gint64  points;
  guint   n_rewards;
  guint   n_unverified;
} TrbRewardTotal;

void trb_reward_total_free (TrbRewardTotal *total);

typedef enum
{
  TRB_RECONCILE_PAID,
  TRB_RECONCILE_DIFFERS,
  TRB_RECONCILE_NOTHING,
  TRB_RECONCILE_PENDING,
} TrbReconcileStatus;

/**
 * TrbRoundReconciliation:
 *
 * One update this wallet contributed: what the network's reward policy promised for it and
 * what the verified ledger credited, with the reason when they differ.
 */
typedef struct
{
  char               *origin;
  char               *network;
  char               *wallet;
  char               *task;
  gint64              round;
  char               *update;
  char               *dataset;
  gint64              samples;
  gint64              expected;
  gint64              credited;
  TrbReconcileStatus  status;
  char               *reason;
} TrbRoundReconciliation;

void trb_round_reconciliation_free (TrbRoundReconciliation *item);

/**
 * TrbModelVersion:
 *
 * A model version of a task: the result of one closed round, with its verification.
 */
typedef struct
{
  char     *origin;
  char     *task;
  gint64    round;
  char     *model;
  char     *parent;
  guint     n_contributions;
  gboolean  has_accuracy;
  double    accuracy;
  gint64    time;
  guint64   leaf_index;
  gboolean  verified;
  guint64   checkpoint_size;
  guint     n_earlier_checkpoints;
  guint     n_cosigners;
  guint     n_mine;
  char     *my_datasets;
  char     *problem;
  gboolean  recomputed;
} TrbModelVersion;

void trb_model_version_free (TrbModelVersion *version);

/**
 * TrbEvaluationResult:
 *
 * How well a model version did on data of this computer, as the person asked with "Evaluate on
 * My Data"; kept in the store until they remove it.
 */
typedef struct
{
  char   *origin;
  char   *task;
  char   *model;
  char   *dataset;
  double  accuracy;
  gint64  time;
} TrbEvaluationResult;

void trb_evaluation_result_free (TrbEvaluationResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbRewardTotal, trb_reward_total_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbRoundReconciliation, trb_round_reconciliation_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbModelVersion, trb_model_version_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbEvaluationResult, trb_evaluation_result_free)

#define TRB_TYPE_HISTORY (trb_history_get_type ())

G_DECLARE_FINAL_TYPE (TrbHistory, trb_history, TRB, HISTORY, GObject)

GQuark      trb_history_error_quark       (void);
gboolean    trb_history_migrate           (TrbStore         *store,
                                           GError          **error);
TrbHistory *trb_history_new               (TrbStore         *store,
                                           GError          **error);

gboolean    trb_history_sync              (TrbHistory       *self,
                                           TrbClient        *client,
                                           const char       *origin,
                                           gboolean          witness,
                                           GCancellable     *cancellable,
                                           GError          **error);
void        trb_history_sync_async        (TrbHistory       *self,
                                           const char       *origin,
                                           TrbKeypair       *keypair,
                                           gboolean          witness,
                                           GCancellable     *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer          user_data);
gboolean    trb_history_sync_finish       (TrbHistory       *self,
                                           GAsyncResult     *result,
                                           GError          **error);
gboolean    trb_history_record_dataset    (TrbHistory       *self,
                                           const char       *origin,
                                           const char       *update,
                                           const char       *dataset,
                                           GError          **error);

GStrv       trb_history_list_origins      (TrbHistory       *self,
                                           GError          **error);
char       *trb_history_dup_network_name  (TrbHistory       *self,
                                           const char       *origin,
                                           GError          **error);
GPtrArray  *trb_history_list_rewards      (TrbHistory       *self,
                                           const char       *origin,
                                           GError          **error);
GPtrArray  *trb_history_list_totals       (TrbHistory       *self,
                                           GError          **error);
GPtrArray  *trb_history_reconcile         (TrbHistory       *self,
                                           const char       *origin,
                                           GError          **error);
GPtrArray  *trb_history_list_versions     (TrbHistory       *self,
                                           const char       *origin,
                                           const char       *task,
                                           GError          **error);
GPtrArray  *trb_history_list_version_items (TrbHistory    *self,
                                           const char       *origin,
                                           const char       *task,
                                           GError          **error);
GPtrArray  *trb_history_list_reward_items (TrbHistory       *self,
                                           GError          **error);

gboolean    trb_history_save_evaluation   (TrbHistory       *self,
                                           const char       *origin,
                                           const char       *task,
                                           const char       *model,
                                           const char       *dataset,
                                           double            accuracy,
                                           GError          **error);
GPtrArray  *trb_history_list_evaluations  (TrbHistory       *self,
                                           const char       *origin,
                                           const char       *model,
                                           GError          **error);
gboolean    trb_history_remove_evaluation (TrbHistory       *self,
                                           const char       *origin,
                                           const char       *model,
                                           const char       *dataset,
                                           GError          **error);

gboolean    trb_history_is_halted         (TrbHistory       *self,
                                           const char       *origin,
                                           GError          **error);
GStrv       trb_history_list_halted       (TrbHistory       *self,
                                           GError          **error);
TrbLedgerTamper trb_history_get_tamper    (TrbHistory       *self,
                                           const char       *origin,
                                           GError          **error);
gboolean    trb_history_resume            (TrbHistory       *self,
                                           const char       *origin,
                                           GError          **error);
char       *trb_history_export_evidence   (TrbHistory       *self,
                                           const char       *origin,
                                           GError          **error);

GBytes     *trb_history_download_model    (TrbHistory       *self,
                                           TrbClient        *client,
                                           const char       *origin,
                                           const char       *model,
                                           GCancellable     *cancellable,
                                           GError          **error);
gboolean    trb_history_evaluate          (TrbHistory       *self,
                                           const char       *origin,
                                           const char       *task,
                                           GBytes           *weights,
                                           const char       *idx_images,
                                           gsize             max_samples,
                                           double           *accuracy,
                                           GCancellable     *cancellable,
                                           GError          **error);
void        trb_history_download_model_async (TrbHistory    *self,
                                           const char       *origin,
                                           const char       *model,
                                           GCancellable     *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer          user_data);
GBytes     *trb_history_download_model_finish (TrbHistory   *self,
                                           GAsyncResult     *result,
                                           GError          **error);
void        trb_history_evaluate_async    (TrbHistory       *self,
                                           const char       *origin,
                                           const char       *task,
                                           const char       *model,
                                           const char       *idx_images,
                                           GCancellable     *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer          user_data);
double      trb_history_evaluate_finish   (TrbHistory       *self,
                                           GAsyncResult     *result,
                                           GError          **error);

G_END_DECLS
