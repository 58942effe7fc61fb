/* fuzz-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target: a hostile node's answers, end to end through the client. A tiny HTTP server
 * on 127.0.0.1, in a thread of this process, answers every request with bytes of the input; the
 * client then asks for everything a participant asks a node for (network, task, round, blob,
 * checkpoint, entries, proofs, join, upload receipt, events) and a TrbContributor connects,
 * joins and verifies the ledger against it. Errors are fine; a crash, a sanitizer report or a
 * hang (libFuzzer's -timeout) is a finding. TRB_FUZZ_VERBOSE=1 prints the contributor's errors.
 *
 * The input is a list of answers separated by "\r\n=====\r\n", one for each endpoint in the
 * order of endpoint_slots (the list repeated when it is shorter), so that the same question
 * gets the same answer all along, as from a real node, and the seeds (real answers of a node)
 * carry the contributor through a whole verified conversation. An answer that starts with
 * "HTTP/" is sent as it is; any other is the body of a "200 OK" JSON answer whose headers the
 * server writes; "@ADDRESS@" in it stands for the participant's address. The server closes
 * each connection after its answer.
 */

/* memmem (), accept4 () */
#define _GNU_SOURCE

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "net/trb-client.h"
#include "net/trb-http-signature.h"
#include "net/trb-contributor.h"
#include "store/trb-store.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

#define SEPARATOR     "\r\n=====\r\n"
#define ADDRESS       "@ADDRESS@"
#define MAX_REQUEST   (1024 * 1024)

static struct
{
  int        listen_fd;
  guint16    port;
  char      *dir;
  guint8     secret_key[crypto_sign_SECRETKEYBYTES];
  char      *address;
  GMutex     lock;
  GPtrArray *answers; /* GBytes, under lock */
} fx;

/* What each answer of the input answers, by the start of the request's path; anything else
 * gets the last answer. */
static const char *endpoint_slots[] = {
  "/v1/network",
  "/v1/tasks/t/round",
  "/v1/tasks/t/rounds/",
  "/v1/tasks/",
  "/v1/blobs/",
  "/v1/ledger/checkpoint",
  "/v1/ledger/entries",
  "/v1/ledger/proof/inclusion",
  "/v1/ledger/proof/consistency",
  "/v1/participants",
  "/v1/ledger/cosignatures",
  "/v1/events",
};

/* Reads one request (headers, then as much body as Content-Length says) so that the client
 * is not answered before it has finished sending, which would reset the connection. */
static guint
read_request (int fd)
{
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  gsize body_left = 0;
  gboolean in_body = FALSE;
  guint slot = G_N_ELEMENTS (endpoint_slots);

  for (;;)
    {
      guint8 chunk[16384];
      ssize_t n;

      if (in_body && body_left == 0)
        return slot;
      n = recv (fd, chunk, sizeof chunk, 0);
      if (n <= 0)
        return slot;
      if (in_body)
        {
          body_left -= MIN ((gsize)n, body_left);
          continue;
        }
      g_byte_array_append (buffer, chunk, n);
      if (buffer->len > MAX_REQUEST)
        return slot;
      {
        const char *text = (const char *)buffer->data;
        const char *end = g_strstr_len (text, buffer->len, "\r\n\r\n");
        g_autofree char *headers = NULL;
        const char *length;
        const char *path;

        if (end == NULL)
          continue;
        path = memchr (text, ' ', end - text);

        for (guint i = 0; path != NULL && i < G_N_ELEMENTS (endpoint_slots); i++)
          if (strncmp (path + 1, endpoint_slots[i], strlen (endpoint_slots[i])) == 0)
            {
              slot = i;
              break;
            }
        headers = g_ascii_strdown (text, end - text);
        length = strstr (headers, "\r\ncontent-length:");
        body_left = length != NULL ? g_ascii_strtoull (length + 17, NULL, 10) : 0;
        body_left -= MIN (body_left, (gsize)(buffer->len - (end + 4 - text)));
        in_body = TRUE;
      }
    }
}

static gpointer
server_thread (gpointer user_data)
{
  for (;;)
    {
      struct timeval tv = { 2, 0 };
      g_autoptr(GBytes) answer = NULL;
      gsize len = 0, sent = 0;
      const guint8 *data;
      guint slot;
      int fd = accept4 (fx.listen_fd, NULL, NULL, SOCK_CLOEXEC);

      if (fd < 0)
        continue;
      setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      slot = read_request (fd);

      g_mutex_lock (&fx.lock);
      if (fx.answers != NULL && fx.answers->len > 0)
        answer = g_bytes_ref (g_ptr_array_index (fx.answers,
                                                 slot < G_N_ELEMENTS (endpoint_slots)
                                                   ? slot % fx.answers->len
                                                   : fx.answers->len - 1));
      g_mutex_unlock (&fx.lock);

      data = answer != NULL ? g_bytes_get_data (answer, &len) : NULL;
      while (sent < len)
        {
          ssize_t n = send (fd, data + sent, len - sent, MSG_NOSIGNAL);

          if (n <= 0)
            break;
          sent += n;
        }
      shutdown (fd, SHUT_WR);
      close (fd);
    }
  return NULL;
}

