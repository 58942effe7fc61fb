/* trb-task-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The one place a task's hyper-parameters become the trainer's configuration, so that the app,
 * tributary-cli and the node (which checks a task when it is added or loaded) read a task the
 * same way and refuse the same mistakes with the same sentence.
 */

#define G_LOG_DOMAIN "trb-task-config"

#include "config.h"

#include "trb-task-config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "net/trb-client.h"

/* Which optimizer a setting belongs to; ANY for those every optimizer uses. */
#define ANY (-1)

/* One number of `hyper_parameters`: its default when missing and the values accepted, [min, max]
 * or [min, max) where @below_max. @optimizer names the only optimizer it means something to: a
 * setting for another optimizer is refused, as it would be silently ignored. */
typedef struct
{
  const char *name;
  double      fallback;
  double      min;
  double      max;
  gboolean    whole;
  gboolean    below_max;
  int         optimizer;
} Setting;

enum
{
  SETTING_EPOCHS,
  SETTING_BATCH_SIZE,
  SETTING_LEARNING_RATE,
  SETTING_MOMENTUM,
  SETTING_WEIGHT_DECAY,
  SETTING_FEDPROX_MU,
  SETTING_BETA1,
  SETTING_BETA2,
  SETTING_EPSILON,
  N_SETTINGS
};

static const Setting settings[N_SETTINGS] = {
  [SETTING_EPOCHS] = { "local_epochs", TRB_TASK_DEFAULT_EPOCHS, 1, TRB_TASK_MAX_EPOCHS, TRUE,
                       FALSE, ANY },
  [SETTING_BATCH_SIZE] = { "batch_size", TRB_TASK_DEFAULT_BATCH_SIZE, 1,
                           TRB_TASK_MAX_BATCH_SIZE, TRUE, FALSE, ANY },
  [SETTING_LEARNING_RATE] = { "learning_rate", TRB_TASK_DEFAULT_LEARNING_RATE,
                              TRB_TASK_MIN_LEARNING_RATE, TRB_TASK_MAX_LEARNING_RATE, FALSE, FALSE,
                              ANY },
  [SETTING_MOMENTUM] = { "momentum", 0, 0, 1, FALSE, TRUE, TRB_OPTIMIZER_SGD },
  [SETTING_WEIGHT_DECAY] = { "weight_decay", 0, 0, TRB_TASK_MAX_WEIGHT_DECAY, FALSE, FALSE,
                             ANY },
  [SETTING_FEDPROX_MU] = { "fedprox_mu", 0, 0, TRB_TASK_MAX_FEDPROX_MU, FALSE, FALSE, ANY },
  [SETTING_BETA1] = { "beta1", TRB_TASK_DEFAULT_BETA1, 0, 1, FALSE, TRUE, TRB_OPTIMIZER_ADAM },
  [SETTING_BETA2] = { "beta2", TRB_TASK_DEFAULT_BETA2, 0, 1, FALSE, TRUE, TRB_OPTIMIZER_ADAM },
  [SETTING_EPSILON] = { "epsilon", TRB_TASK_DEFAULT_EPSILON, TRB_TASK_MIN_EPSILON,
                        TRB_TASK_MAX_EPSILON, FALSE, FALSE, TRB_OPTIMIZER_ADAM },
};

static const char * const optimizer_names[] = {
  [TRB_OPTIMIZER_SGD] = "sgd",
  [TRB_OPTIMIZER_ADAM] = "adam",
};

/* @value as a person writes it, 0.000001 rather than 1e-06, with a decimal point in every
 * locale: the sentence names a value of the task file, where JSON writes it so, and the node
 * logs the same sentence. */
static char *
format_number (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  char *text = g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%.12f", value));
  char *end = text + strlen (text) - 1;

  while (end > text && *end == '0')
    *end-- = '\0';
  if (end > text && !g_ascii_isdigit (*end))
    *end = '\0';
  return text;
}

