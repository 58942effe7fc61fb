/* test-rewards.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "participant/trb-rewards.h"

static TrbRewardRecord *
make_record (gint64      time,
             gint64      points,
             gboolean    verified,
             const char *network)
{
  TrbRewardRecord *r = g_new0 (TrbRewardRecord, 1);

  r->origin = g_strdup ("example.org/net");
  r->network = g_strdup (network);
  r->wallet = g_strdup ("7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV");
  r->task = g_strdup ("fashion-mnist");
  r->round = time % 97 + 1;
  r->points = points;
  r->time = time;
  r->leaf_index = (guint64) time % 1000;
  r->verified = verified;
  r->problem = verified ? NULL : g_strdup ("Not in the ledger, \"forged\"\nsecond line");
  return r;
}

static void
test_policy (void)
{
  TrbRewardPolicy policy;
  g_autoptr(GError) error = NULL;

  g_assert_true (trb_reward_policy_from_task ("{\"reward_policy\": {\"points_per_sample_epoch\":"
                                              " 0.001, \"cap_per_round\": 10},"
                                              " \"hyper_parameters\": {\"local_epochs\": 3}}",
                                              &policy, &error));
  g_assert_no_error (error);
  g_assert_cmpint (policy.local_epochs, ==, 3);
  /* 600 × 3 × 0.001 = 1.8 points */
  g_assert_cmpint (trb_reward_policy_expected (&policy, 600), ==, 1800);
  /* Capped at 10 points. */
  g_assert_cmpint (trb_reward_policy_expected (&policy, 100000), ==, 10000);
  g_assert_cmpint (trb_reward_policy_expected (&policy, 0), ==, 0);

  /* Rule 2: the claim capped by the task's max_samples_per_update, nothing for an update the
   * aggregate did not use or of zeros. */
  g_assert_cmpint (policy.max_samples_per_update, ==, 0);
  g_assert_cmpint (trb_reward_policy_recompute (&policy, 600, TRUE, 0.3), ==, 1800);
  g_assert_cmpint (trb_reward_policy_recompute (&policy, 600, FALSE, 0.3), ==, 0);
  g_assert_cmpint (trb_reward_policy_recompute (&policy, 600, TRUE, 0), ==, 0);
  g_assert_true (trb_reward_policy_from_task ("{\"reward_policy\": {\"points_per_sample_epoch\":"
                                              " 0.001, \"cap_per_round\": 10},"
                                              " \"aggregation\": {\"max_samples_per_update\":"
                                              " 200}, \"hyper_parameters\": {\"local_epochs\": 3}}",
                                              &policy, &error));
  g_assert_no_error (error);
  g_assert_cmpint (policy.max_samples_per_update, ==, 200);
  g_assert_cmpint (trb_reward_policy_recompute (&policy, 1000000000, TRUE, 0.3), ==, 600);
  /* Rule 1, for older ledgers, paid on the claim. */
  g_assert_cmpint (trb_reward_policy_expected (&policy, 1000000000), ==, 10000);

  g_assert_false (trb_reward_policy_from_task ("[1, 2", &policy, &error));
  g_assert_nonnull (error);
}

