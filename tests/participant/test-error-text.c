/* test-error-text.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * trb_error_describe() against the real causes a person meets: a closed port, a web server that
 * is no Tributary node, a TCP service that is not HTTP, a node of a newer protocol, a truncated
 * gzip file, random bytes, an empty or missing file, text that is no address. Each gives its own
 * plain sentence, and a library's message only ever as details. Also the datasets the Join
 * dialog offers: never one missing from the disk.
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>

#include "datasets/trb-dataset-registry.h"
#include "datasets/trb-sample-source.h"
#include "net/trb-client.h"
#include "participant/trb-error-text.h"
#include "participant/trb-invite.h"
#include "store/trb-store.h"

/* Library messages that must never be the sentence. */
static const char * const jargon[] = {
  "Need more input", "Connection refused", "Could not connect", "Operation not supported",
  "(404)", "Could not parse", "Connection terminated", "Error resolving", "refused the request",
  NULL,
};

static char *
describe (const GError  *error,
          char         **details)
{
  char *sentence = trb_error_describe (error, details);

  g_assert_nonnull (sentence);
  g_test_message ("%s → “%s” (details: %s)", error->message, sentence,
                  details != NULL && *details != NULL ? *details : "none");
  for (guint i = 0; jargon[i] != NULL; i++)
    if (strstr (sentence, jargon[i]) != NULL)
      g_error ("“%s” shows the library's words “%s”", sentence, jargon[i]);
  return sentence;
}

/* ---- the protocol client ----------------------------------------------------------------- */

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Reads /v1/network at @url as the Add by Address dialog does; returns the error. */
static GError *
fetch_network (const char *url,
               double     *seconds)
{
  g_autoptr(TrbClient) client = trb_client_new (url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) network = NULL;
  GError *error = NULL;
  gint64 start = g_get_monotonic_time ();

  trb_client_set_interactive (client);
  trb_client_get_network_async (client, NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  network = trb_client_json_finish (client, result, &error);
  g_assert_null (network);
  g_assert_nonnull (error);
  if (seconds != NULL)
    *seconds = (g_get_monotonic_time () - start) / 1e6;
  return error;
}

static guint16
closed_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  guint16 port;

  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);
  return port;
}

static void
test_dead_address (void)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", closed_port ());
  g_autoptr(GError) error = NULL;
  g_autofree char *details = NULL;
  g_autofree char *sentence = NULL;
  GQuark domain = 0;
  int code = 0;
  double seconds = 0;

  error = fetch_network (url, &seconds);
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_NETWORK);
  g_assert_true (trb_client_error_get_cause (error, &domain, &code));
  g_assert_true (domain == G_IO_ERROR);
  g_assert_cmpint (code, ==, G_IO_ERROR_CONNECTION_REFUSED);
  sentence = describe (error, &details);
  g_assert_nonnull (strstr (sentence, "Nothing answers at this address"));
  g_assert_nonnull (details);
  /* A person waits on it: the answer comes well within 10 s. */
  g_assert_cmpfloat (seconds, <, 10.0);
}

typedef struct
{
  guint       status;
  const char *type;
  const char *body;
} Answer;

static void
answer_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  const Answer *answer = user_data;

  soup_server_message_set_status (msg, answer->status, NULL);
  soup_server_message_set_response (msg, answer->type, SOUP_MEMORY_STATIC, answer->body,
                                    strlen (answer->body));
}

static GError *
fetch_from_server (const Answer *answer)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) listen_error = NULL;
  GSList *uris;
  g_autofree char *url = NULL;
  GError *error;

  soup_server_add_handler (server, NULL, answer_cb, (gpointer) answer, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY,
                                           &listen_error));
  uris = soup_server_get_uris (server);
  url = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  error = fetch_network (url, NULL);
  soup_server_disconnect (server);
  return error;
}

static void
test_web_server (void)
{
  /* What `python3 -m http.server` answers, then a JSON service of some other kind. */
  static const Answer not_found = { 404, "text/html",
                                    "<html><body><h1>Error response</h1>404</body></html>" };
  static const Answer page = { 200, "text/html", "<!DOCTYPE html><html></html>" };
  static const Answer other_json = { 200, "application/json", "{\"status\": \"ok\"}" };
  const Answer *answers[] = { &not_found, &page, &other_json };

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      g_autoptr(GError) error = fetch_from_server (answers[i]);
      g_autofree char *sentence = NULL;

      g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_NOT_A_NETWORK);
      sentence = describe (error, NULL);
      g_assert_cmpstr (sentence, ==, "This address does not host a Tributary network. Check the "
                                     "address, or ask for a new invite link.");
    }
  {
    g_autoptr(GError) error = fetch_from_server (&not_found);
    g_assert_cmpuint (trb_client_error_get_status (error), ==, 404);
  }
}

