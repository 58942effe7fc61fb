/* fuzz-node.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target: the node end to end. A real TrbNode serves a temporary data folder on
 * 127.0.0.1 in this process; each input is written to one connection (so one request, or
 * several on one keep-alive connection, headers and body alike), the connection is half-closed
 * and whatever the node answers is read until it closes or falls silent. The node must not
 * crash, leak or take more than READ_TIMEOUT_S over one connection, must release the
 * connections its peers closed (descriptors are counted), and must still answer
 * `GET /v1/network` after every input.
 *
 * An input that starts with "SIGN METHOD PATH\n" is the body of a request that the harness
 * signs with a participant's key that has joined (fresh date and nonce, correct digest), so that
 * mutations reach the handlers behind the signature check: updates, joins, cosignatures.
 * Anywhere in an input, 64 "M" stand for the hash of the current model, which a valid update
 * names and which is the one blob every node has. TRB_FUZZ_VERBOSE=1 prints each answer.
 */

/* memmem (), accept4 () */
#define _GNU_SOURCE

#include "config.h"

#include <glib-unix.h>
#include <arpa/inet.h>
#include <dirent.h>
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

#include "net/trb-http-signature.h"
#include "node/trb-node.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

/* Seconds the node keeps a silent connection (its sweep runs once a second); how long the node
 * may take over one connection; how long a silence ends an answer. */
#define IDLE_TIMEOUT_S 1
#define READ_TIMEOUT_S 10
#define QUIET_MS       50
#define OWN_QUIET_MS   3000
#define MAX_REPLY      (8 * 1024 * 1024)

#define MODEL_PLACEHOLDER \
  "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM"

/* A tiny model (4 → 3 → 2) whose rounds never close while fuzzing, so that round 1 always
 * takes updates. */
static const char task_json[] =
  "{\"id\": \"t\", \"title\": \"Fuzz\","
  " \"model\": {\"format\": \"tributary-model\", \"version\": 1,"
  " \"input\": {\"shape\": [4], \"dtype\": \"f32\"}, \"layers\": [{\"type\": \"dense\","
  " \"units\": 3}, {\"type\": \"relu\"}, {\"type\": \"dense\", \"units\": 2}],"
  " \"loss\": \"softmax_cross_entropy\"},"
  " \"data_schema\": {\"kind\": \"image-classification\", \"width\": 2, \"height\": 2,"
  " \"channels\": 1, \"classes\": 2},"
  " \"hyper_parameters\": {\"local_epochs\": 1, \"batch_size\": 4, \"learning_rate\": 0.1},"
  " \"round_policy\": {\"duration_seconds\": 86400, \"min_updates\": 1000000,"
  " \"max_updates\": 1000000, \"server_momentum\": 0, \"fraction\": 1.0},"
  " \"reward_policy\": {\"points_per_sample_epoch\": 0.01, \"cap_per_round\": 5},"
  " \"privacy_policy\": {\"clip_norm\": 0, \"noise_multiplier\": 0},"
  " \"initial_weights\": {\"seed\": 7}}";

static struct
{
  char    *dir;
  TrbNode *node;
  char    *url;
  guint16  port;
  guint8   secret_key[crypto_sign_SECRETKEYBYTES];
  char    *model_hash;
  guint    baseline_fds;
} fx;

/* Sends @request on a new connection and reads the answer, while the node runs in this thread's
 * main loop. The connection is half-closed once the request is sent; the answer ends when the
 * node closes, or when it has said nothing for @quiet_ms (a keep-alive connection waiting for
 * the next request: SoupServer does not notice a half-close, which is why the node sweeps idle
 * connections). The harness then closes it for good. *still_open tells which of the two.
 * The harness's own requests ask the node to close, and wait longer: an update is checked on a
 * worker thread. */