static void
remove_dir (void)
{
  g_rmdir (fx.dir);
}

static void
setup (void)
{
  struct sockaddr_in addr = { 0 };
  socklen_t addr_len = sizeof addr;
  guint8 public_key[crypto_sign_PUBLICKEYBYTES];
  g_autoptr(GError) error = NULL;

  if (sodium_init () < 0)
    abort ();
  crypto_sign_keypair (public_key, fx.secret_key);
  fx.address = trb_address_from_public_key (public_key);
  fx.dir = g_dir_make_tmp ("fuzz-client-XXXXXX", &error);
  g_assert_no_error (error);
  atexit (remove_dir);

  fx.listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fx.listen_fd < 0 || bind (fx.listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen (fx.listen_fd, 64) != 0 ||
      getsockname (fx.listen_fd, (struct sockaddr *)&addr, &addr_len) != 0)
    abort ();
  fx.port = ntohs (addr.sin_port);
  g_thread_new ("fuzz-node", server_thread, NULL);
}

static GBytes *
make_answer (const guint8 *input,
             gsize         input_len)
{
  g_autoptr(GString) answer = g_string_new_len ((const char *)input, input_len);
  const guint8 *data;
  gsize len;
  GString *text;

  /* The participant's own address, which a join's answer names. */
  g_string_replace (answer, ADDRESS, fx.address, 0);
  data = (const guint8 *)answer->str;
  len = answer->len;
  if (len >= 5 && memcmp (data, "HTTP/", 5) == 0)
    return g_bytes_new (data, len);
  text = g_string_new (NULL);
  g_string_append_printf (text, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n",
                          len);
  g_string_append_len (text, (const char *)data, len);
  return g_string_free_to_bytes (text);
}

static void
set_answers (const guint8 *data,
             gsize         size)
{
  GPtrArray *answers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gsize start = 0;
  gsize sep = strlen (SEPARATOR);

  for (;;)
    {
      const guint8 *found = size - start >= sep ? memmem (data + start, size - start,
                                                          SEPARATOR, sep)
                                                : NULL;
      gsize end = found != NULL ? (gsize)(found - data) : size;

      g_ptr_array_add (answers, make_answer (data + start, end - start));
      if (found == NULL)
        break;
      start = end + sep;
    }

  g_mutex_lock (&fx.lock);
  g_clear_pointer (&fx.answers, g_ptr_array_unref);
  fx.answers = answers;
  g_mutex_unlock (&fx.lock);
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **)user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

/* Finishes a call that returns a JSON object and looks at what the client accepted. */
static JsonObject *
finish_json (TrbClient    *client,
             GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;
  JsonObject *obj = trb_client_json_finish (client, result, &error);

  g_object_unref (result);
  g_assert_true ((obj == NULL) != (error == NULL));
  if (error != NULL)
    {
      trb_client_error_get_problem (error);
      trb_client_error_get_status (error);
    }
  return obj;
}