static void
test_newer_protocol (void)
{
  static const Answer newer = { 200, "application/json",
                                "{\"protocol\": 2, \"name\": \"Future\"}" };
  g_autoptr(GError) error = fetch_from_server (&newer);
  g_autofree char *sentence = NULL;

  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_UNSUPPORTED);
  sentence = describe (error, NULL);
  g_assert_nonnull (strstr (sentence, "newer version of Tributary"));
}

/* A TCP service that is not HTTP: it writes @banner (maybe none) and closes. */
static gboolean
banner_cb (GSocketService    *service,
           GSocketConnection *connection,
           GObject           *source,
           gpointer           user_data)
{
  const char *banner = user_data;
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  if (*banner != '\0')
    g_output_stream_write_all (out, banner, strlen (banner), NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static void
test_not_http (void)
{
  const char *banners[] = { "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "" };

  for (guint i = 0; i < G_N_ELEMENTS (banners); i++)
    {
      g_autoptr(GSocketService) service = g_socket_service_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *url = NULL;
      g_autofree char *sentence = NULL;
      g_autofree char *details = NULL;
      guint16 port;

      port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (service), NULL, &error);
      g_assert_no_error (error);
      g_signal_connect (service, "incoming", G_CALLBACK (banner_cb), (gpointer) banners[i]);
      g_socket_service_start (service);
      url = g_strdup_printf ("http://127.0.0.1:%u", port);
      error = fetch_network (url, NULL);
      g_socket_service_stop (service);
      g_socket_listener_close (G_SOCKET_LISTENER (service));

      g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_NETWORK);
      sentence = describe (error, &details);
      g_assert_nonnull (strstr (sentence, "it is not a web server"));
      g_assert_nonnull (details);
    }
}

/* A name no resolver knows (.invalid is reserved for that). */
static void
test_unknown_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sentence = NULL;
  GQuark domain = 0;
  double seconds = 0;

  error = fetch_network ("http://no-such-network.invalid", &seconds);
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_NETWORK);
  g_assert_true (trb_client_error_get_cause (error, &domain, NULL));
  g_assert_true (domain == G_RESOLVER_ERROR);
  sentence = describe (error, NULL);
  g_assert_nonnull (strstr (sentence, "No computer with this name"));
  g_assert_cmpfloat (seconds, <, 10.0);
}

/* A server that accepts the connection and never answers: the worst case of a person waiting. */
static gboolean
hold_cb (GSocketService    *service,
         GSocketConnection *connection,
         GObject           *source,
         gpointer           user_data)
{
  g_ptr_array_add (user_data, g_object_ref (connection));
  return TRUE;
}

static void
test_silent_server (void)
{
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *sentence = NULL;
  GQuark domain = 0;
  int code = 0;
  double seconds = 0;
  guint16 port;

  port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (service), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "incoming", G_CALLBACK (hold_cb), held);
  g_socket_service_start (service);
  url = g_strdup_printf ("http://127.0.0.1:%u", port);
  error = fetch_network (url, &seconds);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));

  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_NETWORK);
  g_assert_true (trb_client_error_get_cause (error, &domain, &code));
  g_assert_true (domain == G_IO_ERROR);
  g_assert_cmpint (code, ==, G_IO_ERROR_TIMED_OUT);
  sentence = describe (error, NULL);
  g_assert_nonnull (strstr (sentence, "did not answer in time"));
  /* Two tries of 4 s and the pause between them: given up within 10 s. */
  g_test_message ("gave up after %.1f s", seconds);
  g_assert_cmpfloat (seconds, <, 10.0);
}

/* https:// to a server that answers in plain HTTP: the TLS handshake fails. The test sits after
 * the banner server it uses. */
static void
test_tls (void)
{
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *sentence = NULL;
  g_autofree char *details = NULL;
  GQuark domain = 0;
  guint16 port;

  port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (service), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "incoming", G_CALLBACK (banner_cb),
                    (gpointer) "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  g_socket_service_start (service);
  url = g_strdup_printf ("https://127.0.0.1:%u", port);
  error = fetch_network (url, NULL);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));

  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_NETWORK);
  g_assert_true (trb_client_error_get_cause (error, &domain, NULL));
  g_test_message ("cause: %s: %s", g_quark_to_string (domain), error->message);
  g_assert_true (domain == G_TLS_ERROR);
  sentence = describe (error, &details);
  g_assert_nonnull (strstr (sentence, "secure connection"));
}