static GByteArray *
exchange (GBytes   *request,
          guint     quiet_ms,
          gboolean *still_open)
{
  struct sockaddr_in addr = { 0 };
  GByteArray *reply = g_byte_array_new ();
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (request, &len);
  gsize sent = 0;
  gint64 start = g_get_monotonic_time ();
  gint64 last = start;
  gboolean open = TRUE;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  addr.sin_family = AF_INET;
  addr.sin_port = htons (fx.port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  /* On loopback, connect () completes in the kernel before the node accepts. */
  if (fd < 0 || connect (fd, (struct sockaddr *)&addr, sizeof addr) != 0)
    {
      fprintf (stderr, "fuzz-node: the node no longer accepts connections\n");
      abort ();
    }
  g_unix_set_fd_nonblocking (fd, TRUE, NULL);

  while (open)
    {
      gboolean active = FALSE;
      guint8 buffer[16384];
      ssize_t n;

      if (sent < len)
        {
          n = send (fd, data + sent, len - sent, MSG_NOSIGNAL);
          if (n > 0)
            sent += n;
          /* The node may stop reading early (a refused body): the rest is not sent. */
          if (sent == len || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            {
              sent = len;
              shutdown (fd, SHUT_WR);
            }
          active = TRUE;
        }
      n = recv (fd, buffer, sizeof buffer, 0);
      if (n > 0 && reply->len + n <= MAX_REPLY)
        g_byte_array_append (reply, buffer, n);
      if (n > 0)
        active = TRUE;
      else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        open = FALSE;
      if (active)
        last = g_get_monotonic_time ();

      while (g_main_context_iteration (NULL, FALSE))
        last = g_get_monotonic_time ();
      if (open && sent == len && g_get_monotonic_time () - last > (gint64)quiet_ms * 1000)
        break;
      if (g_get_monotonic_time () - start > READ_TIMEOUT_S * G_USEC_PER_SEC)
        {
          fprintf (stderr, "fuzz-node: the node was still busy with one connection after %d s\n",
                   READ_TIMEOUT_S);
          abort ();
        }
      if (!active && open)
        g_usleep (500);
    }
  close (fd);
  if (still_open != NULL)
    *still_open = open;
  return reply;
}

static GByteArray *
exchange_text (const char *request,
               gboolean   *still_open)
{
  g_autoptr(GBytes) bytes = g_bytes_new (request, strlen (request));

  return exchange (bytes, OWN_QUIET_MS, still_open);
}

static guint
reply_status (GByteArray *reply)
{
  if (reply->len < 12 || memcmp (reply->data, "HTTP/1.1 ", 9) != 0)
    return 0;
  return (guint)g_ascii_strtoull ((const char *)reply->data + 9, NULL, 10);
}

static GBytes *
signed_request (const char   *method,
                const char   *path,
                const guint8 *body,
                gsize         len)
{
  g_autofree char *target = g_strconcat (fx.url, path, NULL);
  g_autofree char *digest = NULL;
  g_autofree char *input = NULL;
  g_autofree char *signature = NULL;
  GString *text = g_string_new (NULL);

  if (!trb_http_signature_sign (method, target, body, len, fx.secret_key,
                                g_get_real_time () / G_USEC_PER_SEC, &digest, &input, &signature))
    {
      g_string_free (text, TRUE);
      return NULL;
    }
  g_string_append_printf (text, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                          "Content-Type: %s\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n"
                          "Content-Digest: %s\r\nSignature-Input: %s\r\nSignature: %s\r\n"
                          "Connection: close\r\n\r\n",
                          method, path, fx.port,
                          g_str_has_suffix (path, "/updates") ? "application/vnd.safetensors"
                                                              : "application/json",
                          len, digest, input, signature);
  g_string_append_len (text, (const char *)body, len);
  return g_string_free_to_bytes (text);
}

static void
refresh_model_hash (void)
{
  g_autofree char *request = g_strdup_printf ("GET /v1/tasks/t/round HTTP/1.1\r\n"
                                              "Host: 127.0.0.1:%u\r\nConnection: close\r\n\r\n",
                                              fx.port);
  g_autoptr(GByteArray) reply = exchange_text (request, NULL);
  g_autofree char *text = g_strndup ((const char *)reply->data, reply->len);
  const char *model = strstr (text, "\"model\":\"");

  if (model != NULL && strlen (model) >= 9 + 64)
    {
      g_free (fx.model_hash);
      fx.model_hash = g_strndup (model + 9, 64);
    }
}

/* A new participant joins; the next signed requests are its own. */
static void
new_participant (void)
{
  static const char join[] = "{\"display_name\": \"fuzz\"}";
  guint8 public_key[crypto_sign_PUBLICKEYBYTES];
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GByteArray) reply = NULL;

  crypto_sign_keypair (public_key, fx.secret_key);
  request = signed_request ("POST", "/v1/participants", (const guint8 *)join, strlen (join));
  reply = exchange (request, OWN_QUIET_MS, NULL);
  if (reply_status (reply) / 100 != 2)
    {
      fprintf (stderr, "fuzz-node: an honest join was refused: %.*s\n", (int)reply->len,
               (const char *)reply->data);
      abort ();
    }
  refresh_model_hash ();
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
remove_data (void)
{
  g_clear_object (&fx.node);
  if (fx.dir != NULL)
    remove_tree (fx.dir);
}

static guint
count_fds (void)
{
  DIR *dir = opendir ("/proc/self/fd");
  guint n = 0;

  if (dir == NULL)
    return 0;
  while (readdir (dir) != NULL)
    n++;
  closedir (dir);
  return n;
}

static void
setup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *task_path = NULL;
  g_autofree char *data = NULL;

  if (sodium_init () < 0)
    abort ();
  fx.dir = g_dir_make_tmp ("fuzz-node-XXXXXX", &error);
  g_assert_no_error (error);
  task_path = g_build_filename (fx.dir, "task.json", NULL);
  data = g_build_filename (fx.dir, "data", NULL);
  g_assert_true (g_file_set_contents (task_path, task_json, -1, &error));
  g_assert_true (trb_node_init_data (data, "Fuzz", task_path, &error));
  g_assert_no_error (error);
  fx.node = trb_node_open (data, &error);
  g_assert_no_error (error);
  /* Rate limits high enough that the fuzzer's own pace is not refused with 429 all along. */
  trb_node_set_rate_limits (fx.node, 1000000, 1000000);
  trb_node_set_connection_timeout (fx.node, IDLE_TIMEOUT_S);
  g_assert_true (trb_node_listen (fx.node, "127.0.0.1:0", NULL, &fx.url, &error));
  g_assert_no_error (error);
  fx.port = (guint16)g_ascii_strtoull (strrchr (fx.url, ':') + 1, NULL, 10);
  atexit (remove_data);
  new_participant ();
  fx.baseline_fds = count_fds ();
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static guint64 runs;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GByteArray) reply = NULL;
  g_autoptr(GByteArray) check = NULL;
  g_autofree char *check_request = NULL;
  g_autofree char *input = NULL;
  gboolean is_signed = FALSE;
  gboolean is_upload = FALSE;

  if (fx.node == NULL)
    setup ();

  /* The hash of the current model, wherever the input names it (a blob, an update's base). */
  input = g_malloc (size + 1);
  memcpy (input, data, size);
  input[size] = '\0';
  for (char *at = input;
       fx.model_hash != NULL &&
       (at = memmem (at, input + size - at, MODEL_PLACEHOLDER, 64)) != NULL;
       at += 64)
    memcpy (at, fx.model_hash, 64);

  if (size > 5 && memcmp (input, "SIGN ", 5) == 0)
    {
      const char *eol = memchr (input, '\n', size);
      g_autofree char *line = NULL;
      g_auto(GStrv) words = NULL;

      if (eol == NULL)
        return 0;
      line = g_strndup (input + 5, eol - input - 5);
      words = g_strsplit (line, " ", 2);
      if (g_strv_length (words) != 2 || *words[0] == '\0' || *words[1] == '\0' ||
          strpbrk (line, "\r") != NULL)
        return 0;
      is_signed = TRUE;
      is_upload = g_str_has_suffix (words[1], "/updates");
      request = signed_request (words[0], words[1], (const guint8 *)eol + 1,
                                size - (eol + 1 - input));
      if (request == NULL)
        return 0;
    }
  else
    request = g_bytes_new (input, size);

  /* A signed request asks the node to close; a raw one may leave the connection waiting. */
  reply = exchange (request, is_signed ? OWN_QUIET_MS : QUIET_MS, NULL);
  if (g_getenv ("TRB_FUZZ_VERBOSE") != NULL)
    fprintf (stderr, "fuzz-node answered:\n%.*s\n", (int)reply->len, (const char *)reply->data);
  /* An accepted update: the next one comes from someone else, or it would be a duplicate. */
  if (is_upload && (reply_status (reply) / 100 == 2 ||
                    g_strstr_len ((const char *)reply->data, reply->len, "/duplicate") != NULL))
    new_participant ();

  check_request = g_strdup_printf ("GET /v1/network HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                   "Connection: close\r\n\r\n", fx.port);
  check = exchange_text (check_request, NULL);
  if (reply_status (check) != 200)
    {
      fprintf (stderr, "fuzz-node: GET /v1/network failed after this input: %.*s\n",
               (int)MIN (check->len, 200), (const char *)check->data);
      abort ();
    }

  /* Connections the node keeps after their peer left (as keep-alive connections in CLOSE-WAIT
   * once were) would show here; the sweep closes idle ones within two seconds. */
  if (++runs % 256 == 0 && count_fds () > fx.baseline_fds + 64)
    {
      g_usleep ((IDLE_TIMEOUT_S + 2) * G_USEC_PER_SEC);
      for (guint i = 0; i < 10; i++)
        g_main_context_iteration (NULL, FALSE);
      if (count_fds () > fx.baseline_fds + 64)
        {
          fprintf (stderr, "fuzz-node: %u descriptors open, %u at the start\n", count_fds (),
                   fx.baseline_fds);
          abort ();
        }
    }
  return 0;
}
