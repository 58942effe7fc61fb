/* test-join-policy.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real tributary-node: receipts fetched again after a lost reply, and the join policies
 * (invitation codes, proof of work).
 */

#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"
#include "net/trb-http-signature.h"
#include "net/trb-proof-of-work.h"
#include "participant/trb-participation.h"
#include "trb-test-network.h"
#include "wallet/trb-keypair.h"
#include "store/trb-store-sql.h"

static const char task_json[] =
  "{\"id\": \"fashion-mnist\", \"title\": \"Clothing\","
  " \"model\": {\"format\": \"tributary-model\", \"version\": 1,"
  " \"input\": {\"shape\": [784], \"dtype\": \"u8\"}, \"layers\": [{\"type\": \"dense\","
  " \"units\": 16}, {\"type\": \"relu\"}, {\"type\": \"dense\", \"units\": 10}],"
  " \"loss\": \"softmax_cross_entropy\"},"
  " \"data_schema\": {\"kind\": \"image-classification\", \"width\": 28, \"height\": 28,"
  " \"channels\": 1, \"classes\": 10},"
  " \"hyper_parameters\": {\"local_epochs\": 1, \"batch_size\": 16, \"learning_rate\": 0.1},"
  " \"round_policy\": {\"duration_seconds\": 120, \"min_updates\": 2, \"max_updates\": 2},"
  " \"reward_policy\": {\"points_per_sample_epoch\": 0.01, \"cap_per_round\": 5},"
  " \"privacy_policy\": {\"clip_norm\": 0, \"noise_multiplier\": 0},"
  " \"initial_weights\": {\"seed\": 7}}";

/* The participant_joined entries in an answer of /v1/ledger/entries: the round_opened entries
 * beside them depend on when the node's tick asked those who joined. */
static guint
count_joined (JsonObject *entries)
{
  JsonArray *array = json_object_get_array_member (entries, "entries");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (array); i++)
    if (strstr (json_array_get_string_element (array, i), "\"participant_joined\"") != NULL)
      n++;
  return n;
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* The exact bytes of an answer, signed or not. */
static GBytes *
request (TrbClient   *client,
         const char  *method,
         const char  *path,
         GBytes      *body,
         const char  *content_type,
         GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  trb_client_request_async (client, method, path, body, content_type, TRUE, 1024 * 1024, NULL,
                            store_result_cb, &result);
  return trb_client_request_finish (client, wait_for (&result), error);
}

static void
connect_and_join (TestParticipant *p)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (trb_contributor_connect (p->contributor, &error));
  g_assert_no_error (error);
  g_assert_true (trb_contributor_join (p->contributor, &error));
  g_assert_no_error (error);
  test_wait_asked (p->client, "fashion-mnist");
}

static void
assert_join_refused (TestParticipant *p,
                     const char      *problem)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (trb_contributor_join (p->contributor, &error));
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED);
  g_assert_cmpstr (trb_client_error_get_problem (error), ==, problem);
}

static GBytes *
make_update (TrbClient  *client,
             const char *base)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) task = test_get_json (client, "/v1/tasks/fashion-mnist", &error);
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *json = NULL;
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autoptr(TrbWeights) weights = NULL;

  g_assert_no_error (error);
  node = json_node_init_object (json_node_alloc (), json_object_get_object_member (task, "model"));
  json = json_to_string (node, FALSE);
  spec = trb_model_spec_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  weights = trb_model_spec_init_weights (spec, 3);
  trb_weights_set_metadata (weights, "base_model", base);
  trb_weights_set_metadata (weights, "samples", "600");
  trb_weights_set_metadata (weights, "epochs", "1");
  trb_weights_set_metadata (weights, "dataset_commitment",
                            "5e1f0e0000000000000000000000000000000000000000000000000000000000");
  return trb_weights_to_safetensors (weights);
}

/* A participant whose update the node stored, but who never read the receipt (it was stopped
 * in between), takes part in the same round again: the node says `duplicate`, and the
 * participant fetches the receipt of the update it sent before instead of failing. */
