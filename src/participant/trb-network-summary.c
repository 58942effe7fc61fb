/* trb-network-summary.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A task's data, rewards, privacy and what leaves this computer, in the words of the Join
 * dialog and of a joined network's page.
 */

#define G_LOG_DOMAIN "trb-network-summary"

#include "config.h"

#include "trb-network-summary.h"

#include <glib/gi18n.h>

#include "net/trb-client.h"

/**
 * trb_network_summary_dup_spec:
 * @task: a task definition, as `GET /v1/tasks/{t}` answers
 *
 * Returns: (transfer full) (nullable): the model it trains, or %NULL if it names none usable
 */
TrbModelSpec *
trb_network_summary_dup_spec (JsonObject *task)
{
  JsonNode *model;
  g_autofree char *json = NULL;

  g_return_val_if_fail (task != NULL, NULL);

  model = json_object_get_member (task, "model");
  if (model == NULL || !JSON_NODE_HOLDS_OBJECT (model))
    return NULL;
  json = json_to_string (model, FALSE);
  return trb_model_spec_new_from_json (json, -1, NULL);
}

/**
 * trb_network_summary_dup_data:
 * @task: a task definition
 *
 * Returns: (transfer full): what data it needs
 */
char *
trb_network_summary_dup_data (JsonObject *task)
{
  int width = (int) trb_client_task_number (task, "data_schema", "width", 0);
  int height = (int) trb_client_task_number (task, "data_schema", "height", 0);
  int classes = (int) trb_client_task_number (task, "data_schema", "classes", 0);

  g_return_val_if_fail (task != NULL, NULL);

  if (width > 0 && height > 0)
    {
      /* Translators: a picture's width and height; the height, the number next to the noun,
       * chooses the plural form. */
      g_autofree char *size = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d × %d pixel",
                                                            "%d × %d pixels", height),
                                               width, height);

      /* Translators: %s is a size such as “28 × 28 pixels”, %d the number of kinds
       * (classes), which chooses the plural form. */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Pictures of %s, sorted into %d kind",
                                           "Pictures of %s, sorted into %d kinds", classes),
                              size, classes);
    }
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Examples sorted into %d kind",
                                       "Examples sorted into %d kinds", classes), classes);
}

/**
 * trb_network_summary_dup_rewards:
 * @task: a task definition
 *
 * Returns: (transfer full): its reward policy
 */
char *
trb_network_summary_dup_rewards (JsonObject *task)
{
  g_return_val_if_fail (task != NULL, NULL);

  /* Translators: the points per picture, then the most points a round can give. */
  return g_strdup_printf (_("%g points for each picture trained on, at most %g a round"),
                          trb_client_task_number (task, "reward_policy",
                                                  "points_per_sample_epoch", 0),
                          trb_client_task_number (task, "reward_policy", "cap_per_round", 0));
}

/**
 * trb_network_summary_get_privacy:
 * @task: a task definition
 *
 * Returns: its privacy policy
 */
const char *
trb_network_summary_get_privacy (JsonObject *task)
{
  double clip = trb_client_task_number (task, "privacy_policy", "clip_norm", 0);
  double noise = trb_client_task_number (task, "privacy_policy", "noise_multiplier", 0);

  g_return_val_if_fail (task != NULL, NULL);

  if (clip > 0 && noise > 0)
    return _("What is sent is limited in size and blurred with random noise, so that no single "
             "picture can be told from it.");
  if (clip > 0)
    return _("What is sent is limited in size.");
  return _("What the model learned is sent as it is, without added noise.");
}

/**
 * trb_network_summary_dup_leaves:
 * @task: a task definition
 *
 * Returns: (transfer full): what leaves this computer, and about how much each round
 */
char *
trb_network_summary_dup_leaves (JsonObject *task)
{
  g_autoptr(TrbModelSpec) spec = NULL;
  double mb;

  g_return_val_if_fail (task != NULL, NULL);

  spec = trb_network_summary_dup_spec (task);
  mb = spec != NULL ? trb_model_spec_get_n_parameters (spec) * 4.0 / 1e6 : 0;
  return g_strdup_printf (_("Only what the model learned, about %.1f MB a round (and about as "
                            "much is downloaded). Your files never leave this computer."),
                          MAX (mb, 0.1));
}