static void
set_range_error (const Setting  *setting,
                 GError        **error)
{
  g_autofree char *min = format_number (setting->min);
  g_autofree char *max = format_number (setting->max);

  if (setting->whole)
    g_set_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                 /* Translators: a training setting's name as the task file spells it, then two
                  * numbers. */
                 _("The task’s “%s” must be a whole number from %s to %s."),
                 setting->name, min, max);
  else if (setting->below_max)
    g_set_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                 /* Translators: a training setting's name as the task file spells it, then two
                  * numbers; the second is not allowed itself. */
                 _("The task’s “%s” must be a number from %s to less than %s."),
                 setting->name, min, max);
  else
    g_set_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                 /* Translators: a training setting's name as the task file spells it, then two
                  * numbers. */
                 _("The task’s “%s” must be a number from %s to %s."),
                 setting->name, min, max);
}

/* @setting's value in @section: its default when missing, FALSE with @error when it is there but
 * not a number in range, or names another optimizer's setting. A node may send anything, so
 * nothing is clamped. */
static gboolean
read_setting (JsonObject     *section,
              const Setting  *setting,
              int             optimizer,
              double         *value,
              GError        **error)
{
  JsonNode *node = section != NULL ? json_object_get_member (section, setting->name) : NULL;
  double v;

  if (node == NULL)
    {
      *value = setting->fallback;
      return TRUE;
    }
  if (setting->optimizer != ANY && setting->optimizer != optimizer)
    {
      g_set_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                   /* Translators: a training setting's name, then two optimizer names, all as the
                    * task file spells them. */
                   _("The task’s “%s” is a setting of the “%s” optimizer, but the task trains "
                     "with “%s”."),
                   setting->name, optimizer_names[setting->optimizer],
                   optimizer_names[optimizer]);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_INT64 &&
       json_node_get_value_type (node) != G_TYPE_DOUBLE))
    {
      set_range_error (setting, error);
      return FALSE;
    }
  v = json_node_get_double (node);
  if (!(v >= setting->min && (setting->below_max ? v < setting->max : v <= setting->max)) ||
      (setting->whole && v != floor (v)))
    {
      set_range_error (setting, error);
      return FALSE;
    }
  *value = v;
  return TRUE;
}

static gboolean
read_optimizer (JsonObject  *section,
                int         *optimizer,
                GError     **error)
{
  JsonNode *node = section != NULL ? json_object_get_member (section, "optimizer") : NULL;
  const char *name;

  *optimizer = TRB_OPTIMIZER_SGD;
  if (node == NULL)
    return TRUE;
  name = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING ?
         json_node_get_string (node) : NULL;
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (optimizer_names); i++)
    if (strcmp (name, optimizer_names[i]) == 0)
      {
        *optimizer = (int) i;
        return TRUE;
      }
  g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                       _("The task’s “optimizer” must be “sgd” or “adam”."));
  return FALSE;
}

/* A member no one reads would be a setting the operator believes in and no participant uses:
 * refused, so that a typo (`learnig_rate`) or a setting of a later version is found at once. */
