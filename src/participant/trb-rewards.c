/* trb-rewards.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-rewards"

#include "config.h"

#include "trb-rewards.h"
#include "trb-i18n.h"
#include "trb-json.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "net/trb-protocol.h"

#define CSV_HEADER "network,origin,wallet,task,round,time,points,verified,leaf_index,problem"
#define CSV_COLUMNS 10

G_DEFINE_QUARK (trb-rewards-error-quark, trb_rewards_error)

void
trb_reward_record_free (TrbRewardRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->origin);
  g_free (record->network);
  g_free (record->wallet);
  g_free (record->task);
  g_free (record->problem);
  g_free (record);
}

TrbRewardRecord *
trb_reward_record_copy (const TrbRewardRecord *record)
{
  TrbRewardRecord *copy;

  g_return_val_if_fail (record != NULL, NULL);

  copy = g_memdup2 (record, sizeof *record);
  copy->origin = g_strdup (record->origin);
  copy->network = g_strdup (record->network);
  copy->wallet = g_strdup (record->wallet);
  copy->task = g_strdup (record->task);
  copy->problem = g_strdup (record->problem);
  return copy;
}

gboolean
trb_reward_record_equal (const TrbRewardRecord *a,
                         const TrbRewardRecord *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return g_strcmp0 (a->origin, b->origin) == 0 && g_strcmp0 (a->network, b->network) == 0 &&
         g_strcmp0 (a->wallet, b->wallet) == 0 && g_strcmp0 (a->task, b->task) == 0 &&
         a->round == b->round && a->points == b->points && a->time == b->time &&
         a->leaf_index == b->leaf_index && !a->verified == !b->verified &&
         g_strcmp0 (a->problem != NULL ? a->problem : "", b->problem != NULL ? b->problem : "")
           == 0;
}

/* ---- policy ------------------------------------------------------------------------------- */

static double
member_double (JsonObject *task,
               const char *object,
               const char *member,
               double      fallback)
{
  JsonNode *node = json_object_get_member (task, object);
  JsonNode *value;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return fallback;
  value = json_object_get_member (json_node_get_object (node), member);
  if (value == NULL || !JSON_NODE_HOLDS_VALUE (value) ||
      (json_node_get_value_type (value) != G_TYPE_DOUBLE &&
       json_node_get_value_type (value) != G_TYPE_INT64))
    return fallback;
  return json_node_get_double (value);
}

/**
 * trb_reward_policy_from_task:
 * @task_json: a task as `GET /v1/tasks/{t}` serves it
 * @policy: (out): the policy
 * @error: return location for an error
 *
 * Reads the reward policy and the local epochs of a task, with the defaults the reference node
 * applies to members it lacks.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_reward_policy_from_task (const char       *task_json,
                             TrbRewardPolicy  *policy,
                             GError          **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *task;
  double epochs;

  g_return_val_if_fail (task_json != NULL, FALSE);
  g_return_val_if_fail (policy != NULL, FALSE);

  if (strlen (task_json) > 4 * 1024 * 1024 || !trb_json_parser_load_bounded (parser, task_json, -1,
                                                                           NULL))
    {
      g_set_error_literal (error, TRB_REWARDS_ERROR, TRB_REWARDS_ERROR_CSV,
                           _("The network’s description of its task could not be read."));
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, TRB_REWARDS_ERROR, TRB_REWARDS_ERROR_CSV,
                           _("The network’s description of its task could not be read."));
      return FALSE;
    }
  task = json_node_get_object (root);
  policy->points_per_sample_epoch =
    CLAMP (member_double (task, "reward_policy", "points_per_sample_epoch", 0.001), 0, 1e6);
  policy->cap_per_round = CLAMP (member_double (task, "reward_policy", "cap_per_round", 10), 0,
                                 1e9);
  epochs = member_double (task, "hyper_parameters", "local_epochs", 1);
  policy->local_epochs = (int) CLAMP (epochs, 1, 100);
  /* A cap the node would refuse (trb_aggregation_config_parse()) is read as none. */
  policy->max_samples_per_update =
    (gint64) CLAMP (member_double (task, "aggregation", "max_samples_per_update", 0), 0, 1e9);
  return TRUE;
}

