/* trb-aggregator.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The aggregation strategies and the server optimizers, one code for the node that aggregates a
 * round and for anyone who recomputes it. GLib only: no database, no network.
 */

#define G_LOG_DOMAIN "trb-aggregation"

#include "config.h"

#include "trb-aggregator.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trb-json.h"

G_DEFINE_QUARK (trb-aggregation-error-quark, trb_aggregation_error)

/* The round_policy bound the node also applies: a task names at most this many updates. */
#define MAX_UPDATES_LIMIT 100000
/* Multi-Krum keeps an n × n table of distances and computes n² / 2 of them over the whole
 * model: past this many updates a round it would take memory and hours for nothing a
 * coordinate-wise strategy cannot do. */
#define MAX_KRUM_UPDATES 1000

static const char * const strategy_names[] = {
  "fedavg", "median", "trimmed_mean", "multi_krum", NULL,
};
static const char * const optimizer_names[] = {
  "fedavgm", "fedadagrad", "fedyogi", "fedadam", NULL,
};

const char *
trb_aggregation_strategy_to_string (TrbAggregationStrategy strategy)
{
  g_return_val_if_fail (strategy < G_N_ELEMENTS (strategy_names) - 1, NULL);
  return strategy_names[strategy];
}

const char *
trb_server_optimizer_to_string (TrbServerOptimizer optimizer)
{
  g_return_val_if_fail (optimizer < G_N_ELEMENTS (optimizer_names) - 1, NULL);
  return optimizer_names[optimizer];
}

/* ---- the task's `aggregation` member ------------------------------------------------------ */

static gboolean
invalid (GError     **error,
         const char  *message)
{
  g_set_error_literal (error, TRB_AGGREGATION_ERROR, TRB_AGGREGATION_ERROR_INVALID, message);
  return FALSE;
}

/* The number @name of @obj in [@min, @max] (an open upper end when @max_open), or @fallback when
 * it is missing. Anything else is an error naming the member. */
