/* test-protocol.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The protocol module: problem types made and read, what a participant does about each, the
 * point scale and the reward rule the node and the app share.
 */

#include "config.h"

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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/protocol/problem-types", test_problem_types);
  g_test_add_func ("/protocol/points", test_points);
  return g_test_run ();
}
