/* test-task-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A task's hyper-parameters become the trainer's configuration in one place; a value the trainer
 * cannot use is refused, not clamped.
 */

#include "config.h"

#include "net/trb-client.h"
#include "net/trb-task-config.h"

static JsonObject *
parse (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_every_parameter (void)
{
  g_autoptr(JsonObject) task =
    parse ("{\"id\": \"t\", \"hyper_parameters\": {\"local_epochs\": 3, \"batch_size\": 16,"
           " \"learning_rate\": 0.1}}");
  g_autoptr(GError) error = NULL;
  TrbTrainerConfig config = { 0 };

  config.seed = 7;
  config.low_priority = TRUE;
  g_assert_true (trb_task_training_config (task, &config, &error));
  g_assert_no_error (error);
  g_assert_cmpint (config.epochs, ==, 3);
  g_assert_cmpint (config.batch_size, ==, 16);
  g_assert_cmpint (config.step.optimizer, ==, TRB_OPTIMIZER_SGD);
  g_assert_cmpfloat (config.step.learning_rate, ==, 0.1);
  g_assert_cmpfloat (config.step.momentum, ==, 0.0);
  g_assert_cmpfloat (config.step.prox_mu, ==, 0.0);
  /* What is not the task's stays the caller's. */
  g_assert_cmpuint (config.seed, ==, 7);
  g_assert_true (config.low_priority);
}

static void
test_defaults (void)
{
  static const char * const tasks[] = {
    "{\"id\": \"t\"}",
    "{\"id\": \"t\", \"hyper_parameters\": {}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    {
      g_autoptr(JsonObject) task = parse (tasks[i]);
      g_autoptr(GError) error = NULL;
      TrbTrainerConfig config = { 0 };

      g_assert_true (trb_task_training_config (task, &config, &error));
      g_assert_no_error (error);
      g_assert_cmpint (config.epochs, ==, TRB_TASK_DEFAULT_EPOCHS);
      g_assert_cmpint (config.batch_size, ==, TRB_TASK_DEFAULT_BATCH_SIZE);
      g_assert_cmpfloat (config.step.learning_rate, ==, TRB_TASK_DEFAULT_LEARNING_RATE);
    }
}

static void
test_out_of_range (void)
{
  static const char * const bad[] = {
    "{\"local_epochs\": 0}",
    "{\"local_epochs\": 101}",
    "{\"local_epochs\": 1.5}",
    "{\"local_epochs\": \"3\"}",
    "{\"batch_size\": 0}",
    "{\"batch_size\": 4097}",
    "{\"batch_size\": -16}",
    "{\"learning_rate\": 0}",
    "{\"learning_rate\": 11}",
    "{\"learning_rate\": null}",
    "{\"learning_rate\": [0.1]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"id\": \"t\", \"hyper_parameters\": %s}",
                                               bad[i]);
      g_autoptr(JsonObject) task = parse (json);
      g_autoptr(GError) error = NULL;
      TrbTrainerConfig config = { 0 };

      g_test_message ("%s", bad[i]);
      g_assert_false (trb_task_training_config (task, &config, &error));
      g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL);
      g_assert_cmpint (config.epochs, ==, 0);
      g_assert_cmpint (config.batch_size, ==, 0);
    }

  {
    g_autoptr(JsonObject) task = parse ("{\"id\": \"t\", \"hyper_parameters\": 3}");
    g_autoptr(GError) error = NULL;
    TrbTrainerConfig config = { 0 };

    g_assert_false (trb_task_training_config (task, &config, &error));
    g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/net/task-config/every-parameter", test_every_parameter);
  g_test_add_func ("/net/task-config/defaults", test_defaults);
  g_test_add_func ("/net/task-config/out-of-range", test_out_of_range);

  return g_test_run ();
}