static gboolean
check_members (JsonObject  *section,
               GError     **error)
{
  g_autoptr(GList) members = json_object_get_members (section);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      gboolean known = strcmp (name, "optimizer") == 0;

      for (guint i = 0; !known && i < N_SETTINGS; i++)
        known = strcmp (name, settings[i].name) == 0;
      if (!known)
        {
          /* The name comes from the network: shown whole only when short and valid. (A
           * substring may only be taken of a string that long: g_utf8_substring() reads past
           * the end of a shorter one.) */
          g_autofree char *valid = g_utf8_make_valid (name, -1);
          g_autofree char *head = NULL;
          g_autofree char *shown = NULL;

          if (g_utf8_strlen (valid, -1) > 40)
            {
              head = g_utf8_substring (valid, 0, 40);
              shown = g_strconcat (head, "…", NULL);
            }
          else
            shown = g_strdup (valid);

          g_set_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                       /* Translators: a name from the task file. */
                       _("The task’s training settings name “%s”, which Tributary does not "
                         "know: it is refused rather than ignored, as training without it would "
                         "not be the training the task describes."), shown);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * trb_task_training_config:
 * @task: a task's description, as the network sent it or the operator wrote it
 * @config: (out caller-allocates): the configuration to fill
 * @error: return location for a #GError
 *
 * Reads the task's `hyper_parameters` into @config's @epochs, @batch_size and @step:
 * `optimizer` (`sgd` or `adam`), `learning_rate`, `local_epochs`, `batch_size`, `weight_decay`,
 * `fedprox_mu`, SGD's `momentum` and Adam's `beta1`, `beta2` and `epsilon`, each with its
 * default when missing (docs/protocol.md, section 7). The seed, checkpoint, priority and
 * hold-out are the caller's and are left as they are.
 *
 * Returns: %TRUE, or %FALSE with %TRB_CLIENT_ERROR_PROTOCOL and a sentence for the person when
 *   a value is not a number, out of range, not whole where it must be, a setting of the other
 *   optimizer, or a member this function does not know; @config is then unchanged
 */
gboolean
trb_task_training_config (JsonObject        *task,
                          TrbTrainerConfig  *config,
                          GError           **error)
{
  JsonNode *node;
  JsonObject *section = NULL;
  double values[N_SETTINGS];
  int optimizer;

  g_return_val_if_fail (task != NULL, FALSE);
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  node = json_object_get_member (task, "hyper_parameters");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                               _("The task’s training settings (“hyper_parameters”) must be a "
                                 "JSON object."));
          return FALSE;
        }
      section = json_node_get_object (node);
      if (!check_members (section, error))
        return FALSE;
    }

  if (!read_optimizer (section, &optimizer, error))
    return FALSE;
  for (guint i = 0; i < N_SETTINGS; i++)
    if (!read_setting (section, &settings[i], optimizer, &values[i], error))
      return FALSE;

  config->epochs = (int) values[SETTING_EPOCHS];
  config->batch_size = (int) values[SETTING_BATCH_SIZE];
  if (optimizer == TRB_OPTIMIZER_ADAM)
    trb_step_params_init_adam (&config->step, values[SETTING_LEARNING_RATE]);
  else
    trb_step_params_init_sgd (&config->step, values[SETTING_LEARNING_RATE],
                              values[SETTING_MOMENTUM]);
  config->step.beta1 = values[SETTING_BETA1];
  config->step.beta2 = values[SETTING_BETA2];
  config->step.eps = values[SETTING_EPSILON];
  config->step.weight_decay = values[SETTING_WEIGHT_DECAY];
  config->step.prox_mu = values[SETTING_FEDPROX_MU];
  return TRUE;
}

/**
 * trb_task_rewards:
 * @task: a task as served
 * @policy: (out caller-allocates): the policy
 *
 * Reads what reward rule 2 takes from @task, with the node's defaults and ranges: the node pays
 * with it and a participant that recomputes a round checks the points with it.
 */
void
trb_task_rewards (JsonObject      *task,
                        TrbTaskRewards *policy)
{
  policy->points_per_sample_epoch = CLAMP (trb_client_task_number (task, "reward_policy",
                                                                   "points_per_sample_epoch",
                                                                   0.001),
                                           0, 1e6);
  policy->cap_per_round = CLAMP (trb_client_task_number (task, "reward_policy", "cap_per_round",
                                                         10), 0, 1e9);
  policy->local_epochs = CLAMP ((gint64) trb_client_task_number (task, "hyper_parameters",
                                                                  "local_epochs",
                                                                  TRB_TASK_DEFAULT_EPOCHS),
                                1, TRB_TASK_MAX_EPOCHS);
}
