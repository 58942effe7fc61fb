/* load-node.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Load program, not a test: a real tributary-node on loopback and simulated participants
 * uploading 2NN-sized updates (784-200-200-10, 199 210 parameters, about 800 KB each) with a
 * fixed number of requests in flight, while SLOW connections hold half a request open (the
 * node closes them after its idle timeout, 30 s). Prints updates accepted per second and
 * latency percentiles. Then, on a node with a 2 s idle timeout: its memory while 10 clients
 * each send a 1 GiB upload at once, and its open descriptors before and after 10 000
 * keep-alive connections that the clients close.
 *
 * Usage: load-node [PARTICIPANTS [CONCURRENCY [SLOW]]]   (defaults 300, 100 and 200)
 * Run with TRB_BUILD_ROOT set to the build folder. With TRB_LOAD_EARLIER_BUILD set to the build
 * folder of an earlier version, the joins and uploads run against its node first, for figures
 * side by side (the memory and descriptor figures are this build's only).
 */

#include "config.h"

#include <gio/gio.h>
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

/* ---- the node's own figures --------------------------------------------------------------- */

static const char *
node_pid (TestNode *node)
{
  return g_subprocess_get_identifier (node->process);
}

/* A line of /proc/PID/status, in KiB. */
static guint64
status_kib (TestNode   *node,
            const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", node_pid (node));
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (line = strstr (text, field)) == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen (field) + 1, NULL, 10);
}

static guint
count_descriptors (TestNode *node)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", node_pid (node));
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static GSocket *
connect_to (guint16 port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_socket_connect (socket, address, NULL, &error);
  g_assert_no_error (error);
  return socket;
}

static guint16
node_port (TestNode *node)
{
  return (guint16) g_ascii_strtoull (strrchr (node->url, ':') + 1, NULL, 10);
}

/* Connections that send the start of a request and nothing more, as a slow client does. */
static GPtrArray *
open_slow_connections (TestNode *node,
                       guint     n)
{
  static const char start[] = "POST /v1/participants HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  GPtrArray *sockets = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      GSocket *socket = connect_to (node_port (node));

      g_socket_send (socket, start, strlen (start), NULL, NULL);
      g_ptr_array_add (sockets, socket);
    }
  return sockets;
}

/* How many of @sockets the node still holds open (a read would block rather than see EOF). */
static guint
count_open (GPtrArray *sockets)
{
  guint n = 0;

  for (guint i = 0; i < sockets->len; i++)
    {
      GSocket *socket = g_ptr_array_index (sockets, i);
      char byte;

      g_socket_set_blocking (socket, FALSE);
      if (g_socket_receive (socket, &byte, 1, NULL, NULL) < 0)
        n++;
    }
  return n;
}

typedef struct
{
  guint16 port;
  guint64 sent;
} BigUpload;

/* Declares 1 GiB to the upload endpoint and sends it, until the node closes the connection. */
static gpointer
big_upload_thread (gpointer data)
{
  BigUpload *upload = data;
  g_autoptr(GSocket) socket = connect_to (upload->port);
  static const char headers[] = "POST /v1/tasks/load/rounds/1/updates HTTP/1.1\r\n"
                                "Host: 127.0.0.1\r\nContent-Length: 1073741824\r\n\r\n";
  g_autofree char *chunk = g_malloc0 (1 << 20);

  g_socket_set_timeout (socket, 10);
  g_socket_send (socket, headers, strlen (headers), NULL, NULL);
  while (upload->sent < ((guint64) 1 << 30))
    {
      gssize n = g_socket_send (socket, chunk, 1 << 20, NULL, NULL);

      if (n <= 0)
        break;
      upload->sent += n;
    }
  return NULL;
}

static void
run_memory_phase (TestNode *node)
{
  BigUpload uploads[10];
  GThread *threads[10];
  guint64 before = status_kib (node, "VmRSS:");
  guint64 peak_before = status_kib (node, "VmHWM:");
  guint64 sent = 0;

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      uploads[i] = (BigUpload) { node_port (node), 0 };
      threads[i] = g_thread_new ("upload", big_upload_thread, &uploads[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_thread_join (threads[i]);
      sent += uploads[i].sent;
    }
  printf ("10 concurrent 1 GiB uploads: %.1f MiB sent before the node closed them; node RSS "
          "%.1f MiB before, %.1f MiB after, peak %.1f MiB (peak before %.1f MiB); "
          "the node's bound on one request body is 64 MiB\n", sent / 1048576.0, before / 1024.0,
          status_kib (node, "VmRSS:") / 1024.0, status_kib (node, "VmHWM:") / 1024.0,
          peak_before / 1024.0);
}

static void
run_descriptor_phase (TestNode *node,
                      guint     n)
{
  static const char request[] = "GET /v1/network HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  guint idle, after, later;
  gint64 t0;
  char buffer[4096];

  g_usleep (3 * G_USEC_PER_SEC);
  idle = count_descriptors (node);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GSocket) socket = connect_to (node_port (node));

      /* Keep-alive (HTTP/1.1's default): the node keeps the connection after its answer. */
      g_socket_send (socket, request, strlen (request), NULL, NULL);
      g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL);
      g_socket_close (socket, NULL);
    }
  after = count_descriptors (node);
  g_usleep (4 * G_USEC_PER_SEC);
  later = count_descriptors (node);
  printf ("%u keep-alive connections closed by their clients in %.1f s: node descriptors %u "
          "idle, %u right after, %u four seconds later (idle timeout 2 s)\n", n,
          (g_get_monotonic_time () - t0) / 1e6, idle, after, later);
}


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