/**
 * trb_reward_policy_expected:
 * @policy: a reward policy
 * @samples: the samples behind one update
 *
 * What reward rule 1, which paid on the claims, promised for one update: the rule of the
 * `reward` entries without a `rule` member, which older nodes wrote.
 *
 * Returns: the thousandths of a point the policy promises for one update
 */
gint64
trb_reward_policy_expected (const TrbRewardPolicy *policy,
                            gint64                 samples)
{
  g_return_val_if_fail (policy != NULL, 0);

  if (samples <= 0)
    return 0;
  return trb_protocol_reward (samples, policy->local_epochs, policy->points_per_sample_epoch,
                              policy->cap_per_round);
}

/**
 * trb_reward_policy_recompute:
 * @policy: a reward policy
 * @samples: the samples this computer's update claimed
 * @used: the `reward` entry's verdict: whether the round's aggregate used the update
 * @norm: the `reward` entry's L2 norm of the update
 *
 * Reward rule 2 (docs/ledger-format.md), recomputed from what this computer knows (its claim
 * and the task's policy) and the node's verdict on the update, with the very function the node
 * applies. The epochs counted are the task's: this computer trains exactly those.
 *
 * Returns: the thousandths of a point the rule gives
 */
gint64
trb_reward_policy_recompute (const TrbRewardPolicy *policy,
                             gint64                 samples,
                             gboolean               used,
                             double                 norm)
{
  g_return_val_if_fail (policy != NULL, 0);

  return trb_protocol_reward_checked (
    trb_protocol_reward_samples (samples, policy->max_samples_per_update),
    trb_protocol_reward_epochs (policy->local_epochs, policy->local_epochs), used, norm,
    policy->points_per_sample_epoch, policy->cap_per_round);
}

/* ---- sums --------------------------------------------------------------------------------- */

/**
 * trb_rewards_period_start:
 * @time: seconds since 1970
 * @period: a day, week (from Monday) or month
 * @zone: (nullable): the time zone; local time when %NULL
 *
 * Returns: the first second of the period holding @time
 */
gint64
trb_rewards_period_start (gint64            time,
                          TrbRewardsPeriod  period,
                          GTimeZone        *zone)
{
  g_autoptr(GTimeZone) local = zone != NULL ? g_time_zone_ref (zone) : g_time_zone_new_local ();
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (time);
  g_autoptr(GDateTime) in_zone = NULL;
  g_autoptr(GDateTime) start = NULL;
  int y, m, d;

  if (when == NULL)
    return time;
  in_zone = g_date_time_to_timezone (when, local);
  g_date_time_get_ymd (in_zone, &y, &m, &d);
  if (period == TRB_REWARDS_PERIOD_MONTH)
    d = 1;
  start = g_date_time_new (local, y, m, d, 0, 0, 0);
  if (period == TRB_REWARDS_PERIOD_WEEK)
    {
      GDateTime *monday = g_date_time_add_days (start, 1 - g_date_time_get_day_of_week (start));

      g_date_time_unref (start);
      start = monday;
    }
  return g_date_time_to_unix (start);
}

static int
compare_buckets (gconstpointer a,
                 gconstpointer b)
{
  const TrbRewardsBucket *x = a, *y = b;

  return (x->start > y->start) - (x->start < y->start);
}

/**
 * trb_rewards_bucket:
 * @records: (element-type TrbRewardRecord): reward records
 * @period: the length of a bucket
 * @zone: (nullable): the time zone; local time when %NULL
 *
 * Sums the verified records by period; unverified records never count.
 *
 * Returns: (transfer full) (element-type TrbRewardsBucket): the buckets with rewards, oldest first
 */
