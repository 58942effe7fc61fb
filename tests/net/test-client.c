/* test-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The client's transport behaviour against small in-process servers: retries with backoff,
 * no retry of refusals, size limits, and a download resumed with Range after a cut.
 */

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "net/trb-client.h"

typedef struct
{
  SoupServer *server;
  char       *url;
  guint       hits;
  guint       failures_before_success;
  guint       status;
  gsize       big;
  gboolean    empty;
} Fixture;

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Fixture *f = user_data;

  f->hits++;
  if (f->empty)
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "", 0);
      return;
    }
  if (f->big > 0)
    {
      char *data = g_malloc (f->big);

      memset (data, ' ', f->big);
      data[0] = '{';
      data[f->big - 1] = '}';
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, data, f->big);
      return;
    }
  if (f->hits <= f->failures_before_success)
    {
      soup_server_message_set_status (msg, f->status, NULL);
      static const char problem[] =
        "{\"type\":\"https://tributary.invalid/problems/late\",\"title\":\"Too late\","
        "\"status\":409}";

      soup_server_message_set_response (msg, "application/problem+json", SOUP_MEMORY_STATIC,
                                        problem, strlen (problem));
      return;
    }
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                    "{\"ok\":true}", 11);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, NULL, handler_cb, f, NULL);
  g_assert_true (soup_server_listen_local (f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->server);
  f->url = g_uri_to_string (uris->data);
  f->url[strlen (f->url) - 1] = '\0';
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  soup_server_disconnect (f->server);
  g_clear_object (&f->server);
  g_free (f->url);
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static JsonObject *
get (TrbClient  *client,
     GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  trb_client_get_json_async (client, "/v1/thing", NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return trb_client_json_finish (client, result, error);
}

static void
test_retries_server_errors (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(TrbClient) client = trb_client_new (f->url);
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  f->failures_before_success = 2;
  f->status = 503;
  trb_client_set_retry_policy (client, 5, 20);
  start = g_get_monotonic_time ();
  answer = get (client, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_get_boolean_member (answer, "ok"));
  g_assert_cmpuint (f->hits, ==, 3);
  /* Two waits of 20 ms and 40 ms, each at least halved by the jitter. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 30 * 1000);
}

static void
test_gives_up (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(TrbClient) client = trb_client_new (f->url);
  g_autoptr(GError) error = NULL;

  f->failures_before_success = 100;
  f->status = 500;
  trb_client_set_retry_policy (client, 4, 1);
  g_assert_null (get (client, &error));
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_SERVER);
  g_assert_cmpuint (f->hits, ==, 4);
}

static void
test_refusal_not_retried (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(TrbClient) client = trb_client_new (f->url);
  g_autoptr(GError) error = NULL;

  f->failures_before_success = 100;
  f->status = 409;
  trb_client_set_retry_policy (client, 5, 1);
  g_assert_null (get (client, &error));
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED);
  g_assert_cmpstr (trb_client_error_get_problem (error), ==, "late");
  g_assert_cmpuint (f->hits, ==, 1);
}

static void
test_size_limit (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(TrbClient) client = trb_client_new (f->url);
  g_autoptr(GError) error = NULL;

  f->big = TRB_CLIENT_MAX_JSON + 1;
  g_assert_null (get (client, &error));
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TOO_LARGE);
}

static void
test_connection_refused (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(TrbClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  guint16 port;

  /* A port that was free a moment ago and is closed now. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);
  url = g_strdup_printf ("http://127.0.0.1:%u", port);
  client = trb_client_new (url);
  trb_client_set_retry_policy (client, 2, 1);
  g_assert_null (get (client, &error));
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_NETWORK);
}

/* ---- resumable download against a server that cuts the first answer ------------------------ */

typedef struct
{
  GBytes    *blob;
  gsize      cut;
  GPtrArray *ranges;
  GMutex     lock;
} CutServer;

static gboolean
serve_cut_cb (GThreadedSocketService *service,
              GSocketConnection      *connection,
              GObject                *source,
              gpointer                user_data)
{
  CutServer *s = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GString) request = g_string_new (NULL);
  g_autofree char *head = NULL;
  const char *range;
  gsize len;
  const guint8 *data = g_bytes_get_data (s->blob, &len);
  char c;

  while (!g_str_has_suffix (request->str, "\r\n\r\n") && request->len < 8192 &&
         g_input_stream_read (in, &c, 1, NULL, NULL) == 1)
    g_string_append_c (request, c);

  range = strstr (request->str, "Range: bytes=");
  g_mutex_lock (&s->lock);
  g_ptr_array_add (s->ranges, range != NULL ? g_strndup (range + 13, strcspn (range + 13, "\r"))
                                            : g_strdup (""));
  g_mutex_unlock (&s->lock);

  if (range == NULL)
    {
      head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                              len);
      g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL);
      g_output_stream_write_all (out, data, s->cut, NULL, NULL, NULL);
    }
  else
    {
      guint64 start = g_ascii_strtoull (range + 13, NULL, 10);

      head = g_strdup_printf ("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes %"
                              G_GUINT64_FORMAT "-%zu/%zu\r\nContent-Length: %zu\r\n"
                              "Connection: close\r\n\r\n", start, len - 1, len, len - start);
      g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL);
      g_output_stream_write_all (out, data + start, len - start, NULL, NULL, NULL);
    }
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static void
test_resumes_download (void)
{
  g_autoptr(GSocketService) service = g_threaded_socket_service_new (2);
  g_autoptr(TrbClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *hash = NULL;
  g_autofree guint8 *data = g_malloc (300 * 1024);
  CutServer s = { 0 };
  guint16 port;

  for (gsize i = 0; i < 300 * 1024; i++)
    data[i] = (guint8) (i * 7 + i / 251);
  s.blob = g_bytes_new (data, 300 * 1024);
  s.cut = 123457;
  s.ranges = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&s.lock);
  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, s.blob);

  port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (service), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "run", G_CALLBACK (serve_cut_cb), &s);
  g_socket_service_start (service);

  url = g_strdup_printf ("http://127.0.0.1:%u", port);
  client = trb_client_new (url);
  trb_client_set_retry_policy (client, 3, 1);
  trb_client_download_blob_async (client, hash, 1024 * 1024, NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  got = trb_client_download_blob_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (got, s.blob));

  /* The second request asked only for what was missing. */
  g_assert_cmpuint (s.ranges->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (s.ranges, 0), ==, "");
  g_assert_cmpstr (g_ptr_array_index (s.ranges, 1), ==, "123457-");

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_ptr_array_unref (s.ranges);
  g_bytes_unref (s.blob);
  g_mutex_clear (&s.lock);
}