static void
test_buckets (void)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (
    (GDestroyNotify) trb_reward_record_free);
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GArray) days = NULL;
  g_autoptr(GArray) weeks = NULL;
  g_autoptr(GArray) months = NULL;
  /* 2024-01-01 was a Monday. */
  gint64 jan1 = 1704067200;

  g_ptr_array_add (records, make_record (jan1 + 3600, 1000, TRUE, "A"));
  g_ptr_array_add (records, make_record (jan1 + 7200, 500, TRUE, "A"));
  g_ptr_array_add (records, make_record (jan1 + 86400 * 2, 250, TRUE, "A"));
  g_ptr_array_add (records, make_record (jan1 + 86400 * 8, 125, TRUE, "A"));
  g_ptr_array_add (records, make_record (jan1 + 86400 * 40, 64, TRUE, "A"));
  g_ptr_array_add (records, make_record (jan1 + 60, 99999, FALSE, "A"));

  days = trb_rewards_bucket (records, TRB_REWARDS_PERIOD_DAY, utc);
  g_assert_cmpuint (days->len, ==, 4);
  g_assert_cmpint (g_array_index (days, TrbRewardsBucket, 0).start, ==, jan1);
  g_assert_cmpint (g_array_index (days, TrbRewardsBucket, 0).points, ==, 1500);

  weeks = trb_rewards_bucket (records, TRB_REWARDS_PERIOD_WEEK, utc);
  g_assert_cmpuint (weeks->len, ==, 3);
  g_assert_cmpint (g_array_index (weeks, TrbRewardsBucket, 0).points, ==, 1750);
  g_assert_cmpint (g_array_index (weeks, TrbRewardsBucket, 1).start, ==, jan1 + 86400 * 7);

  months = trb_rewards_bucket (records, TRB_REWARDS_PERIOD_MONTH, utc);
  g_assert_cmpuint (months->len, ==, 2);
  g_assert_cmpint (g_array_index (months, TrbRewardsBucket, 0).points, ==, 1875);
  g_assert_cmpint (g_array_index (months, TrbRewardsBucket, 1).start, ==, jan1 + 86400 * 31);

  /* The unverified record never counts. */
  g_assert_cmpint (trb_rewards_total (records), ==, 1939);
}

static void
test_csv (void)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (
    (GDestroyNotify) trb_reward_record_free);
  g_autoptr(GPtrArray) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *csv = NULL;
  const char *bad[] = {
    "",
    "name,origin\r\n",
    "network,origin,wallet,task,round,time,points,verified,leaf_index,problem\r\n"
      "a,b,c,d,1,2024-01-01T00:00:00Z,1.5,yes,3,\r\n",
    "network,origin,wallet,task,round,time,points,verified,leaf_index,problem\r\n"
      "a,b,c,d,1,2024-01-01T00:00:00Z,1.500,maybe,3,\r\n",
    "network,origin,wallet,task,round,time,points,verified,leaf_index,problem\r\n"
      "\"a,b,c,d,1,2024-01-01T00:00:00Z,1.500,yes,3,\r\n",
    "network,origin,wallet,task,round,time,points,verified,leaf_index,problem\r\n"
      "a,b,c,d,1,2024-01-01T00:00:00Z,1.500,yes,3,,extra\r\n",
  };

  g_ptr_array_add (records, make_record (1704067200, 1800, TRUE, "Clothing, \"the\" network"));
  g_ptr_array_add (records, make_record (1704067260, 0, TRUE, "Plain"));
  g_ptr_array_add (records, make_record (1704067320, 123456789, FALSE, "Ünïcode\nname"));

  csv = trb_rewards_to_csv (records);
  g_assert_true (g_str_has_prefix (csv, "network,origin,wallet,task,round,time,points,verified,"
                                        "leaf_index,problem\r\n"));
  g_assert_nonnull (strstr (csv, ",1.800,yes,"));
  g_assert_nonnull (strstr (csv, ",123456.789,no,"));
  back = trb_rewards_from_csv (csv, strlen (csv), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, records->len);
  for (guint i = 0; i < back->len; i++)
    g_assert_true (trb_reward_record_equal (g_ptr_array_index (back, i),
                                            g_ptr_array_index (records, i)));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GPtrArray) none = trb_rewards_from_csv (bad[i], strlen (bad[i]), &error);

      g_assert_null (none);
      g_assert_error (error, TRB_REWARDS_ERROR, TRB_REWARDS_ERROR_CSV);
      g_clear_error (&error);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/rewards/policy", test_policy);
  g_test_add_func ("/rewards/buckets", test_buckets);
  g_test_add_func ("/rewards/csv", test_csv);
  return g_test_run ();
}