static gboolean
read_number (JsonObject  *obj,
             const char  *name,
             double       fallback,
             double       min,
             double       max,
             gboolean     max_open,
             gboolean     integer,
             double      *out,
             GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  GType type;
  double value;

  if (node == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  value = type == G_TYPE_INT64 || type == G_TYPE_DOUBLE ? json_node_get_double (node) : NAN;
  if (!isfinite (value) || value < min || value > max || (max_open && value >= max) ||
      (integer && value != floor (value)))
    {
      g_autofree char *message = NULL;
      char low[G_ASCII_DTOSTR_BUF_SIZE], high[G_ASCII_DTOSTR_BUF_SIZE];

      g_ascii_formatd (low, sizeof low, "%g", min);
      g_ascii_formatd (high, sizeof high, "%g", max);
      if (integer)
        /* Translators: the first %s is a member of the task file, the others are numbers. */
        message = g_strdup_printf (_("The task’s aggregation “%s” must be a whole number from "
                                     "%s to %s."), name, low, high);
      else if (max >= G_MAXFLOAT)
        /* Translators: the first %s is a member of the task file, the second a number. */
        message = g_strdup_printf (_("The task’s aggregation “%s” must be a number of at least "
                                     "%s."), name, low);
      else if (max_open)
        /* Translators: the first %s is a member of the task file, the others are numbers. */
        message = g_strdup_printf (_("The task’s aggregation “%s” must be a number of at least "
                                     "%s and below %s."), name, low, high);
      else
        /* Translators: the first %s is a member of the task file, the others are numbers. */
        message = g_strdup_printf (_("The task’s aggregation “%s” must be a number from %s to "
                                     "%s."), name, low, high);
      return invalid (error, message);
    }
  *out = value;
  return TRUE;
}

/* The string @name of @obj, one of @names (%NULL-terminated), or @fallback when missing. */
static gboolean
read_choice (JsonObject         *obj,
             const char         *name,
             const char * const *names,
             guint               fallback,
             guint              *out,
             GError            **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  const char *value = trb_json_get_string (obj, name, NULL);
  g_autofree char *message = NULL;
  g_autofree char *choices = NULL;

  if (node == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  for (guint i = 0; value != NULL && names[i] != NULL; i++)
    if (g_str_equal (value, names[i]))
      {
        *out = i;
        return TRUE;
      }
  choices = g_strjoinv (", ", (char **) names);
  /* Translators: the first %s is a member of the task file, the second a list of names. */
  message = g_strdup_printf (_("The task’s aggregation “%s” must be one of: %s."), name, choices);
  return invalid (error, message);
}

/* Every member of @obj is one this version knows: a misspelt one would be silently unused. */
static gboolean
check_members (JsonObject  *obj,
               GError     **error)
{
  static const char * const members[] = {
    "strategy", "max_samples_per_update", "trim_fraction", "attackers", "selected",
    "max_update_norm", "norm_bound", "refuse_factor", "server_optimizer", "server_lr",
    "server_momentum", "beta1", "beta2", "tau", NULL,
  };
  g_autoptr(GList) names = NULL;

  names = json_object_get_members (obj);
  for (GList *l = names; l != NULL; l = l->next)
    if (!g_strv_contains (members, l->data))
      {
        /* Translators: %s is a member of the task file that this version does not know. */
        g_autofree char *message = g_strdup_printf (_("The task’s aggregation has an unknown "
                                                      "member “%s”."), (char *) l->data);
        return invalid (error, message);
      }
  return TRUE;
}

/* The strategy and its parameters, checked against the rounds' @max_updates. */
static gboolean
parse_strategy (JsonObject            *obj,
                double                 max_updates,
                TrbAggregationConfig  *config,
                GError               **error)
{
  guint choice;
  double value;

  if (!read_choice (obj, "strategy", strategy_names, TRB_AGGREGATION_FEDAVG, &choice, error))
    return FALSE;
  config->strategy = choice;
  if (!read_number (obj, "max_samples_per_update", 0, 0, 1e9, FALSE, TRUE, &value, error))
    return FALSE;
  config->max_samples_per_update = value;
  if (!read_number (obj, "trim_fraction", 0.1, 0, 0.5, TRUE, FALSE, &value, error))
    return FALSE;
  config->trim_fraction = value;
  if (!read_number (obj, "attackers", 1, 0, MAX_UPDATES_LIMIT, FALSE, TRUE, &value, error))
    return FALSE;
  config->attackers = value;
  if (config->strategy == TRB_AGGREGATION_MULTI_KRUM && 2 * config->attackers + 3 > max_updates)
    {
      char max[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *message = NULL;

      g_ascii_formatd (max, sizeof max, "%.0f", max_updates);
      /* Translators: %s is a number of updates. */
      message = g_strdup_printf (_("Multi-Krum needs at least twice the “attackers” plus three "
                                   "updates in a round, and the task’s rounds take at most %s."),
                                 max);
      return invalid (error, message);
    }
  if (config->strategy == TRB_AGGREGATION_MULTI_KRUM && max_updates > MAX_KRUM_UPDATES)
    {
      char max[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *message = NULL;

      g_ascii_formatd (max, sizeof max, "%.0f", (double) MAX_KRUM_UPDATES);
      /* Translators: %s is a number of updates. */
      message = g_strdup_printf (ngettext ("Multi-Krum takes at most %s update in a round: lower "
                                           "the round’s “max_updates” or choose another strategy.",
                                           "Multi-Krum takes at most %s updates in a round: lower "
                                           "the round’s “max_updates” or choose another strategy.",
                                           MAX_KRUM_UPDATES), max);
      return invalid (error, message);
    }
  if (!read_number (obj, "selected", 0, 0, max_updates, FALSE, TRUE, &value, error))
    return FALSE;
  config->selected = value;
  if (config->selected > 0 && config->selected + config->attackers > max_updates &&
      config->strategy == TRB_AGGREGATION_MULTI_KRUM)
    return invalid (error, _("Multi-Krum’s “selected” and “attackers” together must not exceed "
                             "the round’s “max_updates”."));
  return TRUE;
}

/* The server-side bound on an update's L2 norm, applied before any strategy. */
static gboolean
parse_norm_bound (JsonObject            *obj,
                  TrbAggregationConfig  *config,
                  GError               **error)
{
  static const char * const norm_bounds[] = { "clip", "refuse", NULL };
  guint choice;
  double value;

  if (!read_number (obj, "max_update_norm", 0, 0, G_MAXFLOAT, FALSE, FALSE, &value, error))
    return FALSE;
  config->max_update_norm = value;
  if (!read_choice (obj, "norm_bound", norm_bounds, TRB_NORM_BOUND_CLIP, &choice, error))
    return FALSE;
  config->norm_bound = choice;
  if (!read_number (obj, "refuse_factor", 1, 1, 1e6, FALSE, FALSE, &value, error))
    return FALSE;
  config->refuse_factor = value;
  if (json_object_has_member (obj, "norm_bound") && config->max_update_norm <= 0)
    return invalid (error, _("The task’s aggregation names a “norm_bound” but no "
                             "“max_update_norm”."));

  return TRUE;
}

/* The server optimizer (Reddi et al. 2021) that applies the aggregate to the model. */
static gboolean
parse_server_optimizer (JsonObject            *obj,
                        double                 legacy_momentum,
                        TrbAggregationConfig  *config,
                        GError               **error)
{
  guint choice;
  double value;

  if (!read_choice (obj, "server_optimizer", optimizer_names,
                    TRB_SERVER_OPTIMIZER_FEDAVGM, &choice, error))
    return FALSE;
  config->optimizer = choice;
  if (!read_number (obj, "server_lr", config->optimizer == TRB_SERVER_OPTIMIZER_FEDAVGM ? 1.0
                                                                                      : 0.01,
                    1e-9, 100, FALSE, FALSE, &value, error))
    return FALSE;
  config->server_lr = value;
  if (!read_number (obj, "server_momentum", legacy_momentum, 0, 1, TRUE, FALSE, &value, error))
    return FALSE;
  config->momentum = value;
  if (!read_number (obj, "beta1", 0.9, 0, 1, TRUE, FALSE, &value, error))
    return FALSE;
  config->beta1 = value;
  if (!read_number (obj, "beta2", 0.99, 0, 1, TRUE, FALSE, &value, error))
    return FALSE;
  config->beta2 = value;
  if (!read_number (obj, "tau", 1e-3, 1e-12, 1, FALSE, FALSE, &value, error))
    return FALSE;
  config->tau = value;
  return TRUE;
}

/**
 * trb_aggregation_config_parse:
 * @task: a task's description
 * @config: (out): where to put what it says
 * @error: an error for the operator, naming the member at fault
 *
 * Reads and checks the task's `aggregation` member. A task without one aggregates as every
 * task did before the member existed: FedAvg on the claimed sample counts, with the server
 * momentum of `round_policy.server_momentum`.
 *
 * Returns: %TRUE when the member is valid
 */
gboolean
trb_aggregation_config_parse (JsonObject            *task,
                              TrbAggregationConfig  *config,
                              GError               **error)
{
  JsonNode *node = json_object_get_member (task, "aggregation");
  JsonNode *policy = json_object_get_member (task, "round_policy");
  JsonObject *round_policy = policy != NULL && JSON_NODE_HOLDS_OBJECT (policy)
                             ? json_node_get_object (policy) : NULL;
  double max_updates = CLAMP (trb_json_get_number (round_policy, "max_updates", 100), 1,
                              MAX_UPDATES_LIMIT);
  double legacy_momentum = CLAMP (trb_json_get_number (round_policy, "server_momentum", 0), 0,
                                  0.999);
  JsonObject *obj;

  g_return_val_if_fail (task != NULL && config != NULL, FALSE);

  memset (config, 0, sizeof *config);
  config->strategy = TRB_AGGREGATION_FEDAVG;
  config->optimizer = TRB_SERVER_OPTIMIZER_FEDAVGM;
  config->momentum = legacy_momentum;
  config->server_lr = 1.0;
  config->refuse_factor = 1.0;
  config->beta1 = 0.9;
  config->beta2 = 0.99;
  config->tau = 1e-3;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, _("The task’s “aggregation” must be an object."));
  obj = json_node_get_object (node);

  return check_members (obj, error) &&
         parse_strategy (obj, max_updates, config, error) &&
         parse_norm_bound (obj, config, error) &&
         parse_server_optimizer (obj, legacy_momentum, config, error);
}

/**
 * trb_aggregation_config_refuses:
 * @config: a task's aggregation
 * @norm: an update's L2 norm
 *
 * Returns: %TRUE when the task refuses an update of this norm outright
 */
gboolean
trb_aggregation_config_refuses (const TrbAggregationConfig *config,
                                double                      norm)
{
  g_return_val_if_fail (config != NULL, FALSE);

  if (config->max_update_norm <= 0 || config->norm_bound != TRB_NORM_BOUND_REFUSE)
    return FALSE;
  return !(norm <= config->refuse_factor * config->max_update_norm);
}

/* ---- the aggregator ----------------------------------------------------------------------- */

typedef struct
{
  gboolean accepted;
  double   kept_share;   /* of its coordinates that entered the aggregate */
} Entry;

struct _TrbAggregator
{
  TrbAggregationConfig config;
  TrbWeights *layout;    /* the first accepted update: the layout every other must have */
  GArray     *entries;   /* Entry, one per call of add_update() */
  /* FedAvg: one running sum, in double precision as trb_weights_weighted_average() keeps it. */
  double     *sum;
  double      total_weight;
  /* The other strategies: the accepted updates and their entry. */
  GPtrArray  *kept;
  GArray     *kept_entry;  /* guint */
  gboolean    finished;
};

/**
 * trb_aggregator_new:
 * @config: a checked configuration (trb_aggregation_config_parse())
 *
 * Returns: (transfer full): an aggregator for one round
 */
TrbAggregator *
trb_aggregator_new (const TrbAggregationConfig *config)
{
  TrbAggregator *self = g_new0 (TrbAggregator, 1);

  g_return_val_if_fail (config != NULL, NULL);

  self->config = *config;
  self->entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  self->kept = g_ptr_array_new_with_free_func (g_object_unref);
  self->kept_entry = g_array_new (FALSE, FALSE, sizeof (guint));
  return self;
}

void
trb_aggregator_free (TrbAggregator *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->layout);
  g_array_unref (self->entries);
  g_free (self->sum);
  g_ptr_array_unref (self->kept);
  g_array_unref (self->kept_entry);
  g_free (self);
}

/**
 * trb_aggregator_add_update:
 * @self: an aggregator
 * @delta: an update (the trained model less the round's model); not modified
 * @samples: the samples the update claims
 * @error: why it is left out
 *
 * Takes one update, after the norm bound: an update beyond the bound is scaled down to it, or
 * refused when the bound says so. FedAvg adds it to its running sum and keeps nothing else; the
 * other strategies keep it until trb_aggregator_finish(). Each call is the next index of
 * trb_aggregator_is_used(), refused updates included.
 *
 * Returns: %TRUE when the update takes part
 */
gboolean
trb_aggregator_add_update (TrbAggregator  *self,
                           TrbWeights     *delta,
                           gint64          samples,
                           GError        **error)
{
  g_autoptr(TrbWeights) bounded = NULL;
  Entry entry = { FALSE, 0 };
  double norm;

  g_return_val_if_fail (self != NULL && !self->finished, FALSE);
  g_return_val_if_fail (TRB_IS_WEIGHTS (delta), FALSE);

  g_array_append_val (self->entries, entry);
  if (self->layout != NULL && !trb_weights_same_layout (self->layout, delta, NULL))
    {
      g_set_error_literal (error, TRB_AGGREGATION_ERROR, TRB_AGGREGATION_ERROR_LAYOUT,
                           _("The update does not fit the model."));
      return FALSE;
    }
  if (!trb_weights_all_finite (delta))
    {
      g_set_error_literal (error, TRB_AGGREGATION_ERROR, TRB_AGGREGATION_ERROR_REFUSED,
                           _("The update contains values that are not numbers."));
      return FALSE;
    }

  norm = trb_weights_l2_norm (delta);
  if (trb_aggregation_config_refuses (&self->config, norm))
    {
      g_set_error_literal (error, TRB_AGGREGATION_ERROR, TRB_AGGREGATION_ERROR_REFUSED,
                           _("The update is longer than the task allows."));
      return FALSE;
    }
  if (self->config.max_update_norm > 0 && norm > self->config.max_update_norm)
    {
      bounded = trb_weights_copy (delta);
      trb_weights_clip_norm (bounded, self->config.max_update_norm);
    }
  else
    bounded = g_object_ref (delta);

  if (self->layout == NULL)
    self->layout = g_object_ref (bounded);

  if (self->config.strategy == TRB_AGGREGATION_FEDAVG)
    {
      /* The claimed count is capped: no update outweighs max_samples_per_update samples. */
      double weight = MAX (samples, 0);
      gsize at = 0;

      if (self->config.max_samples_per_update > 0)
        weight = MIN (weight, (double) self->config.max_samples_per_update);
      if (self->sum == NULL)
        self->sum = g_new0 (double, trb_weights_get_total_elements (bounded));
      for (guint i = 0; i < trb_weights_get_n_tensors (bounded); i++)
        {
          const float *data = trb_weights_get_data (bounded, i);
          gsize n = trb_weights_get_n_elements (bounded, i);

          for (gsize k = 0; k < n; k++)
            self->sum[at++] += weight * data[k];
        }
      self->total_weight += weight;
    }
  else
    {
      guint index = self->entries->len - 1;

      g_ptr_array_add (self->kept, g_steal_pointer (&bounded));
      g_array_append_val (self->kept_entry, index);
    }
  g_array_index (self->entries, Entry, self->entries->len - 1).accepted = TRUE;
  return TRUE;
}

guint
trb_aggregator_get_n_updates (TrbAggregator *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->entries->len;
}

/**
 * trb_aggregator_is_used:
 * @self: a finished aggregator
 * @index: the update's index, in the order they were added
 *
 * Whether the update entered the aggregate: for FedAvg, the median and the trimmed mean every
 * update that was not refused (the coordinate-wise strategies rank every update, coordinate by
 * coordinate; trb_aggregator_get_kept_share() says how much of one was kept), for Multi-Krum the
 * updates selected.
 *
 * Returns: %TRUE when the update was used
 */
gboolean
trb_aggregator_is_used (TrbAggregator *self,
                        guint          index)
{
  g_return_val_if_fail (self != NULL && self->finished, FALSE);
  g_return_val_if_fail (index < self->entries->len, FALSE);

  if (self->config.strategy == TRB_AGGREGATION_MULTI_KRUM)
    return g_array_index (self->entries, Entry, index).kept_share > 0;
  return g_array_index (self->entries, Entry, index).accepted;
}

/**
 * trb_aggregator_get_kept_share:
 * @self: a finished aggregator
 * @index: the update's index
 *
 * Returns: the share of the update's coordinates that entered the aggregate: 1 for an update
 *   FedAvg or Multi-Krum used, 0 for one refused or not selected; for the trimmed mean the
 *   share not trimmed away, for the median the share where it was (one of) the middle value(s)
 */
double
trb_aggregator_get_kept_share (TrbAggregator *self,
                               guint          index)
{
  g_return_val_if_fail (self != NULL && self->finished, 0);
  g_return_val_if_fail (index < self->entries->len, 0);

  return g_array_index (self->entries, Entry, index).kept_share;
}

guint
trb_aggregator_get_n_used (TrbAggregator *self)
{
  guint n = 0;

  g_return_val_if_fail (self != NULL && self->finished, 0);
  for (guint i = 0; i < self->entries->len; i++)
    n += trb_aggregator_is_used (self, i);
  return n;
}

typedef struct
{
  float value;
  guint index;
} Ranked;

static int
compare_ranked (const void *a,
                const void *b)
{
  const Ranked *x = a, *y = b;

  if (x->value != y->value)
    return x->value < y->value ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* The median or the trimmed mean: for each coordinate, the kept updates' values in order, and
 * the mean of those from @drop to n − @drop (the median keeps the one or two middle values). */
static TrbWeights *
coordinate_wise (TrbAggregator *self,
                 gboolean       median)
{
  guint n = self->kept->len;
  TrbWeights *result = trb_weights_copy (g_ptr_array_index (self->kept, 0));
  g_autofree Ranked *column = g_new (Ranked, n);
  g_autofree gsize *kept_count = g_new0 (gsize, n);
  guint low, high;   /* the ranks kept: [low, high) */
  gsize total = trb_weights_get_total_elements (result);

  if (median)
    {
      low = (n - 1) / 2;
      high = n / 2 + 1;
    }
  else
    {
      low = (guint) floor (self->config.trim_fraction * n);
      high = n - low;
    }

  for (guint i = 0; i < trb_weights_get_n_tensors (result); i++)
    {
      float *out = trb_weights_get_data (result, i);
      gsize n_elements = trb_weights_get_n_elements (result, i);

      for (gsize k = 0; k < n_elements; k++)
        {
          double acc = 0;

          for (guint s = 0; s < n; s++)
            {
              column[s].value = trb_weights_get_data (g_ptr_array_index (self->kept, s), i)[k];
              column[s].index = s;
            }
          qsort (column, n, sizeof *column, compare_ranked);
          for (guint r = low; r < high; r++)
            {
              acc += column[r].value;
              kept_count[column[r].index]++;
            }
          out[k] = (float) (acc / (high - low));
        }
    }
  for (guint s = 0; s < n; s++)
    g_array_index (self->entries, Entry, g_array_index (self->kept_entry, guint, s)).kept_share =
      total > 0 ? (double) kept_count[s] / total : 1;
  return result;
}

static double
squared_distance (TrbWeights *a,
                  TrbWeights *b)
{
  double acc = 0;

  for (guint i = 0; i < trb_weights_get_n_tensors (a); i++)
    {
      const float *x = trb_weights_get_data (a, i);
      const float *y = trb_weights_get_data (b, i);
      gsize n = trb_weights_get_n_elements (a, i);

      for (gsize k = 0; k < n; k++)
        acc += ((double) x[k] - y[k]) * ((double) x[k] - y[k]);
    }
  return acc;
}

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

typedef struct
{
  double score;
  guint  index;
} Scored;

static int
compare_scored (const void *a,
                const void *b)
{
  const Scored *x = a, *y = b;

  if (x->score != y->score)
    return x->score < y->score ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* Multi-Krum (El Mhamdi et al. 2018, after Blanchard et al. 2017): each update's score is the sum
 * of its squared distances to its n − f − 2 nearest others; the m lowest are averaged. */
static TrbWeights *
multi_krum (TrbAggregator  *self,
            GError        **error)
{
  guint n = self->kept->len;
  g_autofree double *distances = g_new0 (double, (gsize) n * n);
  g_autofree double *row = g_new (double, n);
  g_autofree Scored *scores = g_new (Scored, n);
  g_autofree double *weights = g_new (double, n);
  g_autoptr(GPtrArray) chosen = g_ptr_array_new ();
  gint64 neighbours = CLAMP ((gint64) n - self->config.attackers - 2, 1, MAX ((gint64) n - 1, 1));
  gint64 m = self->config.selected > 0 ? self->config.selected
                                       : (gint64) n - self->config.attackers;

  m = CLAMP (m, 1, (gint64) n);
  for (guint a = 0; a < n; a++)
    for (guint b = a + 1; b < n; b++)
      distances[a * n + b] = distances[b * n + a] =
        squared_distance (g_ptr_array_index (self->kept, a), g_ptr_array_index (self->kept, b));
  for (guint a = 0; a < n; a++)
    {
      guint len = 0;

      for (guint b = 0; b < n; b++)
        if (b != a)
          row[len++] = distances[a * n + b];
      qsort (row, len, sizeof *row, compare_double);
      scores[a].score = 0;
      scores[a].index = a;
      for (guint r = 0; r < MIN ((guint) neighbours, len); r++)
        scores[a].score += row[r];
    }
  qsort (scores, n, sizeof *scores, compare_scored);
  for (guint r = 0; r < (guint) m; r++)
    {
      guint s = scores[r].index;

      g_ptr_array_add (chosen, g_ptr_array_index (self->kept, s));
      weights[r] = 1;
      g_array_index (self->entries, Entry, g_array_index (self->kept_entry, guint, s)).kept_share =
        1;
    }
  return trb_weights_weighted_average ((TrbWeights **) chosen->pdata, weights, chosen->len,
                                       error);
}

/* Δ, the round's aggregate update, before the server optimizer. */
static TrbWeights *
aggregate (TrbAggregator  *self,
           GError        **error)
{
  if (self->config.strategy == TRB_AGGREGATION_FEDAVG)
    {
      TrbWeights *mean;
      gsize at = 0;

      if (self->sum == NULL || !(self->total_weight > 0))
        return NULL;
      mean = trb_weights_copy (self->layout);
      for (guint i = 0; i < trb_weights_get_n_tensors (mean); i++)
        {
          float *data = trb_weights_get_data (mean, i);
          gsize n = trb_weights_get_n_elements (mean, i);

          for (gsize k = 0; k < n; k++)
            data[k] = (float) (self->sum[at++] / self->total_weight);
        }
      for (guint e = 0; e < self->entries->len; e++)
        if (g_array_index (self->entries, Entry, e).accepted)
          g_array_index (self->entries, Entry, e).kept_share = 1;
      return mean;
    }
  if (self->kept->len == 0)
    return NULL;
  switch (self->config.strategy)
    {
    case TRB_AGGREGATION_MEDIAN:
      return coordinate_wise (self, TRUE);
    case TRB_AGGREGATION_TRIMMED_MEAN:
      return coordinate_wise (self, FALSE);
    case TRB_AGGREGATION_MULTI_KRUM:
      return multi_krum (self, error);
    case TRB_AGGREGATION_FEDAVG:
    default:
      g_assert_not_reached ();
    }
}

/* The optimizer state read back, or %NULL when it does not belong to this optimizer and model
 * (the task changed its optimizer, or there is none yet): the optimizer then starts afresh. */
static TrbWeights *
state_part (TrbWeights *state,
            const char *optimizer,
            const char *prefix,
            TrbWeights *layout)
{
  g_autoptr(TrbWeights) part = NULL;

  const char *tag = state != NULL ? trb_weights_get_metadata (state, "server_optimizer") : NULL;

  /* A velocity saved before states were tagged is FedAvgM's. */
  if (state == NULL || (tag == NULL && !g_str_equal (optimizer, "fedavgm")) ||
      (tag != NULL && !g_str_equal (tag, optimizer)))
    return NULL;
  part = trb_weights_copy (layout);
  for (guint i = 0; i < trb_weights_get_n_tensors (part); i++)
    {
      g_autofree char *name = g_strconcat (prefix, trb_weights_get_name (part, i), NULL);
      int at = trb_weights_lookup (state, name);

      if (at < 0 ||
          trb_weights_get_n_elements (state, at) != trb_weights_get_n_elements (part, i))
        return NULL;
      memcpy (trb_weights_get_data (part, i), trb_weights_get_data (state, at),
              trb_weights_get_n_elements (part, i) * sizeof (float));
    }
  return g_steal_pointer (&part);
}

static void
state_add_part (TrbWeights *state,
                const char *prefix,
                TrbWeights *part)
{
  for (guint i = 0; i < trb_weights_get_n_tensors (part); i++)
    {
      g_autofree char *name = g_strconcat (prefix, trb_weights_get_name (part, i), NULL);
      float *data = trb_weights_add (state, name, trb_weights_get_n_dims (part, i),
                                     trb_weights_get_shape (part, i));

      memcpy (data, trb_weights_get_data (part, i),
              trb_weights_get_n_elements (part, i) * sizeof (float));
    }
}

/* Reddi et al. 2021, Algorithm 2, with m₋₁ = 0 and v₋₁ = τ²:
 *   m ← β₁ m + (1 − β₁) Δ
 *   FedAdagrad  v ← v + Δ²
 *   FedYogi     v ← v − (1 − β₂) Δ² sign(v − Δ²)
 *   FedAdam     v ← β₂ v + (1 − β₂) Δ²
 *   x ← x + η m / (√v + τ)
 */
static void
adaptive_step (const TrbAggregationConfig *c,
               TrbWeights                 *params,
               TrbWeights                 *delta,
               TrbWeights                 *m,
               TrbWeights                 *v)
{
  for (guint i = 0; i < trb_weights_get_n_tensors (params); i++)
    {
      float *x = trb_weights_get_data (params, i);
      float *mi = trb_weights_get_data (m, i);
      float *vi = trb_weights_get_data (v, i);
      const float *d = trb_weights_get_data (delta, i);
      gsize n = trb_weights_get_n_elements (params, i);

      for (gsize k = 0; k < n; k++)
        {
          double g = d[k], g2 = g * g;
          double mk = c->beta1 * mi[k] + (1 - c->beta1) * g;
          double vk = vi[k];

          switch (c->optimizer)
            {
            case TRB_SERVER_OPTIMIZER_FEDADAGRAD:
              vk = vk + g2;
              break;
            case TRB_SERVER_OPTIMIZER_FEDYOGI:
              vk = vk - (1 - c->beta2) * g2 * (vk > g2 ? 1 : vk < g2 ? -1 : 0);
              break;
            case TRB_SERVER_OPTIMIZER_FEDADAM:
              vk = c->beta2 * vk + (1 - c->beta2) * g2;
              break;
            case TRB_SERVER_OPTIMIZER_FEDAVGM:
            default:
              g_assert_not_reached ();
            }
          mi[k] = (float) mk;
          vi[k] = (float) vk;
          x[k] = (float) (x[k] + c->server_lr * mk / (sqrt (MAX (vk, 0)) + c->tau));
        }
    }
}

/**
 * trb_aggregator_finish:
 * @self: an aggregator with its updates
 * @params: the round's model
 * @state: (inout) (nullable): the server optimizer's state from the previous round, or %NULL;
 *   replaced by the new state (%NULL when the optimizer keeps none)
 * @error: why there is no new model
 *
 * Aggregates the updates and applies the server optimizer. The state is safetensors-ready
 * weights tagged with its optimizer (metadata `server_optimizer`): FedAvgM's velocity under the
 * model's own tensor names, the adaptive optimizers' m and v under `m/` and `v/`. A state of
 * another optimizer or model is not used: the optimizer starts afresh.
 *
 * Returns: (transfer full): the new model, or %NULL with @error set
 */
TrbWeights *
trb_aggregator_finish (TrbAggregator  *self,
                       TrbWeights     *params,
                       TrbWeights    **state,
                       GError        **error)
{
  const TrbAggregationConfig *c = &self->config;
  const char *name = trb_server_optimizer_to_string (c->optimizer);
  g_autoptr(TrbWeights) delta = NULL;
  g_autoptr(TrbWeights) result = NULL;
  g_autoptr(GError) local_error = NULL;
  TrbWeights *previous = state != NULL ? *state : NULL;
  TrbWeights *new_state = NULL;

  g_return_val_if_fail (self != NULL && !self->finished, NULL);
  g_return_val_if_fail (TRB_IS_WEIGHTS (params), NULL);

  self->finished = TRUE;
  delta = aggregate (self, &local_error);
  if (delta == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error_literal (error, TRB_AGGREGATION_ERROR, TRB_AGGREGATION_ERROR_EMPTY,
                             _("There are no updates to aggregate."));
      return NULL;
    }
  if (!trb_weights_same_layout (params, delta, error))
    return NULL;

  result = trb_weights_copy (params);
  if (c->optimizer == TRB_SERVER_OPTIMIZER_FEDAVGM)
    {
      /* v ← μ v + Δ, x ← x + η v: the same operations, in the same order, as before the
       * strategies existed, so that a task's models do not change with this code. */
      if (c->momentum > 0)
        {
          g_autoptr(TrbWeights) velocity = state_part (previous, name, "", params);

          if (velocity != NULL &&
              !trb_weights_add_scaled (delta, velocity, c->momentum, error))
            return NULL;
          new_state = trb_weights_copy (delta);
          trb_weights_set_metadata (new_state, "server_optimizer", name);
        }
      if (!trb_weights_add_scaled (result, delta, c->server_lr, error))
        {
          g_clear_object (&new_state);
          return NULL;
        }
    }
  else
    {
      g_autoptr(TrbWeights) m = state_part (previous, name, "m/", params);
      g_autoptr(TrbWeights) v = state_part (previous, name, "v/", params);

      if (m == NULL || v == NULL)
        {
          g_clear_object (&m);
          g_clear_object (&v);
          m = trb_weights_copy (params);
          v = trb_weights_copy (params);
          for (guint i = 0; i < trb_weights_get_n_tensors (params); i++)
            for (gsize k = 0; k < trb_weights_get_n_elements (params, i); k++)
              {
                trb_weights_get_data (m, i)[k] = 0;
                trb_weights_get_data (v, i)[k] = (float) (c->tau * c->tau);
              }
        }
      adaptive_step (c, result, delta, m, v);
      new_state = trb_weights_new ();
      state_add_part (new_state, "m/", m);
      state_add_part (new_state, "v/", v);
      trb_weights_set_metadata (new_state, "server_optimizer", name);
    }

  if (state != NULL)
    {
      g_clear_object (state);
      *state = new_state;
    }
  else
    g_clear_object (&new_state);
  return g_steal_pointer (&result);
}