GArray *
trb_rewards_bucket (GPtrArray        *records,
                    TrbRewardsPeriod  period,
                    GTimeZone        *zone)
{
  GArray *buckets = g_array_new (FALSE, FALSE, sizeof (TrbRewardsBucket));
  g_autoptr(GHashTable) index = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  g_return_val_if_fail (records != NULL, buckets);

  for (guint i = 0; i < records->len; i++)
    {
      TrbRewardRecord *record = g_ptr_array_index (records, i);
      gint64 start;
      gpointer slot;

      if (!record->verified)
        continue;
      start = trb_rewards_period_start (record->time, period, zone);
      if (g_hash_table_lookup_extended (index, &start, NULL, &slot))
        g_array_index (buckets, TrbRewardsBucket, GPOINTER_TO_UINT (slot)).points +=
          record->points;
      else
        {
          TrbRewardsBucket bucket = { start, record->points };

          g_hash_table_insert (index, g_memdup2 (&start, sizeof start),
                               GUINT_TO_POINTER (buckets->len));
          g_array_append_val (buckets, bucket);
        }
    }
  g_array_sort (buckets, compare_buckets);
  return buckets;
}

/**
 * trb_rewards_total:
 * @records: (element-type TrbRewardRecord): reward records
 *
 * Returns: the sum of the verified records' points
 */
gint64
trb_rewards_total (GPtrArray *records)
{
  gint64 total = 0;

  g_return_val_if_fail (records != NULL, 0);

  for (guint i = 0; i < records->len; i++)
    {
      TrbRewardRecord *record = g_ptr_array_index (records, i);

      if (record->verified)
        total += record->points;
    }
  return total;
}

/**
 * trb_rewards_format_points:
 * @points: thousandths of a point
 *
 * Returns: (transfer full): the points with three decimals, in the C locale ("1.800")
 */
char *
trb_rewards_format_points (gint64 points)
{
  return g_strdup_printf ("%s%" G_GINT64_FORMAT ".%03" G_GINT64_FORMAT, points < 0 ? "-" : "",
                          ABS (points) / TRB_POINTS_SCALE, ABS (points) % TRB_POINTS_SCALE);
}

/**
 * trb_rewards_dup_points_text:
 * @points: thousandths of a point
 *
 * The points as a person reads them, in the user's locale and with no more decimals than the
 * amount has: "12.345 Punkte" or "2,4 Punkte" in German, "12,345 points" or "2.4 points" in
 * American English. Never for the CSV export or anything else a program reads back: that is
 * trb_rewards_format_points().
 *
 * Returns: (transfer full): the text
 */
char *
trb_rewards_dup_points_text (gint64 points)
{
  gint64 whole = ABS (points) / TRB_POINTS_SCALE;
  int fraction = (int) (ABS (points) % TRB_POINTS_SCALE);
  int decimals = fraction == 0 ? 0 : fraction % 100 == 0 ? 1 : fraction % 10 == 0 ? 2 : 3;
  g_autofree char *number = trb_format_decimal (trb_points_to_double (points), decimals);
  /* gettext's plural forms are made for whole numbers; an amount with a fraction takes the
   * form of a number above one in the languages shipped ("2.4 points", "2,4 Punkte"). */
  gulong n = fraction != 0 && whole < 2 ? 2 : (gulong) MIN (whole, (gint64) G_MAXLONG);

  /* Translators: an amount of reward points, such as “2.4 points” or “12,345 points”. */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s point", "%s points", n), number);
}

/* ---- CSV (RFC 4180) ----------------------------------------------------------------------- */

