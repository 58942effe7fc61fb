/* trb-task-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The one place a task's hyper-parameters become the trainer's configuration, so that the app,
 * tributary-cli and any later caller train a round the same way.
 */

#define G_LOG_DOMAIN "trb-task-config"

#include "config.h"

#include "trb-task-config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "net/trb-client.h"

/* A member of @section: its default when missing, FALSE when it is there but no number in
 * [@min, @max] (whole where @whole). A node may send anything, so nothing is clamped. */
static gboolean
read_setting (JsonObject *section,
              const char *name,
              double      fallback,
              double      min,
              double      max,
              gboolean    whole,
              double     *value)
{
  JsonNode *node = section != NULL ? json_object_get_member (section, name) : NULL;
  double v;

  if (node == NULL)
    {
      *value = fallback;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_INT64 &&
       json_node_get_value_type (node) != G_TYPE_DOUBLE))
    return FALSE;
  v = json_node_get_double (node);
  if (!(v >= min && v <= max) || (whole && v != floor (v)))
    return FALSE;
  *value = v;
  return TRUE;
}

/**
 * trb_task_training_config:
 * @task: a task's description, as the network sent it
 * @config: (out caller-allocates): the configuration to fill
 * @error: return location for a #GError
 *
 * Reads the task's `hyper_parameters` (`local_epochs`, `batch_size`, `learning_rate`, each
 * with its default when missing) into @config's @epochs, @batch_size and @step (plain SGD, as
 * the protocol trains). The seed, checkpoint, priority and hold-out are the caller's and are
 * left as they are.
 *
 * Returns: %TRUE, or %FALSE with %TRB_CLIENT_ERROR_PROTOCOL when a value is not a number, out of
 *   range or (for the counts) not whole; @config is then unchanged
 */
gboolean
trb_task_training_config (JsonObject        *task,
                          TrbTrainerConfig  *config,
                          GError           **error)
{
  JsonNode *node;
  JsonObject *section = NULL;
  double epochs, batch_size, learning_rate;

  g_return_val_if_fail (task != NULL, FALSE);
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  node = json_object_get_member (task, "hyper_parameters");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                               _("The network’s task has training settings that cannot be "
                                 "read."));
          return FALSE;
        }
      section = json_node_get_object (node);
    }

  if (!read_setting (section, "local_epochs", TRB_TASK_DEFAULT_EPOCHS, 1, TRB_TASK_MAX_EPOCHS,
                     TRUE, &epochs))
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The network asks for a number of passes over the data that this "
                             "app cannot train with."));
      return FALSE;
    }
  if (!read_setting (section, "batch_size", TRB_TASK_DEFAULT_BATCH_SIZE, 1,
                     TRB_TASK_MAX_BATCH_SIZE, TRUE, &batch_size))
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The network asks for a batch size that this app cannot train "
                             "with."));
      return FALSE;
    }
  if (!read_setting (section, "learning_rate", TRB_TASK_DEFAULT_LEARNING_RATE,
                     TRB_TASK_MIN_LEARNING_RATE, TRB_TASK_MAX_LEARNING_RATE, FALSE,
                     &learning_rate))
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The network asks for a learning rate that this app cannot train "
                             "with."));
      return FALSE;
    }

  config->epochs = (int) epochs;
  config->batch_size = (int) batch_size;
  trb_step_params_init_sgd (&config->step, learning_rate, 0.0);
  return TRUE;
}