static void
ask_everything (TrbClient *client)
{
  static const guint8 ledger_key[32] = { 7 };
  GAsyncResult *result = NULL;

  {
    g_autoptr(JsonObject) network = NULL;

    trb_client_get_network_async (client, NULL, store_result_cb, &result);
    network = finish_json (client, wait_for (&result));
    result = NULL;
  }
  {
    g_autoptr(JsonObject) task = NULL;

    trb_client_get_task_async (client, "t", NULL, store_result_cb, &result);
    task = finish_json (client, wait_for (&result));
    result = NULL;
    if (task != NULL)
      {
        double clip = 0, noise = 0;

        trb_contributor_read_privacy_policy (task, &clip, &noise);
        trb_client_task_number (task, "round_policy", "fraction", 1.0);
      }
  }
  {
    g_autoptr(JsonObject) round = NULL;

    trb_client_get_round_async (client, "t", NULL, store_result_cb, &result);
    round = finish_json (client, wait_for (&result));
    result = NULL;
    if (round != NULL)
      {
        TrbClientRoundCounts counts;

        trb_client_round_counts_from_json (round, g_get_real_time () / G_USEC_PER_SEC, &counts);
        g_assert_cmpint (counts.updates, <=, TRB_CLIENT_MAX_ROUND_UPDATES);
      }
  }
  {
    g_autoptr(GBytes) blob = NULL;

    trb_client_download_blob_async (client,
                                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                                    1024 * 1024, NULL, store_result_cb, &result);
    blob = trb_client_download_blob_finish (client, wait_for (&result), NULL);
    g_clear_object (&result);
    if (blob != NULL)
      g_assert_cmpuint (g_bytes_get_size (blob), <=, 1024 * 1024);
  }
  {
    g_autofree char *note = NULL;

    trb_client_get_checkpoint_async (client, NULL, store_result_cb, &result);
    note = trb_client_get_checkpoint_finish (client, wait_for (&result), NULL);
    g_clear_object (&result);
    if (note != NULL)
      g_assert_cmpuint (strlen (note), <=, TRB_PROTOCOL_MAX_CHECKPOINT);
  }
  {
    g_autoptr(JsonObject) entries = NULL;

    trb_client_get_entries_async (client, 0, 4, NULL, store_result_cb, &result);
    entries = finish_json (client, wait_for (&result));
    result = NULL;
  }
  {
    g_autoptr(JsonObject) proof = NULL;

    trb_client_get_inclusion_proof_async (client, 1, 4, NULL, store_result_cb, &result);
    proof = finish_json (client, wait_for (&result));
    result = NULL;
    if (proof != NULL)
      {
        g_autoptr(GBytes) path = trb_client_proof_from_json (proof, NULL);

        if (path != NULL)
          g_assert_cmpuint (g_bytes_get_size (path) % 32, ==, 0);
      }
  }
  {
    g_autoptr(JsonObject) proof = NULL;

    trb_client_get_consistency_proof_async (client, 2, 4, NULL, store_result_cb, &result);
    proof = finish_json (client, wait_for (&result));
    result = NULL;
    if (proof != NULL)
      {
        g_autoptr(GBytes) path = trb_client_proof_from_json (proof, NULL);

        if (path != NULL)
          g_assert_cmpuint (g_bytes_get_size (path) % 32, ==, 0);
      }
  }
  {
    g_autoptr(JsonObject) answer = NULL;

    trb_client_join_async (client, "fuzz", NULL, store_result_cb, &result);
    answer = finish_json (client, wait_for (&result));
    result = NULL;
  }
  {
    static const guint8 update[16] = { 8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ',
                                       ' ', ' ' };
    g_autoptr(GBytes) body = g_bytes_new_static (update, sizeof update);
    g_autoptr(JsonObject) receipt = NULL;

    trb_client_upload_update_async (client, "t", 1, body, NULL, store_result_cb, &result);
    receipt = finish_json (client, wait_for (&result));
    result = NULL;
    if (receipt != NULL)
      trb_client_verify_receipt (receipt, ledger_key, NULL);
  }
  {
    g_autoptr(JsonObject) answer = NULL;

    trb_client_post_cosignature_async (client, 4, "— fuzz AAAA", NULL, store_result_cb, &result);
    answer = finish_json (client, wait_for (&result));
    result = NULL;
  }
  {
    g_autoptr(JsonObject) events = NULL;

    trb_client_poll_events_async (client, 0, NULL, store_result_cb, &result);
    events = finish_json (client, wait_for (&result));
    result = NULL;
  }
}

/* TRB_FUZZ_VERBOSE=1 says how far the contributor got, to check that the seeds go deep. */
static void
report (const char  *step,
        GError     **error)
{
  if (*error != NULL && g_getenv ("TRB_FUZZ_VERBOSE") != NULL)
    fprintf (stderr, "fuzz-client: %s: %s\n", step, (*error)->message);
  g_clear_error (error);
}

/* A participant's whole conversation with a network, with a store of its own so that each
 * input starts from nothing pinned. */
static void
contribute (TrbClient *client)
{
  static guint64 n;
  g_autofree char *path = g_strdup_printf ("%s/store-%" G_GUINT64_FORMAT ".db", fx.dir, n++);
  g_autoptr(TrbStore) store = trb_store_new_for_path (path, NULL);
  g_autoptr(TrbContributor) contributor = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (store);
  g_assert_true (trb_contributor_migrate (store, NULL));
  contributor = trb_contributor_new (client, store);
  if (trb_contributor_connect (contributor, &error))
    {
      trb_contributor_get_ledger_key (contributor);
      trb_contributor_get_task (contributor);
      if (!trb_contributor_join (contributor, &error))
        report ("join", &error);
      /* Twice: the second sync checks consistency with the first checkpoint it verified. */
      if (trb_contributor_sync (contributor, TRUE, &error))
        trb_contributor_sync (contributor, TRUE, &error);
      report ("sync", &error);
      trb_contributor_count_receipts (contributor, TRUE);
      trb_contributor_is_compromised (contributor);
    }
  report ("connect", &error);
  g_clear_object (&contributor);
  g_clear_object (&store);
  for (guint i = 0; i < 3; i++)
    {
      const char *suffix[] = { "", "-wal", "-shm" };
      g_autofree char *file = g_strconcat (path, suffix[i], NULL);

      g_unlink (file);
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *url = NULL;
  g_autoptr(TrbClient) client = NULL;

  if (fx.listen_fd == 0)
    setup ();

  set_answers (data, size);
  url = g_strdup_printf ("http://127.0.0.1:%u", fx.port);
  client = trb_client_new (url);
  trb_client_set_identity (client, fx.secret_key);
  trb_client_set_retry_policy (client, 1, 1);
  trb_client_set_timeout (client, 5);

  ask_everything (client);
  contribute (client);

  /* Let the session close its connections before the next input. */
  g_clear_object (&client);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return 0;
}