static void
test_connection_classes (void)
{
  struct { GQuark domain; int code; const char *expect; } cases[] = {
    { G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "No computer with this name" },
    { G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, "secure connection" },
    { G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "did not answer in time" },
    { G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE, "cannot be reached" },
    { G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "Nothing answers" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = g_error_new_literal (cases[i].domain, cases[i].code,
                                                     "Error resolving “x”: Name or service not "
                                                     "known");
      g_autofree char *details = NULL;
      g_autofree char *sentence = describe (error, &details);

      g_assert_nonnull (strstr (sentence, cases[i].expect));
      g_assert_cmpstr (details, ==, error->message);
    }
}

static void
test_garbage_address (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = trb_invite_parse ("not an address!!", &error);
  g_autofree char *sentence = NULL;

  g_assert_null (url);
  sentence = describe (error, NULL);
  g_assert_nonnull (strstr (sentence, "This is not a network address or an invite link"));
}

/* ---- the datasets ------------------------------------------------------------------------ */

static void
copy_demo_file (const char *name,
                const char *dir,
                const char *to,
                gssize      keep)
{
  g_autofree char *from = g_build_filename (g_getenv ("TRB_SOURCE_ROOT"), "data", "demo", name,
                                            NULL);
  g_autofree char *path = g_build_filename (dir, to, NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (from, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (path, contents, keep < 0 ? (gssize) length : keep, NULL));
}

/* A copy of the demo pictures and labels in @dir, the pictures cut to half their size when
 * @cut, as a download that stopped half-way. */
static char *
demo_copy (const char *dir,
           const char *prefix,
           gboolean    cut)
{
  g_autofree char *images = g_strconcat (prefix, "-images-idx3-ubyte.gz", NULL);
  g_autofree char *labels = g_strconcat (prefix, "-labels-idx1-ubyte.gz", NULL);
  g_autofree char *from = g_build_filename (g_getenv ("TRB_SOURCE_ROOT"), "data", "demo",
                                            "demo-train-images-idx3-ubyte.gz", NULL);
  g_autofree char *path = g_build_filename (dir, images, NULL);
  GStatBuf st;

  g_assert_cmpint (g_stat (from, &st), ==, 0);
  copy_demo_file ("demo-train-images-idx3-ubyte.gz", dir, images, cut ? st.st_size / 2 : -1);
  copy_demo_file ("demo-train-labels-idx1-ubyte.gz", dir, labels, -1);
  return g_canonicalize_filename (path, NULL);
}

/* Reads every sample, as the check does. */
static GError *
read_all (const char *path)
{
  g_autoptr(TrbSampleSource) source = NULL;
  GError *error = NULL;

  source = trb_sample_source_open (path, NULL, &error);
  if (source == NULL)
    return error;
  {
    g_autoptr(TrbSampleBatch) batch = trb_sample_batch_new (source, 256);

    while (trb_sample_source_read (source, batch, NULL, &error) && batch->n > 0)
      ;
  }
  return error;
}

static void
test_truncated_gzip (void)
{
  g_autofree char *dir = g_dir_make_tmp ("trb-error-text-XXXXXX", NULL);
  g_autofree char *path = demo_copy (dir, "cut", TRUE);
  g_autoptr(GError) error = read_all (path);
  g_autofree char *sentence = NULL;

  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TRUNCATED);
  sentence = describe (error, NULL);
  g_assert_nonnull (strstr (sentence, "ends early — it may not have finished downloading"));
  g_assert_nonnull (strstr (sentence, "Download it again"));
}

static void
test_dataset_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("trb-error-text-XXXXXX", NULL);
  g_autofree char *noise = g_build_filename (dir, "noise.bin", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty-images-idx3-ubyte", NULL);
  g_autofree char *missing = g_build_filename (dir, "gone-images-idx3-ubyte", NULL);
  GRand *rand = g_rand_new_with_seed (7);
  guint8 bytes[4096];
  struct { const char *path; int code; const char *expect; } cases[] = {
    { noise, TRB_DATASET_ERROR_FORMAT, "is not a dataset Tributary can read" },
    { empty, TRB_DATASET_ERROR_EMPTY, "is empty" },
    { missing, TRB_DATASET_ERROR_NOT_FOUND, "does not exist" },
  };

  for (guint i = 0; i < sizeof bytes; i++)
    bytes[i] = g_rand_int (rand);
  g_rand_free (rand);
  bytes[0] = 0x42; /* neither IDX nor gzip */
  g_assert_true (g_file_set_contents (noise, (const char *) bytes, sizeof bytes, NULL));
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = read_all (cases[i].path);
      g_autofree char *sentence = NULL;

      g_assert_error (error, TRB_DATASET_ERROR, cases[i].code);
      sentence = describe (error, NULL);
      g_assert_nonnull (strstr (sentence, cases[i].expect));
    }

  /* Permission denied: meaningless for root, who reads everything. */
  if (getuid () != 0)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *sentence = NULL;

      g_assert_cmpint (g_chmod (noise, 0), ==, 0);
      error = read_all (noise);
      g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_UNREADABLE);
      sentence = describe (error, NULL);
      g_assert_nonnull (strstr (sentence, "you do not have permission"));
    }
}

