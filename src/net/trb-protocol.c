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