/* A blob whose bytes do not match the hash asked for is refused. */
static void
test_blob_checksum (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(TrbClient) client = trb_client_new (f->url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  trb_client_download_blob_async (client, "00000000000000000000000000000000"
                                  "00000000000000000000000000000000", 1024, NULL,
                                  store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (trb_client_download_blob_finish (client, result, &error));
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL);
}

/* A "200" with no body at all (found by the fuzz-client target) is an answer that says
 * nothing: each call fails with an error, or gives back an empty text, never NULL without one. */
static void
test_empty_answer (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(TrbClient) client = trb_client_new (f->url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *note = NULL;

  f->empty = TRUE;
  answer = get (client, &error);
  g_assert_null (answer);
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL);
  g_clear_error (&error);

  trb_client_get_checkpoint_async (client, NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  note = trb_client_get_checkpoint_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (note, ==, "");
}

/* ---- cancelled during a backoff, and the blocking calls of worker threads ------------------- */

static void
run_until_hits (Fixture *f,
                guint    hits)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (f->hits < hits)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  /* The answer reached the client, which now waits before its next try. */
  deadline = g_get_monotonic_time () + 100 * 1000;
  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
}

/* A request cancelled while it waits to try again (a backoff of 1.5 s or more here) ends at
 * once. */
static void
test_cancel_during_backoff (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(TrbClient) client = trb_client_new (f->url);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 cancelled_at;

  f->failures_before_success = 100;
  f->status = 503;
  trb_client_set_retry_policy (client, 5, 3000);
  trb_client_get_json_async (client, "/v1/thing", cancellable, store_result_cb, &result);
  run_until_hits (f, 1);
  g_assert_null (result);
  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (g_get_monotonic_time () - cancelled_at, <, 500 * 1000);
  g_assert_null (trb_client_json_finish (client, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (f->hits, ==, 1);
}

typedef struct
{
  TrbClient    *client;
  GCancellable *cancellable;
  JsonObject   *answer;
  GError       *error;
  gint          done;
} SyncCall;

static gpointer
sync_call_thread (gpointer user_data)
{
  SyncCall *call = user_data;

  call->answer = trb_client_get_json_sync (call->client, "/v1/thing", call->cancellable,
                                           &call->error);
  g_atomic_int_set (&call->done, 1);
  return NULL;
}

/* The blocking form in a worker thread: the same retries and answer as the asynchronous one,
 * with no main context of its own (the server runs on this thread's). */
static void
test_sync_in_worker (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(TrbClient) client = trb_client_new (f->url);
  SyncCall call = { client, NULL, NULL, NULL, 0 };
  GThread *thread;

  f->failures_before_success = 2;
  f->status = 503;
  trb_client_set_retry_policy (client, 5, 20);
  thread = g_thread_new ("sync-call", sync_call_thread, &call);
  while (!g_atomic_int_get (&call.done))
    g_main_context_iteration (NULL, FALSE);
  g_thread_join (thread);
  g_assert_no_error (call.error);
  g_assert_true (json_object_get_boolean_member (call.answer, "ok"));
  g_assert_cmpuint (f->hits, ==, 3);
  json_object_unref (call.answer);
}

/* A blocking call cancelled from another thread during its backoff ends at once. */
static void
test_sync_cancel_during_backoff (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(TrbClient) client = trb_client_new (f->url);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  SyncCall call = { client, cancellable, NULL, NULL, 0 };
  GThread *thread;
  gint64 cancelled_at;

  f->failures_before_success = 100;
  f->status = 503;
  trb_client_set_retry_policy (client, 5, 3000);
  thread = g_thread_new ("sync-call", sync_call_thread, &call);
  run_until_hits (f, 1);
  g_assert_false (g_atomic_int_get (&call.done));
  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  g_thread_join (thread);
  g_assert_cmpint (g_get_monotonic_time () - cancelled_at, <, 500 * 1000);
  g_assert_null (call.answer);
  g_assert_error (call.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (f->hits, ==, 1);
  g_clear_error (&call.error);
}

int
main (int    argc,
      char **argv)
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/net/client/retries", Fixture, NULL, fixture_setup, test_retries_server_errors,
              fixture_teardown);
  g_test_add ("/net/client/gives-up", Fixture, NULL, fixture_setup, test_gives_up,
              fixture_teardown);
  g_test_add ("/net/client/refusal", Fixture, NULL, fixture_setup, test_refusal_not_retried,
              fixture_teardown);
  g_test_add ("/net/client/size-limit", Fixture, NULL, fixture_setup, test_size_limit,
              fixture_teardown);
  g_test_add ("/net/client/blob-checksum", Fixture, NULL, fixture_setup, test_blob_checksum,
              fixture_teardown);
  g_test_add ("/net/client/empty-answer", Fixture, NULL, fixture_setup, test_empty_answer,
              fixture_teardown);
  g_test_add_func ("/net/client/connection-refused", test_connection_refused);
  g_test_add ("/net/client/cancel-during-backoff", Fixture, NULL, fixture_setup,
              test_cancel_during_backoff, fixture_teardown);
  g_test_add ("/net/client/sync-in-worker", Fixture, NULL, fixture_setup, test_sync_in_worker,
              fixture_teardown);
  g_test_add ("/net/client/sync-cancel-during-backoff", Fixture, NULL, fixture_setup,
              test_sync_cancel_during_backoff, fixture_teardown);
  g_test_add_func ("/net/client/resume", test_resumes_download);

  return g_test_run ();
}