static void
test_receipt_recovered (void)
{
  TestNode node = { 0 };
  TestParticipant *a, *b;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(GBytes) update = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GBytes) other = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *path = NULL;
  g_autofree char *unknown = NULL;

  test_node_init (&node, task_json);
  test_node_start (&node, NULL);
  a = test_participant_new (&node, 0, 2, 600);
  b = test_participant_new (&node, 1, 2, 0);
  connect_and_join (a);
  connect_and_join (b);

  round = test_get_json (a->client, "/v1/tasks/fashion-mnist/round", &error);
  g_assert_no_error (error);
  update = make_update (a->client, json_object_get_string_member (round, "model"));
  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, update);

  /* The upload's reply, then the same receipt fetched again: the same bytes. */
  reply = request (a->client, "POST", "/v1/tasks/fashion-mnist/rounds/1/updates", update,
                   "application/vnd.safetensors", &error);
  g_assert_no_error (error);
  path = g_strconcat ("/v1/tasks/fashion-mnist/rounds/1/updates/", hash, NULL);
  again = request (a->client, "GET", path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (reply, again));

  /* Someone else's update, an unknown hash, another round, or no signature: not found. */
  other = request (b->client, "GET", path, NULL, NULL, &error);
  g_assert_null (other);
  g_assert_cmpuint (trb_client_error_get_status (error), ==, 404);
  g_assert_cmpstr (trb_client_error_get_problem (error), ==, "not-found");
  g_clear_error (&error);
  unknown = g_strconcat ("/v1/tasks/fashion-mnist/rounds/1/updates/",
                         "0000000000000000000000000000000000000000000000000000000000000000",
                         NULL);
  other = request (a->client, "GET", unknown, NULL, NULL, &error);
  g_assert_null (other);
  g_assert_cmpuint (trb_client_error_get_status (error), ==, 404);
  g_clear_error (&error);
  g_free (unknown);
  unknown = g_strconcat ("/v1/tasks/fashion-mnist/rounds/2/updates/", hash, NULL);
  other = request (a->client, "GET", unknown, NULL, NULL, &error);
  g_assert_null (other);
  g_assert_cmpuint (trb_client_error_get_status (error), ==, 404);
  g_clear_error (&error);
  g_assert_null (test_get_json (a->client, path, &error));
  g_assert_cmpstr (trb_client_error_get_problem (error), ==, "unsigned");
  g_clear_error (&error);

  /* The reply is lost: the participant has no receipt, trains again for round 1. */
  g_assert_cmpuint (trb_contributor_count_receipts (a->contributor, FALSE), ==, 0);
  g_assert_cmpint (trb_contributor_contribute (a->contributor, "fashion-mnist", a->data, 0, 60,
                                               &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (trb_contributor_count_receipts (a->contributor, FALSE), ==, 1);
  /* And the receipt it keeps is the one of the update the node holds: the ledger agrees. */
  g_assert_true (trb_contributor_sync (a->contributor, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (trb_contributor_count_receipts (a->contributor, TRUE), ==, 1);

  test_participant_free (a);
  test_participant_free (b);
  test_node_clear (&node);
}

/* Renames table @from of the running node's store to @to, from another connection (a damaged
 * or replaced file, as the node sees it). */
static void
move_table (TestNode   *node,
            const char *from,
            const char *to)
{
  g_autofree char *path = g_build_filename (node->data_dir, "node.db", NULL);
  g_autofree char *sql = g_strdup_printf ("ALTER TABLE %s RENAME TO %s", from, to);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* A signed request whose read of the store fails is the node's failure (a 500), never
 * `not-joined` or `not-found` as if the participant or its update were not there; once the
 * store reads again, the same requests are answered. */
static void
test_store_unreadable (void)
{
  TestNode node = { 0 };
  TestParticipant *a;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(GBytes) update = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *path = NULL;

  test_node_init (&node, task_json);
  test_node_start (&node, NULL);
  a = test_participant_new (&node, 0, 1, 0);
  connect_and_join (a);
  /* One try: a 500 is retried by the client, and the test looks at the first answer. */
  trb_client_set_retry_policy (a->client, 1, 0);
  round = test_get_json (a->client, "/v1/tasks/fashion-mnist/round", &error);
  g_assert_no_error (error);
  update = make_update (a->client, json_object_get_string_member (round, "model"));
  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, update);
  path = g_strconcat ("/v1/tasks/fashion-mnist/rounds/1/updates/", hash, NULL);

  /* Who joined cannot be read: the upload is not told `not-joined`. */
  move_table (&node, "participants", "participants_away");
  reply = request (a->client, "POST", "/v1/tasks/fashion-mnist/rounds/1/updates", update,
                   "application/vnd.safetensors", &error);
  g_assert_null (reply);
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_SERVER);
  g_assert_cmpuint (trb_client_error_get_status (error), ==, 500);
  g_clear_error (&error);
  move_table (&node, "participants_away", "participants");
  reply = request (a->client, "POST", "/v1/tasks/fashion-mnist/rounds/1/updates", update,
                   "application/vnd.safetensors", &error);
  g_assert_no_error (error);
  g_assert_nonnull (reply);

  /* The updates cannot be read: the receipt is not `not-found`. */
  move_table (&node, "updates", "updates_away");
  again = request (a->client, "GET", path, NULL, NULL, &error);
  g_assert_null (again);
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_SERVER);
  g_assert_cmpuint (trb_client_error_get_status (error), ==, 500);
  g_clear_error (&error);
  move_table (&node, "updates_away", "updates");
  again = request (a->client, "GET", path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (reply, again));

  test_participant_free (a);
  test_node_clear (&node);
}

/* The same in the app's participation loop: its update is stored by the node but the receipt
 * never reached it; the loop trains the round again, gets `duplicate`, and confirms the round
 * with the receipt of the update the node holds, which it verifies in the ledger. */
static void
test_app_receipt_recovered (void)
{
  TestNode node = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbKeypair) keypair = NULL;
  g_autoptr(TrbClient) client = NULL;
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  g_autoptr(TrbParticipation) p = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(JsonObject) receipt = NULL;
  g_autoptr(GBytes) update = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *images = test_dataset_path ("train-images-idx3-ubyte.gz");
  g_autofree char *store_path = g_strdup_printf ("%s/app-participant-%d.db",
                                                 g_get_user_data_dir (), (int) getpid ());
  g_autofree char *hash = NULL;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  guint8 seed[32];

  test_node_init (&node, task_json);
  test_node_start (&node, NULL);
  randombytes_buf (seed, sizeof seed);
  keypair = trb_keypair_new_from_seed (seed);
  client = trb_client_new (node.url);
  trb_client_set_keypair (client, keypair);
  trb_client_set_retry_policy (client, 3, 50);
  g_unlink (store_path);
  store = trb_store_new_for_path (store_path, &error);
  g_assert_no_error (error);
  g_assert_true (trb_participation_migrate (store, &error));
  g_assert_no_error (error);
  contributor = trb_contributor_new (client, store);
  g_assert_true (trb_contributor_connect (contributor, &error));
  g_assert_no_error (error);
  g_assert_true (trb_contributor_join (contributor, &error));
  g_assert_no_error (error);
  test_wait_round_asks (client, "fashion-mnist", 1);

  /* The update the node stored, whose reply is dropped. */
  round = test_get_json (client, "/v1/tasks/fashion-mnist/round", &error);
  g_assert_no_error (error);
  update = make_update (client, json_object_get_string_member (round, "model"));
  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, update);
  receipt = test_upload (client, "fashion-mnist", 1, update, &error);
  g_assert_no_error (error);
  g_clear_pointer (&receipt, json_object_unref);

  p = trb_participation_new (store, client, trb_contributor_get_origin (contributor),
                             trb_contributor_get_ledger_key (contributor), "fashion-mnist",
                             images);
  trb_participation_set_verification (p, keypair, FALSE);
  trb_participation_set_poll_interval (p, 100);
  trb_participation_set_retry_base (p, 1);
  trb_participation_set_max_samples (p, 600);
  trb_participation_start (p);
  while (trb_participation_get_last_contributed (p) < 1)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  trb_participation_stop (p);

  /* The receipt kept is the stored update's, and the ledger confirmed it. */
  g_assert_cmpint (sqlite3_prepare_v2 (trb_store_get_db (store),
                                       "SELECT update_hash FROM net_receipts WHERE round = 1 "
                                       "AND verified_size IS NOT NULL", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, hash);

  g_clear_object (&p);
  test_node_clear (&node);
}

