/* load-node.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Load program, not a test: a real tributary-node on loopback and simulated participants
 * uploading 2NN-sized updates (784-200-200-10, 199 210 parameters, about 800 KB each) with a
 * fixed number of requests in flight. Prints updates accepted per second and latency
 * percentiles.
 *
 * Usage: load-node [PARTICIPANTS [CONCURRENCY]]   (defaults 300 and 100)
 * Run from the build folder's tests/integration with TRB_BUILD_ROOT set to the build folder.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"
#include "trb-test-network.h"

static const char task_template[] =
  "{\"id\": \"load\", \"model\": %s,"
  " \"round_policy\": {\"duration_seconds\": 86400, \"min_updates\": 100000,"
  " \"max_updates\": 100000}}";

typedef struct
{
  GPtrArray *clients;
  GPtrArray *updates;
  GArray    *latencies;    /* double, seconds */
  guint      next;
  guint      in_flight;
  guint      failed;
  gboolean   joining;
  gint64    *started;
} Load;

static void start_next (Load *load);

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Load *load = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = trb_client_json_finish (TRB_CLIENT (source), result, &error);
  guint index = GPOINTER_TO_UINT (g_object_get_data (source, "index"));
  double seconds = (g_get_monotonic_time () - load->started[index]) / 1e6;

  if (answer == NULL)
    {
      load->failed++;
      g_printerr ("request failed: %s\n", error->message);
    }
  else
    g_array_append_val (load->latencies, seconds);
  load->in_flight--;
  start_next (load);
}

static void
start_next (Load *load)
{
  TrbClient *client;
  guint index;

  if (load->next >= load->clients->len)
    return;
  index = load->next++;
  client = g_ptr_array_index (load->clients, index);
  load->in_flight++;
  load->started[index] = g_get_monotonic_time ();
  if (load->joining)
    trb_client_join_async (client, NULL, NULL, done_cb, load);
  else
    trb_client_upload_update_async (client, "load", 1, g_ptr_array_index (load->updates, index),
                                    NULL, done_cb, load);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
run_phase (Load       *load,
           gboolean    joining,
           guint       concurrency,
           const char *what)
{
  gint64 t0 = g_get_monotonic_time ();
  double total;

  load->joining = joining;
  load->next = 0;
  load->failed = 0;
  g_array_set_size (load->latencies, 0);
  for (guint i = 0; i < concurrency; i++)
    start_next (load);
  while (load->in_flight > 0 || load->next < load->clients->len)
    g_main_context_iteration (NULL, TRUE);
  total = (g_get_monotonic_time () - t0) / 1e6;

  g_array_sort (load->latencies, compare_doubles);
  if (load->latencies->len == 0)
    {
      printf ("%s: every request failed\n", what);
      return;
    }
  printf ("%s: %u accepted, %u failed in %.2f s = %.1f per second; latency p50 %.0f ms, "
          "p90 %.0f ms, p99 %.0f ms, max %.0f ms\n", what, load->latencies->len, load->failed,
          total, load->latencies->len / total,
          1000 * g_array_index (load->latencies, double, load->latencies->len / 2),
          1000 * g_array_index (load->latencies, double, load->latencies->len * 9 / 10),
          1000 * g_array_index (load->latencies, double, load->latencies->len * 99 / 100),
          1000 * g_array_index (load->latencies, double, load->latencies->len - 1));
}

int
main (int    argc,
      char **argv)
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 300;
  guint concurrency = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 100;
  g_autofree char *tmp = g_dir_make_tmp ("tributary-load-XXXXXX", NULL);
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autofree char *task_json = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(GError) error = NULL;
  TestNode node = { 0 };
  Load load = { 0 };
  const char *base;

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("XDG_DATA_HOME", tmp, TRUE);
  g_assert_cmpint (sodium_init (), >=, 0);
  if (n < 1 || concurrency < 1)
    {
      g_printerr ("Usage: load-node [PARTICIPANTS [CONCURRENCY]]\n");
      return 2;
    }

  /* The 2NN of the FedAvg paper: 784-200-200-10. */
  task_json = g_strdup_printf (task_template, trb_model_spec_json_2nn ());
  test_node_init (&node, task_json);
  test_node_start (&node, NULL);

  load.clients = g_ptr_array_new_with_free_func (g_object_unref);
  load.updates = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  load.latencies = g_array_new (FALSE, FALSE, sizeof (double));
  load.started = g_new0 (gint64, n);
  for (guint i = 0; i < n; i++)
    {
      guint8 pk[32];
      guint8 *sk = sodium_malloc (64);
      TrbClient *client = trb_client_new (node.url);

      crypto_sign_keypair (pk, sk);
      trb_client_set_identity (client, sk);
      trb_client_set_retry_policy (client, 1, 100);
      trb_client_set_timeout (client, 120);
      sodium_free (sk);
      g_object_set_data (G_OBJECT (client), "index", GUINT_TO_POINTER (i));
      g_ptr_array_add (load.clients, client);
    }

  spec = trb_model_spec_new_from_json (trb_model_spec_json_2nn (), -1, &error);
  g_assert_no_error (error);
  round = test_get_json (g_ptr_array_index (load.clients, 0), "/v1/tasks/load/round", &error);
  g_assert_no_error (error);
  base = json_object_get_string_member (round, "model");
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TrbWeights) delta = trb_model_spec_init_weights (spec, i + 1);
      g_autofree char *samples = g_strdup_printf ("%u", 100 + i);
      g_autofree char *commitment = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guint8 *)&i,
                                                                 sizeof i);

      trb_weights_set_metadata (delta, "base_model", base);
      trb_weights_set_metadata (delta, "samples", samples);
      trb_weights_set_metadata (delta, "epochs", "1");
      trb_weights_set_metadata (delta, "dataset_commitment", commitment);
      g_ptr_array_add (load.updates, trb_weights_to_safetensors (delta));
    }
  printf ("%u participants, %u requests in flight, update size %zu bytes (%zu parameters)\n", n,
          concurrency, g_bytes_get_size (g_ptr_array_index (load.updates, 0)),
          trb_model_spec_get_n_parameters (spec));

  run_phase (&load, TRUE, concurrency, "join (signed)");
  run_phase (&load, FALSE, concurrency, "upload (signed, 2NN update)");

  test_node_clear (&node);
  g_ptr_array_unref (load.clients);
  g_ptr_array_unref (load.updates);
  g_array_unref (load.latencies);
  g_free (load.started);
  return 0;
}
