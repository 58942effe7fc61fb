/* trb-test-network.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "trb-test-network.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sodium.h>
#include <string.h>

char *
test_dataset_path (const char *name)
{
  return g_build_filename ("/usr/share/datasets/fashion-mnist", name, NULL);
}

static char *
node_binary (void)
{
  return g_build_filename (g_getenv ("TRB_BUILD_ROOT"), "src", "node", "tributary-node", NULL);
}

void
test_node_init (TestNode   *node,
                const char *task_json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) init = NULL;
  g_autofree char *binary = node_binary ();
  g_autofree char *task_path = NULL;
  g_autofree char *base = NULL;

  base = g_build_filename (g_get_user_data_dir (), "nodes", NULL);
  g_mkdir_with_parents (base, 0700);
  node->data_dir = g_build_filename (base, "XXXXXX", NULL);
  g_assert_nonnull (g_mkdtemp (node->data_dir));
  g_rmdir (node->data_dir);
  task_path = g_strconcat (node->data_dir, ".task.json", NULL);
  g_assert_true (g_file_set_contents (task_path, task_json, -1, &error));

  init = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, binary, "init", "--data",
                           node->data_dir, "--name", "Integration test", "--task", task_path,
                           NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (init, NULL, &error));
  g_assert_no_error (error);
}

/* The node dies with the test, so that a failing test never leaves a server behind. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Starts the node with @extra_args (a %NULL-terminated list, or %NULL) after the usual ones. */
void
test_node_start_args (TestNode           *node,
                      const char * const *extra_args)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *binary = node_binary ();
  g_autofree char *url_file = g_strconcat (node->data_dir, ".url", NULL);
  g_autofree char *contents = NULL;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char * const fixed[] = { binary, "serve", "--data", node->data_dir, "--listen",
                                 "127.0.0.1:0", "--url-file", url_file };

  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);

  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, (gpointer) fixed[i]);
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  g_unlink (url_file);
  g_clear_pointer (&node->url, g_free);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  node->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                &error);
  g_assert_no_error (error);

  while (!g_file_get_contents (url_file, &contents, NULL, NULL))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  g_strstrip (contents);
  g_assert_true (g_str_has_prefix (contents, "http://127.0.0.1:") ||
                 g_str_has_prefix (contents, "http://0.0.0.0:"));
  node->url = g_steal_pointer (&contents);
}

void
test_node_start (TestNode   *node,
                 const char *extra_arg)
{
  const char * const args[] = { extra_arg, NULL };

  test_node_start_args (node, args);
}

void
test_node_kill (TestNode *node)
{
  if (node->process == NULL)
    return;
  g_subprocess_send_signal (node->process, SIGKILL);
  g_subprocess_wait (node->process, NULL, NULL);
  g_clear_object (&node->process);
}

void
test_node_clear (TestNode *node)
{
  test_node_kill (node);
  g_clear_pointer (&node->data_dir, g_free);
  g_clear_pointer (&node->url, g_free);
}

static void
connect_participant (TestParticipant *p,
                     TestNode        *node)
{
  g_clear_object (&p->contributor);
  g_clear_object (&p->client);
  p->client = trb_client_new (node->url);
  trb_client_set_identity (p->client, p->secret_key);
  trb_client_set_retry_policy (p->client, 3, 50);
  p->contributor = trb_contributor_new (p->client, p->store);
}

