/* trb-rewards.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reward records, a network's reward policy, sums over periods for the chart, and the CSV form
 * of the reward list. Pure functions: no store, no network.
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TRB_REWARDS_ERROR (trb_rewards_error_quark ())

typedef enum
{
  TRB_REWARDS_ERROR_CSV,
} TrbRewardsError;

/* Limits on a CSV file read back. */
#define TRB_REWARDS_CSV_MAX_SIZE (64 * 1024 * 1024)
#define TRB_REWARDS_CSV_MAX_ROWS 1000000

/**
 * TrbRewardRecord:
 * @origin: the network's origin
 * @network: the network's name
 * @wallet: the address rewarded
 * @task: the task
 * @round: the round
 * @points: thousandths of a point
 * @time: seconds since 1970 (UTC)
 * @leaf_index: the entry's index in the ledger
 * @verified: whether the entry's inclusion was verified against a verified checkpoint
 * @problem: (nullable): why it is not verified
 *
 * One `reward` entry of a network's ledger.
 */
typedef struct
{
  char     *origin;
  char     *network;
  char     *wallet;
  char     *task;
  gint64    round;
  gint64    points;
  gint64    time;
  guint64   leaf_index;
  gboolean  verified;
  char     *problem;
} TrbRewardRecord;

void             trb_reward_record_free  (TrbRewardRecord *record);
TrbRewardRecord *trb_reward_record_copy  (const TrbRewardRecord *record);
gboolean         trb_reward_record_equal (const TrbRewardRecord *a,
                                          const TrbRewardRecord *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbRewardRecord, trb_reward_record_free)

/**
 * TrbRewardPolicy:
 * @points_per_sample_epoch: points for one sample trained for one epoch
 * @cap_per_round: the most points one update earns
 * @local_epochs: the epochs each participant trains
 * @max_samples_per_update: the task's `aggregation.max_samples_per_update`; 0 when it sets none
 *
 * A task's reward policy, as docs/protocol.md defines it.
 */
typedef struct
{
  double points_per_sample_epoch;
  double cap_per_round;
  int    local_epochs;
  gint64 max_samples_per_update;
} TrbRewardPolicy;

gboolean trb_reward_policy_from_task  (const char      *task_json,
                                       TrbRewardPolicy *policy,
                                       GError         **error);
gint64   trb_reward_policy_expected   (const TrbRewardPolicy *policy,
                                       gint64                 samples);
gint64   trb_reward_policy_recompute  (const TrbRewardPolicy *policy,
                                       gint64                 samples,
                                       gboolean               used,
                                       double                 norm);

typedef enum
{
  TRB_REWARDS_PERIOD_DAY,
  TRB_REWARDS_PERIOD_WEEK,
  TRB_REWARDS_PERIOD_MONTH,
} TrbRewardsPeriod;

/**
 * TrbRewardsBucket:
 * @start: the period's first second (local time), seconds since 1970
 * @points: thousandths of a point earned in it
 *
 * The verified rewards of one day, week or month.
 */
typedef struct
{
  gint64 start;
  gint64 points;
} TrbRewardsBucket;

GQuark     trb_rewards_error_quark   (void);
gint64     trb_rewards_period_start  (gint64            time,
                                      TrbRewardsPeriod  period,
                                      GTimeZone        *zone);
GArray    *trb_rewards_bucket        (GPtrArray        *records,
                                      TrbRewardsPeriod  period,
                                      GTimeZone        *zone);
gint64     trb_rewards_total         (GPtrArray        *records);
char      *trb_rewards_format_points (gint64            points);
char      *trb_rewards_dup_points_text (gint64          points);

char      *trb_rewards_to_csv        (GPtrArray        *records);
GPtrArray *trb_rewards_from_csv      (const char       *text,
                                      gsize             length,
                                      GError          **error);

G_END_DECLS