/* The Join dialog's choices: never a dataset missing from the disk, always a usable one added. */
static void
test_choices (void)
{
  g_autofree char *dir = g_dir_make_tmp ("trb-error-text-XXXXXX", NULL);
  g_autofree char *nowhere = g_build_filename (dir, "no-demo-here", NULL);
  g_autofree char *db = g_build_filename (dir, "store.db", NULL);
  g_autofree char *added = NULL;
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbDatasetRegistry) registry = NULL;
  g_autoptr(GPtrArray) choices = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *demo_dir = g_build_filename (g_getenv ("TRB_SOURCE_ROOT"), "data", "demo",
                                                NULL);

  store = trb_store_new_for_path (db, &error);
  g_assert_no_error (error);
  registry = trb_dataset_registry_new (store, &error);
  g_assert_no_error (error);

  /* The demo pictures are missing: nothing to offer. */
  g_setenv ("TRB_DEMO_DIR", nowhere, TRUE);
  choices = trb_dataset_list_choices (registry);
  g_assert_cmpuint (choices->len, ==, 0);
  g_clear_pointer (&choices, g_ptr_array_unref);

  /* A usable dataset added by the person is offered. */
  added = demo_copy (dir, "fashion", FALSE);
  g_assert_nonnull (trb_dataset_registry_add (registry, added, NULL, &error));
  g_assert_no_error (error);
  choices = trb_dataset_list_choices (registry);
  g_assert_cmpuint (choices->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (choices, 0), ==, added);
  g_clear_pointer (&choices, g_ptr_array_unref);

  /* With the demo pictures present they come first. */
  g_setenv ("TRB_DEMO_DIR", demo_dir, TRUE);
  choices = trb_dataset_list_choices (registry);
  g_assert_cmpuint (choices->len, ==, 2);
  g_assert_true (g_str_has_suffix (g_ptr_array_index (choices, 0),
                                   "demo-train-images-idx3-ubyte.gz"));
  g_clear_pointer (&choices, g_ptr_array_unref);

  /* Once deleted, the added file is no longer offered. */
  g_assert_cmpint (g_unlink (added), ==, 0);
  choices = trb_dataset_list_choices (registry);
  g_assert_cmpuint (choices->len, ==, 1);
  g_assert_false (g_str_equal (g_ptr_array_index (choices, 0), added));
}

int
main (int   argc,
      char *argv[])
{
  /* The isolated data folders have no GNOME proxy settings: connect directly. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/error-text/net/dead-address", test_dead_address);
  g_test_add_func ("/error-text/net/web-server", test_web_server);
  g_test_add_func ("/error-text/net/newer-protocol", test_newer_protocol);
  g_test_add_func ("/error-text/net/not-http", test_not_http);
  g_test_add_func ("/error-text/net/silent-server", test_silent_server);
  g_test_add_func ("/error-text/net/tls", test_tls);
  g_test_add_func ("/error-text/net/unknown-name", test_unknown_name);
  g_test_add_func ("/error-text/net/classes", test_connection_classes);
  g_test_add_func ("/error-text/net/garbage-address", test_garbage_address);
  g_test_add_func ("/error-text/datasets/truncated-gzip", test_truncated_gzip);
  g_test_add_func ("/error-text/datasets/files", test_dataset_files);
  g_test_add_func ("/error-text/datasets/choices", test_choices);
  return g_test_run ();
}