/* Sends a request exactly as given, signed or not; returns its status and, for a problem, its
 * type's last part in @problem. */
static guint
send_raw (const char  *url,
          const char  *method,
          const char  *path,
          GBytes      *body,
          const char  *content_type,
          const char  *digest,
          const char  *input,
          const char  *signature,
          char       **problem)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *full = g_strconcat (url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, full);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, content_type, body);
  soup_message_headers_replace (headers, "Content-Digest", digest);
  soup_message_headers_replace (headers, "Signature-Input", input);
  soup_message_headers_replace (headers, "Signature", signature);
  response = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);

  *problem = NULL;
  node = json_from_string (g_bytes_get_data (response, NULL), NULL);
  if (soup_message_get_status (msg) >= 400 && node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      const char *type = json_object_get_string_member_with_default (json_node_get_object (node),
                                                                     "type", "");

      *problem = g_strdup (strrchr (type, '/') != NULL ? strrchr (type, '/') + 1 : type);
    }
  return soup_message_get_status (msg);
}

/* A signed request, made once so that it can be sent again as it is. */
typedef struct
{
  char *digest;
  char *input;
  char *signature;
} SignedRequest;

static void
signed_request_clear (SignedRequest *r)
{
  g_clear_pointer (&r->digest, g_free);
  g_clear_pointer (&r->input, g_free);
  g_clear_pointer (&r->signature, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SignedRequest, signed_request_clear)

#define PUBLIC_URL "http://node.test"

static guint
send_signed (TestNode       *node,
             const guint8   *secret_key,
             const char     *method,
             const char     *path,
             GBytes         *body,
             const char     *content_type,
             SignedRequest  *request,
             char          **problem)
{
  if (request->signature == NULL)
    {
      g_autofree char *target = g_strconcat (PUBLIC_URL, path, NULL);
      gsize len = 0;
      const guint8 *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;

      g_assert_true (trb_http_signature_sign (method, target, data, len, secret_key,
                                              g_get_real_time () / G_USEC_PER_SEC,
                                              &request->digest, &request->input,
                                              &request->signature));
    }
  return send_raw (node->url, method, path, body, content_type, request->digest, request->input,
                   request->signature, problem);
}

/* The signed GET of a receipt is not replayable either, even after the node restarted: its
 * nonce is kept on disk as a POST's is, for as long as the signature could be accepted. The
 * node is named by a fixed public URL, so that a request signed before the restart (when it
 * listened on another port) is still addressed to it after. */
static void
test_receipt_replay_after_restart (void)
{
  const char * const args[] = { "--public-url", PUBLIC_URL, NULL };
  TestNode node = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbClient) client = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(GBytes) update = NULL;
  g_autoptr(GBytes) join = g_bytes_new_static ("{}", 2);
  g_autofree char *hash = NULL;
  g_autofree char *path = NULL;
  g_autofree char *problem = NULL;
  g_auto(SignedRequest) joining = { 0 };
  g_auto(SignedRequest) upload = { 0 };
  g_auto(SignedRequest) first = { 0 };
  g_auto(SignedRequest) second = { 0 };
  guint8 pk[crypto_sign_PUBLICKEYBYTES];
  guint8 *sk = sodium_malloc (crypto_sign_SECRETKEYBYTES);

  test_node_init (&node, task_json);
  test_node_start_args (&node, args);
  crypto_sign_keypair (pk, sk);
  g_assert_cmpuint (send_signed (&node, sk, "POST", "/v1/participants", join, "application/json",
                                 &joining, &problem), ==, 200);

  client = trb_client_new (node.url);
  test_wait_round_asks (client, "fashion-mnist", 1);
  round = test_get_json (client, "/v1/tasks/fashion-mnist/round", &error);
  g_assert_no_error (error);
  update = make_update (client, json_object_get_string_member (round, "model"));
  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, update);
  g_assert_cmpuint (send_signed (&node, sk, "POST", "/v1/tasks/fashion-mnist/rounds/1/updates",
                                 update, "application/vnd.safetensors", &upload, &problem), ==,
                    200);
  g_assert_null (problem);

  /* Answered once; the same request again is a replay. */
  path = g_strconcat ("/v1/tasks/fashion-mnist/rounds/1/updates/", hash, NULL);
  g_assert_cmpuint (send_signed (&node, sk, "GET", path, NULL, NULL, &first, &problem), ==, 200);
  g_assert_cmpuint (send_signed (&node, sk, "GET", path, NULL, NULL, &first, &problem), ==, 409);
  g_assert_cmpstr (problem, ==, "replayed");
  g_clear_pointer (&problem, g_free);

  /* Another one answered, then the node stops at once and starts again: still a replay. */
  g_assert_cmpuint (send_signed (&node, sk, "GET", path, NULL, NULL, &second, &problem), ==, 200);
  test_node_kill (&node);
  test_node_start_args (&node, args);
  g_assert_cmpuint (send_signed (&node, sk, "GET", path, NULL, NULL, &second, &problem), ==, 409);
  g_assert_cmpstr (problem, ==, "replayed");
  g_clear_pointer (&problem, g_free);
  /* So are the upload and the join signed before the restart. */
  g_assert_cmpuint (send_signed (&node, sk, "POST", "/v1/tasks/fashion-mnist/rounds/1/updates",
                                 update, "application/vnd.safetensors", &upload, &problem), ==,
                    409);
  g_assert_cmpstr (problem, ==, "replayed");
  g_clear_pointer (&problem, g_free);

  /* A request signed afresh is answered. */
  signed_request_clear (&second);
  g_assert_cmpuint (send_signed (&node, sk, "GET", path, NULL, NULL, &second, &problem), ==, 200);

  sodium_free (sk);
  test_node_clear (&node);
}

