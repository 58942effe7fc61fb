/* test-protocol.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The protocol module: problem types made and read, what a participant does about each, the
 * point scale and the reward rule the node and the app share.
 */

#include "config.h"

#include <math.h>

#include "net/trb-protocol.h"

static void
test_problem_types (void)
{
  g_autofree char *uri = trb_problem_uri (TRB_PROBLEM_WRONG_SHAPE);

  g_assert_cmpstr (uri, ==, "https://tributary.invalid/problems/wrong-shape");
  g_assert_cmpstr (trb_problem_name_from_uri (uri), ==, TRB_PROBLEM_WRONG_SHAPE);
  g_assert_null (trb_problem_name_from_uri ("https://example.org/problems/late"));
  g_assert_null (trb_problem_name_from_uri (NULL));

  g_assert_cmpint (trb_problem_kind (TRB_PROBLEM_LATE), ==, TRB_PROBLEM_KIND_ROUND_MISSED);
  g_assert_cmpint (trb_problem_kind (TRB_PROBLEM_WRONG_ROUND), ==, TRB_PROBLEM_KIND_ROUND_MISSED);
  g_assert_cmpint (trb_problem_kind (TRB_PROBLEM_WRONG_SHAPE), ==, TRB_PROBLEM_KIND_PERMANENT);
  g_assert_cmpint (trb_problem_kind (TRB_PROBLEM_NON_FINITE), ==, TRB_PROBLEM_KIND_PERMANENT);
  g_assert_cmpint (trb_problem_kind (TRB_PROBLEM_NORM_TOO_LARGE), ==, TRB_PROBLEM_KIND_PERMANENT);
  g_assert_cmpint (trb_problem_kind (TRB_PROBLEM_NOT_JOINED), ==, TRB_PROBLEM_KIND_PERMANENT);
  g_assert_cmpint (trb_problem_kind (TRB_PROBLEM_BUSY), ==, TRB_PROBLEM_KIND_RETRY);
  /* A type a newer node adds is worth a retry, never a reason to stop. */
  g_assert_cmpint (trb_problem_kind ("something-new"), ==, TRB_PROBLEM_KIND_RETRY);
  g_assert_cmpint (trb_problem_kind (NULL), ==, TRB_PROBLEM_KIND_RETRY);
}

static void
test_points (void)
{
  g_assert_cmpfloat (trb_points_to_double (1800), ==, 1.8);
  g_assert_cmpint (trb_points_from_double (1.8), ==, 1800);
  g_assert_cmpint (trb_points_from_double (0.0004), ==, 0);
  g_assert_cmpint (trb_points_from_double (0.0005), ==, 1);

  /* 600 samples × 3 epochs × 0.001 = 1.8 points; the cap holds above it. */
  g_assert_cmpint (trb_protocol_reward (600, 3, 0.001, 10), ==, 1800);
  g_assert_cmpint (trb_protocol_reward (600, 3, 0.01, 5), ==, 5000);
  g_assert_cmpint (trb_protocol_reward (0, 3, 0.01, 5), ==, 0);
}

/* Rule 2: only what the node can check is paid. */
static void
test_checked_reward (void)
{
  /* Samples: the claim, at most the task's cap, or the default cap when it sets none. */
  g_assert_cmpint (trb_protocol_reward_samples (600, 100), ==, 100);
  g_assert_cmpint (trb_protocol_reward_samples (60, 100), ==, 60);
  g_assert_cmpint (trb_protocol_reward_samples (1000000000, 0), ==,
                   TRB_REWARD_DEFAULT_MAX_SAMPLES);
  g_assert_cmpint (trb_protocol_reward_samples (2000, 0), ==, 2000);
  g_assert_cmpint (trb_protocol_reward_samples (-5, 0), ==, 0);
  /* Epochs: at most the task's. */
  g_assert_cmpint (trb_protocol_reward_epochs (1000, 3), ==, 3);
  g_assert_cmpint (trb_protocol_reward_epochs (2, 3), ==, 2);
  g_assert_cmpint (trb_protocol_reward_epochs (5, 0), ==, 1);

  /* Used: accepted and kept at least half as much as the average accepted update. */
  g_assert_true (trb_protocol_reward_used (TRUE, 1, 1));        /* FedAvg */
  g_assert_true (trb_protocol_reward_used (TRUE, 1, 0.75));     /* Multi-Krum, selected */
  g_assert_false (trb_protocol_reward_used (TRUE, 0, 0.75));    /* Multi-Krum, set aside */
  g_assert_true (trb_protocol_reward_used (TRUE, 0.2, 0.4));    /* the median, half the mean */
  g_assert_false (trb_protocol_reward_used (TRUE, 0.19, 0.4));
  g_assert_false (trb_protocol_reward_used (FALSE, 1, 1));      /* refused by the norm bound */

  /* Paid as rule 1 when used and not zero; nothing otherwise. */
  g_assert_cmpint (trb_protocol_reward_checked (600, 3, TRUE, 0.5, 0.001, 10), ==,
                   trb_protocol_reward (600, 3, 0.001, 10));
  g_assert_cmpint (trb_protocol_reward_checked (600, 3, TRUE, 0.5, 0.001, 10), ==, 1800);
  g_assert_cmpint (trb_protocol_reward_checked (600, 3, TRUE, 0.5, 0.01, 5), ==, 5000);
  g_assert_cmpint (trb_protocol_reward_checked (600, 3, FALSE, 0.5, 0.001, 10), ==, 0);
  g_assert_cmpint (trb_protocol_reward_checked (600, 3, TRUE, 0, 0.001, 10), ==, 0);
  g_assert_cmpint (trb_protocol_reward_checked (600, 3, TRUE, 0.9e-6, 0.001, 10), ==, 0);
  g_assert_cmpint (trb_protocol_reward_checked (600, 3, TRUE, TRB_REWARD_MIN_NORM, 0.001, 10),
                   ==, 1800);
  g_assert_cmpint (trb_protocol_reward_checked (600, 3, TRUE, NAN, 0.001, 10), ==, 0);
  g_assert_cmpint (trb_protocol_reward_checked (0, 3, TRUE, 1, 0.001, 10), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/protocol/problem-types", test_problem_types);
  g_test_add_func ("/protocol/points", test_points);
  g_test_add_func ("/protocol/checked-reward", test_checked_reward);
  return g_test_run ();
}