/* The options of @wanted that the node in TRB_BUILD_ROOT knows: an earlier node has no rate
 * limits or caps to lift, and refuses options it does not know. */
static char **
known_options (const char * const *wanted)
{
  g_autofree char *binary = g_build_filename (g_getenv ("TRB_BUILD_ROOT"), "src", "node",
                                              "tributary-node", NULL);
  const char *help_argv[] = { binary, "serve", "--help", NULL };
  g_autofree char *help = NULL;
  GPtrArray *known = g_ptr_array_new ();

  g_spawn_sync (NULL, (char **) help_argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &help,
                NULL, NULL, NULL);
  for (guint i = 0; wanted[i] != NULL; i++)
    {
      g_autofree char *name = g_strndup (wanted[i], strcspn (wanted[i], "="));

      if (help != NULL && strstr (help, name) != NULL)
        g_ptr_array_add (known, g_strdup (wanted[i]));
    }
  g_ptr_array_add (known, NULL);
  return (char **) g_ptr_array_free (known, FALSE);
}

/* Joins and uploads of @n participants against the node built in @build_root, while @n_slow
 * connections hold half a request open. Lines start with @label. */
static void
measure_throughput (const char *build_root,
                    const char *label,
                    guint       n,
                    guint       concurrency,
                    guint       n_slow)
{
  /* Every participant and slow connection comes from 127.0.0.1: the per-address rate limits are
   * off, and the connection caps above the 300 connections (and those closing) held at once. */
  const char * const unlimited[] = { "--join-rate=0", "--upload-rate=0", "--max-connections=4096",
                                     "--max-connections-per-address=4096", NULL };
  g_auto(GStrv) options = NULL;
  g_autoptr(GPtrArray) slow = NULL;
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autofree char *task_json = NULL;
  g_autofree char *what = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(GError) error = NULL;
  TestNode node = { 0 };
  Load load = { 0 };
  const char *base;

  g_setenv ("TRB_BUILD_ROOT", build_root, TRUE);
  options = known_options (unlimited);

  /* The 2NN of the FedAvg paper: 784-200-200-10. */
  task_json = g_strdup_printf (task_template, trb_model_spec_json_2nn ());
  test_node_init (&node, task_json);
  test_node_start_args (&node, (const char * const *) options);

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
  printf ("%s: %u participants, %u requests in flight, update size %zu bytes (%zu parameters)\n",
          label, n, concurrency, g_bytes_get_size (g_ptr_array_index (load.updates, 0)),
          trb_model_spec_get_n_parameters (spec));

  what = g_strdup_printf ("%s: join (signed)", label);
  run_phase (&load, TRUE, concurrency, what);
  slow = open_slow_connections (&node, n_slow);
  g_free (what);
  what = g_strdup_printf ("%s: upload (signed, 2NN update) with %u slow connections open", label,
                          n_slow);
  run_phase (&load, FALSE, concurrency, what);
  printf ("%s: slow connections still open after the uploads: %u of %u; node RSS %.1f MiB, peak "
          "%.1f MiB\n", label, count_open (slow), n_slow, status_kib (&node, "VmRSS:") / 1024.0,
          status_kib (&node, "VmHWM:") / 1024.0);

  test_node_clear (&node);
  g_ptr_array_unref (load.clients);
  g_ptr_array_unref (load.updates);
  g_array_unref (load.latencies);
  g_free (load.started);
}

int
main (int    argc,
      char **argv)
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 300;
  guint concurrency = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 100;
  guint n_slow = argc > 3 ? (guint) g_ascii_strtoull (argv[3], NULL, 10) : 200;
  g_autofree char *build_root = g_strdup (g_getenv ("TRB_BUILD_ROOT"));
  const char *earlier = g_getenv ("TRB_LOAD_EARLIER_BUILD");
  const char * const short_idle[] = { "--idle-timeout=2", "--max-connections=4096",
                                      "--max-connections-per-address=4096", NULL };
  g_autofree char *tmp = g_dir_make_tmp ("tributary-load-XXXXXX", NULL);
  g_autofree char *task_json = NULL;
  TestNode node = { 0 };

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("XDG_DATA_HOME", tmp, TRUE);
  g_assert_cmpint (sodium_init (), >=, 0);
  if (n < 1 || concurrency < 1 || build_root == NULL)
    {
      g_printerr ("Usage: TRB_BUILD_ROOT=BUILD [TRB_LOAD_EARLIER_BUILD=EARLIER_BUILD] "
                  "load-node [PARTICIPANTS [CONCURRENCY [SLOW]]]\n");
      return 2;
    }

  /* The same load against an earlier build first, when one is named, for figures side by side
   * on the same machine at the same time. */
  if (earlier != NULL)
    measure_throughput (earlier, "earlier node", n, concurrency, n_slow);
  measure_throughput (build_root, "this node", n, concurrency, n_slow);

  g_setenv ("TRB_BUILD_ROOT", build_root, TRUE);
  task_json = g_strdup_printf (task_template, trb_model_spec_json_2nn ());
  test_node_init (&node, task_json);
  test_node_start_args (&node, short_idle);
  run_memory_phase (&node);
  run_descriptor_phase (&node, 10000);
  test_node_clear (&node);
  return 0;
}