static char **
invite (TestNode *node,
        int       count)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *binary = g_build_filename (g_getenv ("TRB_BUILD_ROOT"), "src", "node",
                                              "tributary-node", NULL);
  g_autofree char *count_text = g_strdup_printf ("%d", count);
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  char **codes;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, binary, "invite",
                              "--data", node->data_dir, "--count", count_text, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));
  codes = g_strsplit (g_strstrip (out), "\n", -1);
  g_assert_cmpuint (g_strv_length (codes), ==, count);
  return codes;
}

/* Runs `tributary-node invite --data DIR` with @args; returns its exit status and output. */
static int
run_invite (TestNode           *node,
            const char * const *args,
            char              **out,
            char              **err)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *binary = g_build_filename (g_getenv ("TRB_BUILD_ROOT"), "src", "node",
                                              "tributary-node", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;

  g_ptr_array_add (argv, binary);
  g_ptr_array_add (argv, (gpointer) "invite");
  g_ptr_array_add (argv, (gpointer) "--data");
  g_ptr_array_add (argv, node->data_dir);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error));
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (process);
}

/* The line of `invite --list` that shows @code. */
static char *
listed (TestNode   *node,
        const char *code)
{
  const char * const args[] = { "--list", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  char *found = NULL;

  g_assert_cmpint (run_invite (node, args, &out, &err), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], code))
      {
        g_assert_null (found);
        found = g_strdup (lines[i]);
      }
  g_assert_nonnull (found);
  return found;
}