static void
append_field (GString    *out,
              const char *value,
              gboolean    last)
{
  if (value == NULL)
    value = "";
  if (strpbrk (value, ",\"\r\n") != NULL)
    {
      g_string_append_c (out, '"');
      for (const char *p = value; *p != '\0'; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else
    g_string_append (out, value);
  g_string_append (out, last ? "\r\n" : ",");
}

/**
 * trb_rewards_to_csv:
 * @records: (element-type TrbRewardRecord): reward records
 *
 * Writes the records as CSV (RFC 4180, CRLF line ends, one header line); times are ISO 8601 in
 * UTC, points have three decimals.
 *
 * Returns: (transfer full): the CSV text
 */
char *
trb_rewards_to_csv (GPtrArray *records)
{
  GString *out = g_string_new (CSV_HEADER "\r\n");

  g_return_val_if_fail (records != NULL, g_string_free (out, FALSE));

  for (guint i = 0; i < records->len; i++)
    {
      TrbRewardRecord *r = g_ptr_array_index (records, i);
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (r->time);
      g_autofree char *time = when != NULL ? g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ")
                                           : g_strdup ("");
      g_autofree char *round = g_strdup_printf ("%" G_GINT64_FORMAT, r->round);
      g_autofree char *points = trb_rewards_format_points (r->points);
      g_autofree char *leaf = g_strdup_printf ("%" G_GUINT64_FORMAT, r->leaf_index);

      append_field (out, r->network, FALSE);
      append_field (out, r->origin, FALSE);
      append_field (out, r->wallet, FALSE);
      append_field (out, r->task, FALSE);
      append_field (out, round, FALSE);
      append_field (out, time, FALSE);
      append_field (out, points, FALSE);
      append_field (out, r->verified ? "yes" : "no", FALSE);
      append_field (out, leaf, FALSE);
      append_field (out, r->problem, TRUE);
    }
  return g_string_free (out, FALSE);
}

/* Reads one record (a line, or several when quoted fields hold line ends). */
static GPtrArray *
read_csv_row (const char  *text,
              gsize        length,
              gsize       *pos,
              GError     **error)
{
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) field = g_string_new (NULL);
  gsize i = *pos;

  for (;;)
    {
      if (i < length && text[i] == '"')
        {
          i++;
          for (;;)
            {
              if (i >= length)
                {
                  g_set_error_literal (error, TRB_REWARDS_ERROR, TRB_REWARDS_ERROR_CSV,
                                       _("The file ends inside a quoted value."));
                  return NULL;
                }
              if (text[i] == '"')
                {
                  if (i + 1 < length && text[i + 1] == '"')
                    {
                      g_string_append_c (field, '"');
                      i += 2;
                      continue;
                    }
                  i++;
                  break;
                }
              g_string_append_c (field, text[i++]);
            }
        }
      else
        {
          while (i < length && text[i] != ',' && text[i] != '\r' && text[i] != '\n')
            {
              if (text[i] == '"' || text[i] == '\0')
                {
                  g_set_error_literal (error, TRB_REWARDS_ERROR, TRB_REWARDS_ERROR_CSV,
                                       _("A value holds a stray quote or a null byte."));
                  return NULL;
                }
              g_string_append_c (field, text[i++]);
            }
        }
      if (fields->len >= CSV_COLUMNS)
        {
          g_set_error_literal (error, TRB_REWARDS_ERROR, TRB_REWARDS_ERROR_CSV,
                               _("A line has too many values."));
          return NULL;
        }
      g_ptr_array_add (fields, g_strndup (field->str, field->len));
      g_string_truncate (field, 0);
      if (i < length && text[i] == ',')
        {
          i++;
          continue;
        }
      if (i < length && text[i] == '\r')
        i++;
      if (i < length && text[i] == '\n')
        i++;
      else if (i < length)
        {
          g_set_error_literal (error, TRB_REWARDS_ERROR, TRB_REWARDS_ERROR_CSV,
                               _("A quoted value is followed by other text."));
          return NULL;
        }
      break;
    }
  *pos = i;
  return g_steal_pointer (&fields);
}

static gboolean
parse_points (const char *text,
              gint64     *points)
{
  g_auto(GStrv) parts = g_strsplit (text, ".", 2);
  guint64 whole, frac = 0;
  gboolean negative = text[0] == '-';

  if (parts[0] == NULL ||
      !g_ascii_string_to_unsigned (parts[0] + (negative ? 1 : 0), 10, 0,
                                   G_MAXINT64 / TRB_POINTS_SCALE - 1, &whole, NULL))
    return FALSE;
  if (parts[1] != NULL && (strlen (parts[1]) != 3 ||
                           !g_ascii_string_to_unsigned (parts[1], 10, 0, 999, &frac, NULL)))
    return FALSE;
  *points = (gint64) (whole * TRB_POINTS_SCALE + frac) * (negative ? -1 : 1);
  return TRUE;
}

/**
 * trb_rewards_from_csv:
 * @text: CSV text as trb_rewards_to_csv() writes it
 * @length: its length in bytes
 * @error: return location for an error
 *
 * Reads reward records back from CSV.
 *
 * Returns: (transfer full) (element-type TrbRewardRecord): the records, or %NULL on error
 */
GPtrArray *
trb_rewards_from_csv (const char  *text,
                      gsize        length,
                      GError     **error)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) header = NULL;
  gsize pos = 0;
  guint line = 1;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  if (length > TRB_REWARDS_CSV_MAX_SIZE || !g_utf8_validate_len (text, length, NULL))
    {
      g_set_error_literal (error, TRB_REWARDS_ERROR, TRB_REWARDS_ERROR_CSV,
                           length > TRB_REWARDS_CSV_MAX_SIZE
                             ? _("The file is too large to be a reward list.")
                             : _("The file is not text."));
      return NULL;
    }
  header = read_csv_row (text, length, &pos, error);
  if (header == NULL)
    return NULL;
  {
    g_autoptr(GString) joined = g_string_new (NULL);

    for (guint i = 0; i < header->len; i++)
      g_string_append_printf (joined, "%s%s", i > 0 ? "," : "",
                              (char *) g_ptr_array_index (header, i));
    if (!g_str_equal (joined->str, CSV_HEADER))
      {
        g_set_error_literal (error, TRB_REWARDS_ERROR, TRB_REWARDS_ERROR_CSV,
                             _("The file is not a Tributary reward list."));
        return NULL;
      }
  }

  records = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_reward_record_free);
  while (pos < length)
    {
      g_autoptr(GPtrArray) f = NULL;
      g_autoptr(TrbRewardRecord) r = g_new0 (TrbRewardRecord, 1);
      g_autoptr(GDateTime) when = NULL;
      guint64 round, leaf;
      const char *verified;

      line++;
      if (records->len >= TRB_REWARDS_CSV_MAX_ROWS)
        {
          g_set_error_literal (error, TRB_REWARDS_ERROR, TRB_REWARDS_ERROR_CSV,
                               _("The file has too many lines."));
          return NULL;
        }
      f = read_csv_row (text, length, &pos, error);
      if (f == NULL)
        return NULL;
      if (f->len != CSV_COLUMNS)
        {
          g_set_error (error, TRB_REWARDS_ERROR, TRB_REWARDS_ERROR_CSV,
                       /* Translators: the line's number, then the number of values it should
                        * have, which chooses the plural form. */
                       g_dngettext (GETTEXT_PACKAGE, "Line %u does not have %d value.",
                                    "Line %u does not have %d values.", CSV_COLUMNS),
                       line, CSV_COLUMNS);
          return NULL;
        }
      verified = g_ptr_array_index (f, 7);
      when = g_date_time_new_from_iso8601 (g_ptr_array_index (f, 5), NULL);
      if (!g_ascii_string_to_unsigned (g_ptr_array_index (f, 4), 10, 0, G_MAXINT64, &round,
                                       NULL) ||
          !g_ascii_string_to_unsigned (g_ptr_array_index (f, 8), 10, 0, G_MAXINT64, &leaf,
                                       NULL) ||
          !parse_points (g_ptr_array_index (f, 6), &r->points) || when == NULL ||
          (!g_str_equal (verified, "yes") && !g_str_equal (verified, "no")))
        {
          g_set_error (error, TRB_REWARDS_ERROR, TRB_REWARDS_ERROR_CSV,
                       _("Line %u has a value that cannot be read."), line);
          return NULL;
        }
      r->network = g_strdup (g_ptr_array_index (f, 0));
      r->origin = g_strdup (g_ptr_array_index (f, 1));
      r->wallet = g_strdup (g_ptr_array_index (f, 2));
      r->task = g_strdup (g_ptr_array_index (f, 3));
      r->round = (gint64) round;
      r->time = g_date_time_to_unix (when);
      r->verified = g_str_equal (verified, "yes");
      r->leaf_index = leaf;
      r->problem = *(char *) g_ptr_array_index (f, 9) != '\0'
                     ? g_strdup (g_ptr_array_index (f, 9)) : NULL;
      g_ptr_array_add (records, g_steal_pointer (&r));
    }
  return g_steal_pointer (&records);
}
