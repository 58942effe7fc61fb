/* trb-protocol.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The protocol's problem types, point scale and reward rule (see trb-protocol.h).
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "trb-protocol.h"

/**
 * trb_problem_uri:
 * @name: a problem type's short name, such as %TRB_PROBLEM_LATE
 *
 * Returns: (transfer full): the problem's `type` URI
 */
char *
trb_problem_uri (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);
  return g_strconcat (TRB_PROBLEM_BASE, name, NULL);
}

/**
 * trb_problem_name_from_uri:
 * @uri: (nullable): a problem document's `type`
 *
 * Returns: (nullable) (transfer none): the short name within @uri, or %NULL when @uri is not
 *   one of Tributary's problem types
 */
const char *
trb_problem_name_from_uri (const char *uri)
{
  if (uri == NULL || !g_str_has_prefix (uri, TRB_PROBLEM_BASE))
    return NULL;
  return uri + strlen (TRB_PROBLEM_BASE);
}

/**
 * trb_problem_kind:
 * @name: (nullable): a problem type's short name
 *
 * Says what a participant does about a rejection of this type, as docs/protocol.md and the
 * participation loop's DESIGN.md describe. A type this build does not know is worth a retry:
 * a newer node may add types.
 *
 * Returns: the kind of problem
 */
TrbProblemKind
trb_problem_kind (const char *name)
{
  static const char * const round_missed[] = {
    TRB_PROBLEM_LATE, TRB_PROBLEM_WRONG_ROUND, TRB_PROBLEM_NOT_SELECTED,
  };
  static const char * const permanent[] = {
    TRB_PROBLEM_WRONG_SHAPE, TRB_PROBLEM_NON_FINITE, TRB_PROBLEM_OUT_OF_RANGE,
    TRB_PROBLEM_NORM_TOO_LARGE, TRB_PROBLEM_BAD_UPDATE, TRB_PROBLEM_TOO_LARGE, TRB_PROBLEM_NOT_JOINED,
    TRB_PROBLEM_UNKNOWN_TASK, TRB_PROBLEM_BAD_SIGNATURE, TRB_PROBLEM_BAD_REQUEST,
  };

  if (name == NULL)
    return TRB_PROBLEM_KIND_RETRY;
  for (guint i = 0; i < G_N_ELEMENTS (round_missed); i++)
    if (g_str_equal (name, round_missed[i]))
      return TRB_PROBLEM_KIND_ROUND_MISSED;
  for (guint i = 0; i < G_N_ELEMENTS (permanent); i++)
    if (g_str_equal (name, permanent[i]))
      return TRB_PROBLEM_KIND_PERMANENT;
  return TRB_PROBLEM_KIND_RETRY;
}

/**
 * trb_points_to_double:
 * @points: thousandths of a point
 *
 * Returns: @points in points, for a chart or a sum shown
 */
double
trb_points_to_double (gint64 points)
{
  return (double) points / TRB_POINTS_SCALE;
}

/**
 * trb_points_from_double:
 * @value: points
 *
 * Returns: @value in thousandths of a point, rounded to the nearest
 */
gint64
trb_points_from_double (double value)
{
  return (gint64) llround (value * TRB_POINTS_SCALE);
}

/**
 * trb_protocol_reward:
 * @samples: the samples an update was trained on
 * @epochs: the local epochs the task asks
 * @points_per_sample_epoch: the task's `reward_policy.points_per_sample_epoch`
 * @cap_per_round: the task's `reward_policy.cap_per_round`
 *
 * The reward rule of docs/protocol.md: samples × epochs × points per sample and epoch, at most
 * the cap, in thousandths of a point. The node writes it in the ledger and the app shows what
 * to expect from it; both call this.
 *
 * Returns: the reward, in thousandths of a point
 */
gint64
trb_protocol_reward (gint64 samples,
                     gint64 epochs,
                     double points_per_sample_epoch,
                     double cap_per_round)
{
  double points = (double) samples * epochs * points_per_sample_epoch;

  return trb_points_from_double (MIN (points, cap_per_round));
}

/**
 * trb_protocol_reward_samples:
 * @claimed: the samples an update claims (`update_accepted.samples`)
 * @max_samples_per_update: the task's `aggregation.max_samples_per_update`; 0 when it sets none
 *
 * The samples rule 2 pays for: the claim, at most the task's cap, or
 * %TRB_REWARD_DEFAULT_MAX_SAMPLES when the task sets none. Nobody can check a claimed count,
 * so it is only ever believed up to what an honest participant of the task may have.
 *
 * Returns: the samples counted, 0 for a claim below one
 */
gint64
trb_protocol_reward_samples (gint64 claimed,
                             gint64 max_samples_per_update)
{
  gint64 cap = max_samples_per_update > 0 ? max_samples_per_update
                                          : TRB_REWARD_DEFAULT_MAX_SAMPLES;

  return CLAMP (claimed, 0, cap);
}

/**
 * trb_protocol_reward_epochs:
 * @claimed: the epochs an update claims (its `epochs` metadata)
 * @local_epochs: the task's `hyper_parameters.local_epochs`
 *
 * Returns: the epochs rule 2 pays for: the claim, at most the task's
 */
gint64
trb_protocol_reward_epochs (gint64 claimed,
                            gint64 local_epochs)
{
  return CLAMP (claimed, 0, MAX (local_epochs, 1));
}

/**
 * trb_protocol_reward_used:
 * @accepted: whether the aggregation took the update at all (not refused by the norm bound)
 * @kept_share: the share of the update's coordinates that entered the aggregate
 * @mean_kept_share: the mean of @kept_share over the round's accepted updates
 *
 * Whether an update counts as used by the round's aggregate, for every strategy alike: it
 * was accepted and at least half as much of it entered the aggregate as of the average
 * accepted update. FedAvg keeps all of every accepted update (share 1: all are used);
 * Multi-Krum keeps all of the selected ones and nothing of the others (only the selected are
 * used); the median and the trimmed mean keep an honest update in about as many coordinates
 * as any other, and an outlier in few or none.
 *
 * Returns: %TRUE when the update is used
 */
gboolean
trb_protocol_reward_used (gboolean accepted,
                          double   kept_share,
                          double   mean_kept_share)
{
  return accepted && kept_share > 0 && kept_share >= 0.5 * mean_kept_share;
}

/**
 * trb_protocol_reward_checked:
 * @samples: the samples counted (trb_protocol_reward_samples())
 * @epochs: the epochs counted (trb_protocol_reward_epochs())
 * @used: whether the round's aggregate used the update (trb_protocol_reward_used())
 * @norm: the L2 norm of the update as it was accepted, before any norm bound
 * @points_per_sample_epoch: the task's `reward_policy.points_per_sample_epoch`
 * @cap_per_round: the task's `reward_policy.cap_per_round`
 *
 * Reward rule 2 (docs/ledger-format.md, "Reward rules"): nothing for an update the aggregate
 * did not use or whose norm is below %TRB_REWARD_MIN_NORM (or not a number); otherwise
 * trb_protocol_reward() of the counted samples and epochs. The node writes its inputs in the
 * `reward` entry, so that every participant recomputes the points with this function.
 *
 * Returns: the reward, in thousandths of a point
 */
gint64
trb_protocol_reward_checked (gint64   samples,
                             gint64   epochs,
                             gboolean used,
                             double   norm,
                             double   points_per_sample_epoch,
                             double   cap_per_round)
{
  if (!used || !(norm >= TRB_REWARD_MIN_NORM) || samples <= 0 || epochs <= 0)
    return 0;
  return trb_protocol_reward (samples, epochs, points_per_sample_epoch, cap_per_round);
}