TestParticipant *
test_participant_new (TestNode *node,
                      guint     part,
                      guint     n_parts,
                      gsize     n_samples)
{
  TestParticipant *p = g_new0 (TestParticipant, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *images = test_dataset_path ("train-images-idx3-ubyte.gz");
  g_autofree char *store_path = NULL;
  guint8 public_key[32];

  p->secret_key = sodium_malloc (64);
  crypto_sign_keypair (public_key, p->secret_key);

  store_path = g_strdup_printf ("%s/participant-%u-%p.db", g_get_user_data_dir (), part, p);
  p->store = trb_store_new_for_path (store_path, &error);
  g_assert_no_error (error);
  g_assert_true (trb_contributor_migrate (p->store, &error));
  g_assert_no_error (error);

  if (n_samples > 0)
    {
      p->data = trb_training_set_load (images, part, n_parts, n_samples, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (trb_training_set_get_n_samples (p->data), ==, n_samples);
    }

  connect_participant (p, node);
  return p;
}

void
test_participant_reconnect (TestParticipant *p,
                            TestNode        *node)
{
  connect_participant (p, node);
}

void
test_participant_free (TestParticipant *p)
{
  g_clear_object (&p->contributor);
  g_clear_object (&p->client);
  g_clear_object (&p->store);
  g_clear_pointer (&p->data, g_object_unref);
  sodium_free (p->secret_key);
  g_free (p);
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

JsonObject *
test_get_json (TrbClient   *client,
               const char  *path,
               GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  trb_client_get_json_async (client, path, NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return trb_client_json_finish (client, result, error);
}

JsonObject *
test_upload (TrbClient   *client,
             const char  *task,
             gint64       round,
             GBytes      *update,
             GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  trb_client_upload_update_async (client, task, round, update, NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return trb_client_json_finish (client, result, error);
}

GBytes *
test_download (TrbClient   *client,
               const char  *sha256,
               GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  trb_client_download_blob_async (client, sha256, 64 * 1024 * 1024, NULL, store_result_cb,
                                  &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return trb_client_download_blob_finish (client, result, error);
}

static JsonObject *
get_round (TrbClient  *client,
           const char *task)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *round;

  trb_client_get_round_async (client, task, NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  round = trb_client_json_finish (client, result, &error);
  g_assert_no_error (error);
  return round;
}

/**
 * test_round_asks:
 *
 * Whether the current round of @task asks @client's address, as the node says it.
 */
gboolean
test_round_asks (TrbClient  *client,
                 const char *task)
{
  g_autoptr(JsonObject) round = get_round (client, task);

  return trb_client_round_asks (round, trb_client_get_address (client));
}

/**
 * test_wait_round_asks:
 *
 * Waits, up to 10 s, until the current round of @task asks at least the smaller of @n_joined and
 * its `min_updates`: a round that asks fewer than it needs to close asks those who joined since
 * at the node's next tick (docs/protocol.md, "Who a round asks").
 */
void
test_wait_round_asks (TrbClient  *client,
                      const char *task,
                      gint64      n_joined)
{
  gint64 until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JsonObject) round = get_round (client, task);
      JsonObject *selection = json_object_has_member (round, "selection")
                              ? json_object_get_object_member (round, "selection") : NULL;
      gint64 wanted = MIN (n_joined, json_object_get_int_member (round, "min_updates"));

      /* A node that does not decide whom a round asks asks everyone. */
      if (selection == NULL || json_object_get_int_member (selection, "participants") >= wanted)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (20 * 1000);
    }
}

/**
 * test_wait_asked:
 *
 * Waits, up to 10 s, until the current round of @task asks @client's address, or asks as
 * many as it needs to close (then it asks no one more); at once when the task's fraction leaves
 * the address out of the round.
 */
void
test_wait_asked (TrbClient  *client,
                 const char *task)
{
  gint64 until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JsonObject) round = get_round (client, task);
      JsonObject *selection = json_object_has_member (round, "selection")
                              ? json_object_get_object_member (round, "selection") : NULL;

      if (selection == NULL ||
          !trb_client_is_selected (json_object_get_string_member (round, "model"),
                                   trb_client_get_address (client),
                                   json_object_get_double_member (round, "fraction")) ||
          trb_client_round_asks (round, trb_client_get_address (client)) ||
          json_object_get_int_member (selection, "participants") >=
          MIN (json_object_get_int_member (round, "min_updates"),
               json_object_get_int_member (round, "max_updates")))
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (20 * 1000);
    }
}

/**
 * test_round_state:
 *
 * The current round of the task "fashion-mnist", as @p reads it.
 */
JsonObject *
test_round_state (TestParticipant *p)
{
  g_autoptr(GError) error = NULL;
  JsonObject *round = test_get_json (p->client, "/v1/tasks/fashion-mnist/round", &error);

  g_assert_no_error (error);
  return round;
}

/**
 * test_wait_for_round:
 *
 * Waits, up to 60 s, until the current round of "fashion-mnist" is @round.
 */
void
test_wait_for_round (TestParticipant *p,
                     gint64           round)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JsonObject) r = test_round_state (p);

      if (json_object_get_int_member (r, "round") == round)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
}