/* The operator takes codes back while the node serves: an unused code revoked is refused from
 * the next join on, with its own problem and plain words; a code revoked after it was used
 * leaves its wallet a member; `--list` shows each code's state; revoking twice is harmless. */
static void
test_invitation_revoked (void)
{
  TestNode node = { 0 };
  TestParticipant *a, *b;
  g_auto(GStrv) codes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) entries = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *line = NULL;
  g_autofree char *forged = NULL;
  const char *address_a;

  test_node_init (&node, task_json);
  test_node_start (&node, "--join-policy=invitation");
  codes = invite (&node, 3);
  a = test_participant_new (&node, 0, 2, 0);
  b = test_participant_new (&node, 1, 2, 0);
  address_a = trb_client_get_address (a->client);

  line = listed (&node, codes[1]);
  g_assert_nonnull (strstr (line, " unused"));
  g_clear_pointer (&line, g_free);

  g_assert_true (trb_contributor_connect (a->contributor, &error));
  g_assert_no_error (error);
  trb_contributor_set_invitation (a->contributor, codes[0]);
  g_assert_true (trb_contributor_join (a->contributor, &error));
  g_assert_no_error (error);

  /* An unused code revoked while the node runs: refused at once, as revoked. */
  {
    const char * const args[] = { "--revoke", codes[1], NULL };

    g_assert_cmpint (run_invite (&node, args, &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, "is revoked"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    /* Again: nothing changes, and it says so. */
    g_assert_cmpint (run_invite (&node, args, &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, "already revoked"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  g_assert_true (trb_contributor_connect (b->contributor, &error));
  g_assert_no_error (error);
  trb_contributor_set_invitation (b->contributor, codes[1]);
  g_assert_false (trb_contributor_join (b->contributor, &error));
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED);
  g_assert_cmpstr (trb_client_error_get_problem (error), ==, "invitation-revoked");
  g_assert_nonnull (strstr (error->message, "taken back"));
  g_clear_error (&error);

  /* The code a used, revoked: a stays a member and may join again; the message says so. */
  {
    const char * const args[] = { "--revoke", codes[0], NULL };

    g_assert_cmpint (run_invite (&node, args, &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, address_a));
    g_assert_nonnull (strstr (out, "stays a member"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  g_assert_true (trb_contributor_join (a->contributor, &error));
  g_assert_no_error (error);
  entries = test_get_json (a->client, "/v1/ledger/entries?start=0&end=1000", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_joined (entries), ==, 1);  /* a's participant_joined */

  /* A code this network did not make cannot be revoked. */
  forged = g_strdup (codes[2]);
  forged[0] = forged[0] == 'A' ? 'B' : 'A';
  {
    const char * const args[] = { "--revoke", forged, NULL };

    g_assert_cmpint (run_invite (&node, args, &out, &err), ==, 1);
    g_assert_nonnull (strstr (err, "not an invitation code of this network"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* The list, after a restart too: who used which, which are revoked, which are free. */
  test_node_kill (&node);
  test_node_start (&node, NULL);
  line = listed (&node, codes[0]);
  g_assert_nonnull (strstr (line, address_a));
  g_assert_nonnull (strstr (line, "revoked on"));
  g_clear_pointer (&line, g_free);
  line = listed (&node, codes[1]);
  g_assert_nonnull (strstr (line, "revoked on"));
  g_assert_nonnull (strstr (line, "unused"));
  g_assert_null (strstr (line, "used by"));
  g_clear_pointer (&line, g_free);
  line = listed (&node, codes[2]);
  g_assert_null (strstr (line, "revoked"));
  g_assert_nonnull (strstr (line, " unused"));
  g_clear_pointer (&line, g_free);
  /* And the revoked code is still refused; the free one admits b. */
  test_participant_reconnect (b, &node);
  g_assert_true (trb_contributor_connect (b->contributor, &error));
  g_assert_no_error (error);
  trb_contributor_set_invitation (b->contributor, codes[1]);
  g_assert_false (trb_contributor_join (b->contributor, &error));
  g_assert_cmpstr (trb_client_error_get_problem (error), ==, "invitation-revoked");
  g_clear_error (&error);
  trb_contributor_set_invitation (b->contributor, codes[2]);
  g_assert_true (trb_contributor_join (b->contributor, &error));
  g_assert_no_error (error);

  test_participant_free (a);
  test_participant_free (b);
  test_node_clear (&node);
}

static void
assert_policy (TestNode   *node,
               const char *policy,
               gint64      bits)
{
  g_autoptr(TrbClient) client = trb_client_new (node->url);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) network = test_get_json (client, "/v1/network", &error);
  JsonObject *join;

  g_assert_no_error (error);
  join = json_object_get_object_member (network, "join");
  g_assert_nonnull (join);
  g_assert_cmpstr (json_object_get_string_member (join, "policy"), ==, policy);
  g_assert_cmpint (json_object_get_int_member_with_default (join, "bits", 0), ==, bits);
}

static void
test_open_by_default (void)
{
  TestNode node = { 0 };
  TestParticipant *a;
  g_autoptr(GError) error = NULL;

  test_node_init (&node, task_json);
  test_node_start (&node, NULL);
  assert_policy (&node, "open", 0);
  a = test_participant_new (&node, 0, 1, 0);
  connect_and_join (a);
  g_assert_cmpstr (trb_contributor_get_join_policy (a->contributor, NULL), ==, "open");
  test_participant_free (a);
  test_node_clear (&node);
}

static void
test_invitation (void)
{
  TestNode node = { 0 };
  TestParticipant *a, *b, *c;
  g_auto(GStrv) codes = NULL;
  g_autofree char *forged = NULL;
  g_autofree char *typed = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) entries = NULL;

  test_node_init (&node, task_json);
  test_node_start (&node, "--join-policy=invitation");
  assert_policy (&node, "invitation", 0);
  codes = invite (&node, 2);
  g_assert_cmpuint (strlen (codes[0]), ==, 39);
  g_assert_cmpstr (codes[0], !=, codes[1]);

  a = test_participant_new (&node, 0, 3, 0);
  b = test_participant_new (&node, 1, 3, 0);
  c = test_participant_new (&node, 2, 3, 0);
  g_assert_true (trb_contributor_connect (a->contributor, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (trb_contributor_get_join_policy (a->contributor, NULL), ==, "invitation");

  /* No code, a code this node did not make: refused. */
  assert_join_refused (a, "invitation-required");
  forged = g_strdup (codes[0]);
  forged[0] = forged[0] == 'A' ? 'B' : 'A';
  trb_contributor_set_invitation (a->contributor, forged);
  assert_join_refused (a, "invitation-refused");

  /* A valid code: joined; the same wallet again with it: still fine. */
  trb_contributor_set_invitation (a->contributor, codes[0]);
  g_assert_true (trb_contributor_join (a->contributor, &error));
  g_assert_no_error (error);
  g_assert_true (trb_contributor_join (a->contributor, &error));
  g_assert_no_error (error);

  /* Another wallet with the same code: refused, in plain words. */
  g_assert_true (trb_contributor_connect (b->contributor, &error));
  g_assert_no_error (error);
  trb_contributor_set_invitation (b->contributor, codes[0]);
  g_assert_false (trb_contributor_join (b->contributor, &error));
  g_assert_cmpstr (trb_client_error_get_problem (error), ==, "invitation-used");
  g_assert_nonnull (strstr (error->message, "already used"));
  g_clear_error (&error);

  /* The second code as a person may type it: lower case, no dashes. */
  typed = g_ascii_strdown (codes[1], -1);
  for (char *p = typed, *q = typed;; p++)
    {
      if (*p != '-')
        *q++ = *p;
      if (*p == '\0')
        break;
    }
  g_assert_true (trb_contributor_connect (c->contributor, &error));
  g_assert_no_error (error);
  trb_contributor_set_invitation (c->contributor, typed);
  g_assert_true (trb_contributor_join (c->contributor, &error));
  g_assert_no_error (error);

  /* Two joined (a and c): the ledger holds their two participant_joined entries only. */
  entries = test_get_json (a->client, "/v1/ledger/entries?start=0&end=1000", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_joined (entries), ==, 2);  /* two participant_joined */

  /* The policy stays after a restart. */
  test_node_kill (&node);
  test_node_start (&node, NULL);
  assert_policy (&node, "invitation", 0);

  test_participant_free (a);
  test_participant_free (b);
  test_participant_free (c);
  test_node_clear (&node);
}

static JsonObject *
challenge_for (TrbClient *client)
{
  g_autoptr(GAsyncResult) result = NULL;

  trb_client_get_join_challenge_async (client, NULL, store_result_cb, &result);
  return trb_client_json_finish (client, wait_for (&result), NULL);
}

static JsonObject *
join_with (TrbClient   *client,
           const char  *challenge,
           const char  *nonce,
           GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  trb_client_join_with_async (client, NULL, NULL, challenge, nonce, NULL, store_result_cb,
                              &result);
  return trb_client_json_finish (client, wait_for (&result), error);
}

static void
test_proof_of_work (void)
{
  TestNode node = { 0 };
  TestParticipant *a, *b;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) challenge = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *wrong = NULL;
  g_autofree char *other = NULL;
  const char *text;
  guint bits = 0;
  gint64 expires;

  test_node_init (&node, task_json);
  test_node_start (&node, "--join-policy=proof-of-work");
  assert_policy (&node, "proof-of-work", TRB_PROOF_OF_WORK_DEFAULT_BITS);
  /* The number of bits is changed alone, the policy kept. */
  test_node_kill (&node);
  test_node_start (&node, "--proof-of-work-bits=12");
  assert_policy (&node, "proof-of-work", 12);

  a = test_participant_new (&node, 0, 2, 0);
  b = test_participant_new (&node, 1, 2, 0);

  /* No proof: refused. */
  g_assert_null (join_with (a->client, NULL, NULL, &error));
  g_assert_cmpstr (trb_client_error_get_problem (error), ==, "proof-of-work-required");
  g_clear_error (&error);

  challenge = challenge_for (a->client);
  g_assert_nonnull (challenge);
  text = json_object_get_string_member (challenge, "challenge");
  g_assert_cmpint (json_object_get_int_member (challenge, "bits"), ==, 12);
  expires = json_object_get_int_member (challenge, "expires");
  g_assert_cmpint (expires, >, g_get_real_time () / G_USEC_PER_SEC);
  g_assert_cmpint (expires, <=, g_get_real_time () / G_USEC_PER_SEC + 600);

  /* A nonce that does not solve it: refused. */
  for (guint n = 0; wrong == NULL; n++)
    {
      g_autofree char *nonce = g_strdup_printf ("%u", n);

      if (!trb_proof_of_work_check (text, trb_client_get_address (a->client), nonce, 12))
        wrong = g_steal_pointer (&nonce);
    }
  g_assert_null (join_with (a->client, text, wrong, &error));
  g_assert_cmpstr (trb_client_error_get_problem (error), ==, "bad-proof-of-work");
  g_clear_error (&error);

  /* Solved, but a's challenge used by b: refused (the challenge is bound to the address). */
  other = trb_proof_of_work_solve (text, trb_client_get_address (b->client), 12, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (join_with (b->client, text, other, &error));
  g_assert_cmpstr (trb_client_error_get_problem (error), ==, "bad-proof-of-work");
  g_clear_error (&error);

  /* A forged challenge (its tag changed): refused. */
  {
    g_autofree char *forged = g_strdup (text);
    g_autofree char *nonce = NULL;

    forged[strlen (forged) - 2] = forged[strlen (forged) - 2] == 'A' ? 'B' : 'A';
    nonce = trb_proof_of_work_solve (forged, trb_client_get_address (a->client), 12, NULL,
                                     &error);
    g_assert_no_error (error);
    g_assert_null (join_with (a->client, forged, nonce, &error));
    g_assert_cmpstr (trb_client_error_get_problem (error), ==, "bad-proof-of-work");
    g_clear_error (&error);
  }

  /* The contributor solves it by itself and joins. */
  g_assert_true (trb_contributor_connect (a->contributor, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (trb_contributor_get_join_policy (a->contributor, &bits), ==,
                   "proof-of-work");
  g_assert_cmpuint (bits, ==, 12);
  g_assert_true (trb_contributor_join (a->contributor, &error));
  g_assert_no_error (error);
  answer = test_get_json (a->client, "/v1/ledger/entries?start=0&end=1000", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_joined (answer), ==, 1);  /* participant_joined */

  test_participant_free (a);
  test_participant_free (b);
  test_node_clear (&node);
}

int
main (int    argc,
      char **argv)
{
  /* Loopback only: no proxy lookup (which would need the desktop's settings schemas). */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  /* Stores and nodes of their own: a store left by an earlier run could hold another
   * node's key for the same network name, which is rightly taken for a changed key. */
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  if (sodium_init () < 0)
    return 1;
  g_test_add_func ("/join-policy/receipt-recovered", test_receipt_recovered);
  g_test_add_func ("/join-policy/app-receipt-recovered", test_app_receipt_recovered);
  g_test_add_func ("/join-policy/receipt-replay-after-restart",
                   test_receipt_replay_after_restart);
  g_test_add_func ("/join-policy/open-by-default", test_open_by_default);
  g_test_add_func ("/join-policy/invitation", test_invitation);
  g_test_add_func ("/join-policy/invitation-revoked", test_invitation_revoked);
  g_test_add_func ("/join-policy/proof-of-work", test_proof_of_work);
  g_test_add_func ("/join-policy/store-unreadable", test_store_unreadable);
  return g_test_run ();
}
