/* test-participation.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The participation loop against a real tributary-node on 127.0.0.1: a round contributed, and
 * a participant killed in each state and started again, with nothing lost and nothing sent
 * twice.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "participant/trb-catalogue.h"
#include "participant/trb-device-queue.h"
#include "participant/trb-history.h"
#include "participant/trb-invite.h"
#include "net/trb-protocol.h"
#include "participant/trb-participation.h"
#include "trb-test-network.h"
#include "store/trb-store-sql.h"

#define N_SAMPLES 1500

static const char task_template[] =
  "{\"id\": \"clothing\", \"title\": \"Clothing\","
  " \"model\": {\"format\": \"tributary-model\", \"version\": 1,"
  " \"input\": {\"shape\": [784], \"dtype\": \"u8\"}, \"layers\": [{\"type\": \"dense\","
  " \"units\": 32}, {\"type\": \"relu\"}, {\"type\": \"dense\", \"units\": 10}],"
  " \"loss\": \"softmax_cross_entropy\"},"
  " \"data_schema\": {\"kind\": \"image-classification\", \"width\": 28, \"height\": 28,"
  " \"channels\": 1, \"classes\": 10},"
  " \"hyper_parameters\": {\"local_epochs\": 3, \"batch_size\": 16, \"learning_rate\": 0.1},"
  " \"round_policy\": {\"duration_seconds\": 300, \"min_updates\": 1, \"max_updates\": 1},"
  " \"reward_policy\": {\"points_per_sample_epoch\": 0.01, \"cap_per_round\": 5},"
  " \"privacy_policy\": {\"clip_norm\": 0, \"noise_multiplier\": 0},"
  " \"initial_weights\": {\"seed\": 7},"
  " \"evaluation\": {\"path\": \"%s\", \"max_samples\": 200}}";

typedef struct
{
  TestNode  node;
  guint8   *secret_key;
  char     *address;
  char     *store_path;
  char     *ledger_key;
  char     *origin;
} Fixture;

static TrbClient *
make_client (const char   *url,
             const guint8 *seed)
{
  TrbClient *client = trb_client_new (url);
  g_autoptr(TrbKeypair) keypair = trb_keypair_new_from_seed (seed);

  trb_client_set_keypair (client, keypair);
  trb_client_set_retry_policy (client, 3, 50);
  return client;
}

static TrbParticipation *
make_participation (const char   *url,
                    const guint8 *secret_key,
                    const char   *store_path,
                    const char   *origin,
                    const char   *ledger_key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (store_path, &error);
  g_autoptr(TrbClient) client = NULL;
  g_autofree char *images = test_dataset_path ("train-images-idx3-ubyte.gz");
  TrbParticipation *p;

  g_assert_no_error (error);
  g_assert_true (trb_participation_migrate (store, &error));
  g_assert_no_error (error);
  client = make_client (url, secret_key);
  p = trb_participation_new (store, client, origin, ledger_key, "clothing", images);
  {
    g_autoptr(TrbKeypair) keypair = trb_keypair_new_from_seed (secret_key);

    /* The ledger is checked after each round, and the checkpoint cosigned. */
    trb_participation_set_verification (p, keypair, TRUE);
  }
  trb_participation_set_poll_interval (p, 100);
  trb_participation_set_retry_base (p, 1);
  trb_participation_set_max_samples (p, N_SAMPLES);
  return p;
}

static void
fixture_setup_task (Fixture    *f,
                    const char *task)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbClient) client = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  static guint counter;

  /* The subprocess of test_resume() uses its parent's node and store. */
  if (g_test_subprocess ())
    return;

  test_node_init (&f->node, task);
  test_node_start (&f->node, NULL);

  /* The wallet's seed, as the keyring would give it. */
  f->secret_key = sodium_malloc (32);
  randombytes_buf (f->secret_key, 32);
  f->store_path = g_strdup_printf ("%s/participant-%u.db", g_get_user_data_dir (), counter++);
  store = trb_store_new_for_path (f->store_path, &error);
  g_assert_no_error (error);
  g_assert_true (trb_participation_migrate (store, &error));

  /* Join as the app does: pin the ledger key, register the address. */
  client = make_client (f->node.url, f->secret_key);
  contributor = trb_contributor_new (client, store);
  g_assert_true (trb_contributor_connect (contributor, &error));
  g_assert_no_error (error);
  g_assert_true (trb_contributor_join (contributor, &error));
  g_assert_no_error (error);
  f->origin = g_strdup (trb_contributor_get_origin (contributor));
  f->ledger_key = g_strdup (trb_contributor_get_ledger_key (contributor));
  f->address = g_strdup (trb_client_get_address (client));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *holdout = test_dataset_path ("t10k-images-idx3-ubyte.gz");
  g_autofree char *task = g_strdup_printf (task_template, holdout);

  fixture_setup_task (f, task);
}

/* A network whose rounds need two updates, as the demo network's do, with one participant. */
static void
fixture_setup_two_needed (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *holdout = test_dataset_path ("t10k-images-idx3-ubyte.gz");
  g_autofree char *task = g_strdup_printf (task_template, holdout);
  g_autoptr(GString) two = g_string_new (task);

  g_assert_cmpuint (g_string_replace (two, "\"min_updates\": 1, \"max_updates\": 1",
                                      "\"min_updates\": 2, \"max_updates\": 10", 1), ==, 1);
  fixture_setup_task (f, two->str);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (g_test_subprocess ())
    return;
  test_node_clear (&f->node);
  sodium_free (f->secret_key);
  g_free (f->address);
  g_free (f->store_path);
  g_free (f->ledger_key);
  g_free (f->origin);
}

/* The update_accepted entries of @address in the node's ledger, by round. */
static guint
count_updates (Fixture *f,
               gint64   round)
{
  g_autoptr(TrbClient) client = make_client (f->node.url, f->secret_key);
  guint count = 0;

  for (guint64 start = 0;; start++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = g_strdup_printf ("/v1/ledger/entries?start=%" G_GUINT64_FORMAT
                                               "&end=%" G_GUINT64_FORMAT, start, start + 1);
      g_autoptr(JsonObject) page = test_get_json (client, path, &error);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *entry;
      JsonArray *entries;

      if (page == NULL)
        break;
      entries = json_object_get_array_member (page, "entries");
      if (entries == NULL || json_array_get_length (entries) == 0)
        break;
      g_assert_true (json_parser_load_from_data (parser,
                                                 json_array_get_string_element (entries, 0), -1,
                                                 NULL));
      entry = json_node_get_object (json_parser_get_root (parser));
      if (g_strcmp0 (json_object_get_string_member_with_default (entry, "type", ""),
                     "update_accepted") == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (entry, "participant", ""),
                     f->address) == 0 &&
          json_object_get_int_member_with_default (entry, "round", 0) == round)
        count++;
    }
  return count;
}

/* Receipts whose ledger entry was verified included in a checkpoint. */
static int
count_verified_receipts (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (f->store_path, &error);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_prepare_v2 (trb_store_get_db (store),
                                       "SELECT count(*) FROM net_receipts WHERE verified_size "
                                       "IS NOT NULL", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int (stmt, 0);
}

static void
run_until_contributed (TrbParticipation *p,
                       gint64            round)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  trb_participation_start (p);
  while (trb_participation_get_last_contributed (p) < round)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_assert_cmpint (trb_participation_get_state (p), !=, TRB_PARTICIPATION_STATE_STOPPED);
      g_main_context_iteration (NULL, TRUE);
    }
  trb_participation_stop (p);
}

static void
record_event_cb (TrbParticipation *p,
                 const char       *kind,
                 const char       *message,
                 GPtrArray        *events)
{
  g_ptr_array_add (events, g_strdup_printf ("%s: %s", kind, message));
}

/* ---- a node that refuses every update ------------------------------------------------------- */

/* Stands in front of the real node: every upload is answered with one problem type, everything
 * else is passed on. With @advance, each refusal opens a new round in what `GET …/round`
 * says, so that the loop has a next round to go on to. */
typedef struct
{
  SoupServer  *server;
  SoupSession *session;
  char        *upstream;
  char        *url;
  const char  *problem;
  guint        status;
  gboolean     advance;
  guint        uploads;
} RefusingNode;

static void
copy_header (const char *name,
             const char *value,
             gpointer    user_data)
{
  if (g_ascii_strcasecmp (name, "Host") != 0 && g_ascii_strcasecmp (name, "Connection") != 0 &&
      g_ascii_strcasecmp (name, "Content-Length") != 0 &&
      g_ascii_strcasecmp (name, "Transfer-Encoding") != 0)
    soup_message_headers_append (user_data, name, value);
}

/* The round document with its number moved on by the refusals so far. */
static GBytes *
advance_round (GBytes *body,
               guint   by)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  JsonObject *round;
  gsize length;
  char *text;

  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                             g_bytes_get_size (body), NULL));
  round = json_node_get_object (json_parser_get_root (parser));
  json_object_set_int_member (round, "round", json_object_get_int_member (round, "round") + by);
  json_generator_set_root (generator, json_parser_get_root (parser));
  text = json_generator_to_data (generator, &length);
  return g_bytes_new_take (text, length);
}

static void
refusing_cb (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  RefusingNode *r = user_data;
  const char *method = soup_server_message_get_method (msg);
  const char *query_text = g_uri_get_query (soup_server_message_get_uri (msg));
  g_autoptr(SoupMessage) forward = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *target = NULL;
  const char *content_type;

  if (g_str_equal (method, "POST") && g_str_has_suffix (path, "/updates"))
    {
      g_autofree char *type = trb_problem_uri (r->problem);
      char *problem = g_strdup_printf ("{\"type\": \"%s\", \"title\": \"Refused\", "
                                       "\"status\": %u}", type, r->status);

      r->uploads++;
      soup_server_message_set_status (msg, r->status, NULL);
      soup_server_message_set_response (msg, "application/problem+json", SOUP_MEMORY_TAKE,
                                        problem, strlen (problem));
      return;
    }
  g_assert_cmpstr (method, ==, "GET");
  target = g_strconcat (r->upstream, path, query_text != NULL ? "?" : "", query_text, NULL);
  forward = soup_message_new (method, target);
  soup_message_headers_foreach (soup_server_message_get_request_headers (msg), copy_header,
                                soup_message_get_request_headers (forward));
  body = soup_session_send_and_read (r->session, forward, NULL, &error);
  g_assert_no_error (error);
  if (r->advance && g_str_has_suffix (path, "/round") &&
      soup_message_get_status (forward) == SOUP_STATUS_OK)
    {
      GBytes *advanced = advance_round (body, r->uploads);

      g_bytes_unref (body);
      body = advanced;
    }
  soup_message_headers_foreach (soup_message_get_response_headers (forward), copy_header,
                                soup_server_message_get_response_headers (msg));
  soup_server_message_set_status (msg, soup_message_get_status (forward), NULL);
  content_type = soup_message_headers_get_one (soup_message_get_response_headers (forward),
                                               "Content-Type");
  soup_server_message_set_response (msg, content_type != NULL ? content_type
                                                              : "application/octet-stream",
                                    SOUP_MEMORY_COPY, g_bytes_get_data (body, NULL),
                                    g_bytes_get_size (body));
}

static void
refusing_node_start (RefusingNode *r,
                     const char   *upstream,
                     const char   *problem,
                     guint         status,
                     gboolean      advance)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  memset (r, 0, sizeof *r);
  r->server = soup_server_new (NULL, NULL);
  r->session = soup_session_new ();
  r->upstream = g_strdup (upstream);
  r->problem = problem;
  r->status = status;
  r->advance = advance;
  soup_server_add_handler (r->server, NULL, refusing_cb, r, NULL);
  g_assert_true (soup_server_listen_local (r->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (r->server);
  r->url = g_uri_to_string_partial (uris->data, G_URI_HIDE_PASSWORD);
  if (g_str_has_suffix (r->url, "/"))
    r->url[strlen (r->url) - 1] = '\0';
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
refusing_node_clear (RefusingNode *r)
{
  soup_server_disconnect (r->server);
  g_clear_object (&r->server);
  g_clear_object (&r->session);
  g_clear_pointer (&r->upstream, g_free);
  g_clear_pointer (&r->url, g_free);
}

static guint
count_events (GPtrArray  *events,
              const char *prefix)
{
  guint n = 0;

  for (guint i = 0; i < events->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (events, i), prefix))
      n++;
  return n;
}

/* A refusal that does not go away (`wrong-shape`: the update does not fit the model) stops the
 * loop after TRB_PARTICIPATION_MAX_REFUSALS tries and says why, rather than being sent again
 * every round without a word. */
static void
test_refused_for_good (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TrbParticipation) p = NULL;
  g_autofree char *status = NULL;
  gint64 deadline = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;
  const char *last;
  RefusingNode r;

  refusing_node_start (&r, f->node.url, TRB_PROBLEM_WRONG_SHAPE,
                       SOUP_STATUS_UNPROCESSABLE_ENTITY, TRUE);
  p = make_participation (r.url, f->secret_key, f->store_path, f->origin, f->ledger_key);
  g_signal_connect (p, "event", G_CALLBACK (record_event_cb), events);
  trb_participation_start (p);
  while (trb_participation_get_state (p) != TRB_PARTICIPATION_STATE_STOPPED)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (r.uploads, ==, TRB_PARTICIPATION_MAX_REFUSALS);
  g_assert_cmpuint (count_events (events, "round-missed: "), ==, 0);

  /* It says why, on the network's page (its status) and in the event the app notifies. */
  g_assert_nonnull (strstr (trb_participation_get_problem (p), "does not fit the network’s model"));
  status = trb_participation_dup_status (p);
  g_assert_cmpstr (status, ==, trb_participation_get_problem (p));
  g_assert_true (g_str_has_prefix (status, "Stopped after the network refused 3 times in a row."));
  last = g_ptr_array_index (events, events->len - 1);
  g_assert_true (g_str_has_prefix (last, "problem: Stopped after the network refused"));

  /* And it stays stopped: nothing more is sent. */
  deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  g_assert_cmpuint (r.uploads, ==, TRB_PARTICIPATION_MAX_REFUSALS);
  g_assert_cmpint (trb_participation_get_state (p), ==, TRB_PARTICIPATION_STATE_STOPPED);

  g_clear_object (&p);
  refusing_node_clear (&r);
}

/* `late` is a round missed, however often: the loop goes on to the next round. */
static void
test_late_goes_on (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TrbParticipation) p = NULL;
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  RefusingNode r;

  refusing_node_start (&r, f->node.url, TRB_PROBLEM_LATE, SOUP_STATUS_CONFLICT, TRUE);
  p = make_participation (r.url, f->secret_key, f->store_path, f->origin, f->ledger_key);
  g_signal_connect (p, "event", G_CALLBACK (record_event_cb), events);
  trb_participation_start (p);
  while (count_events (events, "round-missed: ") < TRB_PARTICIPATION_MAX_REFUSALS + 1)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_assert_cmpint (trb_participation_get_state (p), !=, TRB_PARTICIPATION_STATE_STOPPED);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (r.uploads, ==, TRB_PARTICIPATION_MAX_REFUSALS + 1);
  g_assert_cmpuint (count_events (events, "problem: "), ==, 0);
  g_assert_null (trb_participation_get_problem (p));
  g_assert_cmpint (trb_participation_get_state (p), !=, TRB_PARTICIPATION_STATE_STOPPED);
  g_assert_cmpint (trb_participation_get_state (p), !=, TRB_PARTICIPATION_STATE_PROBLEM);

  trb_participation_stop (p);
  g_clear_object (&p);
  refusing_node_clear (&r);
}

static void
test_contribute (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TrbParticipation) p = make_participation (f->node.url, f->secret_key, f->store_path,
                                                      f->origin, f->ledger_key);
  g_autoptr(GPtrArray) states = g_ptr_array_new ();
  g_autofree char *status = NULL;
  gboolean saw_progress = FALSE;

  g_signal_connect_swapped (p, "notify::state", G_CALLBACK (g_ptr_array_add), states);
  g_signal_connect (p, "event", G_CALLBACK (record_event_cb), events);
  trb_participation_start (p);
  while (trb_participation_get_last_contributed (p) < 1)
    {
      if (trb_participation_get_state (p) == TRB_PARTICIPATION_STATE_TRAINING &&
          trb_participation_get_progress (p) > 0 && trb_participation_get_progress (p) < 1)
        saw_progress = TRUE;
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_true (saw_progress);
  g_assert_cmpint (trb_participation_get_state (p), ==, TRB_PARTICIPATION_STATE_CONTRIBUTED);
  status = trb_participation_dup_status (p);
  g_assert_cmpstr (status, ==, "Contributed");
  g_assert_cmpuint (trb_participation_get_n_uploads (p), ==, 1);
  g_assert_cmpuint (count_updates (f, 1), ==, 1);
  g_assert_cmpint (count_verified_receipts (f), ==, 1);

  /* Round 1 closed with our update alone; the loop goes on to round 2. */
  run_until_contributed (p, 2);
  g_assert_cmpuint (count_updates (f, 2), ==, 1);
  g_assert_cmpint (count_verified_receipts (f), ==, 2);

  /* Each round's reward is in the ledger once the round closed: 1500 samples × 3 epochs ×
   * 0.01 points, capped at 5 points a round. Round 1's is seen by round 2's check at the
   * latest; round 2's may be seen with it, when round 2 closed quickly enough. */
  {
    static const char * const accepted[] = {
      "reward: Reward credited: 5 points, up to round 1",
      "reward: Reward credited: 5 points, up to round 2",
      "reward: Reward credited: 10 points, up to round 2",
      NULL
    };
    guint rewarded = 0;

    for (guint i = 0; i < events->len; i++)
      if (g_str_has_prefix (g_ptr_array_index (events, i), "reward: "))
        {
          const char *text = g_ptr_array_index (events, i);

          g_test_message ("%s", text);
          g_assert_true (g_strv_contains (accepted, text));
          rewarded++;
        }
    g_assert_cmpuint (rewarded, >=, 1);
  }
  g_assert_cmpuint (trb_participation_get_n_uploads (p), ==, 2);
}

/* The samples our update of @round was trained on, as the ledger says; 0 if none. */
static gint64
update_samples (Fixture *f,
                gint64   round)
{
  g_autoptr(TrbClient) client = make_client (f->node.url, f->secret_key);

  for (guint64 start = 0;; start++)
    {
      g_autofree char *path = g_strdup_printf ("/v1/ledger/entries?start=%" G_GUINT64_FORMAT
                                               "&end=%" G_GUINT64_FORMAT, start, start + 1);
      g_autoptr(JsonObject) page = test_get_json (client, path, NULL);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *entry;
      JsonArray *entries;

      if (page == NULL)
        return 0;
      entries = json_object_get_array_member (page, "entries");
      if (entries == NULL || json_array_get_length (entries) == 0)
        return 0;
      g_assert_true (json_parser_load_from_data (parser,
                                                 json_array_get_string_element (entries, 0), -1,
                                                 NULL));
      entry = json_node_get_object (json_parser_get_root (parser));
      if (g_strcmp0 (json_object_get_string_member_with_default (entry, "type", ""),
                     "update_accepted") == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (entry, "participant", ""),
                     f->address) == 0 &&
          json_object_get_int_member_with_default (entry, "round", 0) == round)
        return json_object_get_int_member_with_default (entry, "samples", 0);
    }
}

/* Data changed on a joined network's page: the round after the change trains on it (the data
 * read for the round before is not kept for it). */
static void
test_change_data (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(TrbParticipation) p = make_participation (f->node.url, f->secret_key, f->store_path,
                                                      f->origin, f->ledger_key);
  g_autofree char *demo = g_build_filename (g_getenv ("TRB_SOURCE_ROOT"), "data", "demo",
                                            "demo-test-images-idx3-ubyte.gz", NULL);

  run_until_contributed (p, 1);
  g_assert_cmpint (update_samples (f, 1), ==, N_SAMPLES);

  /* 500 pictures, fewer than the cap of N_SAMPLES. */
  trb_participation_set_dataset_path (p, demo);
  g_assert_cmpstr (trb_participation_get_dataset_path (p), ==, demo);
  run_until_contributed (p, 2);
  g_assert_cmpint (update_samples (f, 2), ==, 500);
}

/* Alone in a network whose rounds need two updates, the loop says so with the node's own
 * figures: one update in, two needed, and the round's deadline. */
static void
test_waiting_for_updates (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(TrbParticipation) p = make_participation (f->node.url, f->secret_key, f->store_path,
                                                      f->origin, f->ledger_key);
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  gint64 now;
  TrbWaiting waiting;

  trb_participation_start (p);
  for (;;)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_assert_cmpint (trb_participation_get_state (p), !=, TRB_PARTICIPATION_STATE_STOPPED);
      trb_participation_get_waiting (p, &waiting);
      if (trb_participation_get_last_contributed (p) == 1 &&
          waiting.kind == TRB_WAITING_ROUND_UPDATES)
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  now = g_get_real_time () / G_USEC_PER_SEC;
  g_assert_cmpint (waiting.updates, ==, 1);
  g_assert_cmpint (waiting.min_updates, ==, 2);
  g_assert_cmpint (waiting.max_updates, ==, 10);
  g_assert_cmpint (waiting.until, >, now);
  g_assert_cmpint (waiting.until, <=, now + 300);
  g_assert_true (waiting.later_rounds);
  g_assert_cmpint (trb_participation_get_state (p), ==, TRB_PARTICIPATION_STATE_CONTRIBUTED);
  trb_participation_stop (p);

  /* Stopped, it waits for nothing. */
  trb_participation_get_waiting (p, &waiting);
  g_assert_cmpint (waiting.kind, ==, TRB_WAITING_NONE);
}

/* ---- a network caught cheating --------------------------------------------------------------- */

static void
exec_sql (const char *store_path,
          const char *sql,
          const char *origin)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (store_path, &error);
  g_autoptr(TrbHistory) history = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_no_error (error);
  history = trb_history_new (store, &error);   /* its tables */
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_prepare_v2 (trb_store_get_db (store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
}

/* The write that lets a participation resume after a crash fails (here, a trigger stands for a
 * full disk or a file gone read-only): the loop must not go on as if its state were written
 * down. It stops, says why, and sends nothing. */
static void
test_state_write_fails (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(TrbParticipation) p = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  const char *problem;

  exec_sql (f->store_path,
            "CREATE TRIGGER participation_full BEFORE INSERT ON participation "
            "BEGIN SELECT RAISE (FAIL, 'database or disk is full'); END",
            f->origin);
  p = make_participation (f->node.url, f->secret_key, f->store_path, f->origin, f->ledger_key);
  g_signal_connect (p, "event", G_CALLBACK (record_event_cb), events);
  trb_participation_start (p);
  while (count_events (events, "problem") == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  g_assert_cmpint (trb_participation_get_state (p), ==, TRB_PARTICIPATION_STATE_STOPPED);
  problem = trb_participation_get_problem (p);
  g_assert_nonnull (problem);
  g_assert_nonnull (strstr (problem, "could not write down its progress"));
  g_assert_nonnull (strstr (problem, "database or disk is full"));

  /* Stopped for good: a while later it has still sent nothing and written nothing. */
  deadline = g_get_monotonic_time () + G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (trb_participation_get_state (p), ==, TRB_PARTICIPATION_STATE_STOPPED);
  g_assert_cmpuint (count_events (events, "problem"), ==, 1);
  g_assert_cmpuint (trb_participation_get_n_uploads (p), ==, 0);
  g_assert_cmpuint (count_updates (f, 1), ==, 0);
}

static void
record_state_cb (TrbParticipation *p,
                 GParamSpec       *pspec,
                 GArray           *states)
{
  int state = trb_participation_get_state (p);

  g_array_append_val (states, state);
}

/* A network the History halted (two histories of its ledger seen) or a contributor marked (a
 * rewritten ledger, a receipt not signed by its key) gets no update: the loop stops at the open
 * round and says why. Once the user chooses in History to keep it, the loop contributes. */
static void
test_halted (Fixture       *f,
             gconstpointer  data)
{
  static const char * const marks[] = {
    "INSERT INTO history_networks (origin, halted) VALUES (?1, 1) "
    "ON CONFLICT (origin) DO UPDATE SET halted = 1",
    "UPDATE net_networks SET compromised = 1 WHERE origin = ?1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (marks); i++)
    {
      g_autoptr(TrbParticipation) p = NULL;
      gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
      g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (int));
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);

      exec_sql (f->store_path, marks[i], f->origin);
      p = make_participation (f->node.url, f->secret_key, f->store_path, f->origin,
                              f->ledger_key);
      g_signal_connect (p, "notify::state", G_CALLBACK (record_state_cb), states);
      g_signal_connect (p, "event", G_CALLBACK (record_event_cb), events);
      trb_participation_start (p);
      while (events->len == 0 ||
             !g_str_has_prefix (g_ptr_array_index (events, events->len - 1), "problem: "))
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          g_assert_cmpuint (trb_participation_get_n_uploads (p), ==, 0);
          g_main_context_iteration (NULL, TRUE);
        }
      /* It saw the round open and stopped before downloading anything (the second time, from
       * the stop it saved the first). */
      g_assert_cmpuint (events->len, ==, 2);
      g_assert_cmpstr (g_ptr_array_index (events, 0), ==, "round: Round 1 opened");
      g_assert_true (g_str_has_prefix (g_ptr_array_index (events, 1),
                                       "problem: This network showed two versions of its ledger"));
      g_assert_cmpint (trb_participation_get_state (p), ==, TRB_PARTICIPATION_STATE_STOPPED);
      for (guint s = 0; s < states->len; s++)
        {
          int state = g_array_index (states, int, s);

          g_assert_true (state < TRB_PARTICIPATION_STATE_DOWNLOADING ||
                         state == TRB_PARTICIPATION_STATE_STOPPED);
        }
      g_assert_nonnull (strstr (trb_participation_get_problem (p),
                                "showed two versions of its ledger"));
      g_assert_cmpuint (trb_participation_get_n_uploads (p), ==, 0);
      g_assert_cmpuint (count_updates (f, 1), ==, 0);

      /* The user's choice in History: keep the network. */
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(TrbStore) store = trb_store_new_for_path (f->store_path, &error);
        g_autoptr(TrbHistory) history = trb_history_new (store, &error);

        g_assert_true (trb_history_resume (history, f->origin, &error));
        g_assert_no_error (error);
      }
    }

  {
    g_autoptr(TrbParticipation) p = make_participation (f->node.url, f->secret_key,
                                                        f->store_path, f->origin, f->ledger_key);

    /* It starts from the stop it saved. */
    trb_participation_start (p);
    while (trb_participation_get_state (p) == TRB_PARTICIPATION_STATE_STOPPED)
      g_main_context_iteration (NULL, TRUE);
    run_until_contributed (p, 1);
    g_assert_cmpuint (count_updates (f, 1), ==, 1);
  }
}

/* ---- cancelled mid-flow ---------------------------------------------------------------------- */

typedef struct
{
  TestNode *node;
  gboolean  stopped;
} FreezeData;

/* Freezes the node when the update is in and the ledger check begins: its requests then wait
 * for an answer that never comes. */
static void
freeze_on_confirming_cb (TrbParticipation *p,
                         GParamSpec       *pspec,
                         FreezeData       *freeze)
{
  if (freeze->stopped || trb_participation_get_state (p) != TRB_PARTICIPATION_STATE_CONFIRMING)
    return;
  g_subprocess_send_signal (freeze->node->process, SIGSTOP);
  freeze->stopped = TRUE;
}

static void
quit_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Stopping the loop (leaving the network, quitting, pausing) while its worker checks the ledger
 * against a node that does not answer: the worker gives up within a second, and the loop (which
 * it holds) is released. */
static void
test_stop_cancels_verification (Fixture       *f,
                                gconstpointer  data)
{
  TrbParticipation *p = make_participation (f->node.url, f->secret_key, f->store_path,
                                            f->origin, f->ledger_key);
  FreezeData freeze = { &f->node, FALSE };
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  gboolean waited = FALSE;
  gint64 stopped_at;

  g_signal_connect (p, "notify::state", G_CALLBACK (freeze_on_confirming_cb), &freeze);
  trb_participation_start (p);
  while (!freeze.stopped)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  /* Let the worker send its first request to the frozen node. */
  g_timeout_add_once (300, quit_cb, &waited);
  while (!waited)
    g_main_context_iteration (NULL, TRUE);

  g_object_add_weak_pointer (G_OBJECT (p), (gpointer *) &p);
  stopped_at = g_get_monotonic_time ();
  trb_participation_stop (p);
  g_object_unref (p);
  while (p != NULL && g_get_monotonic_time () - stopped_at < 5 * G_USEC_PER_SEC)
    g_main_context_iteration (NULL, FALSE);
  g_test_message ("the worker ended %.0f ms after the stop",
                  (g_get_monotonic_time () - stopped_at) / 1000.0);
  g_assert_null (p);
  g_assert_cmpint (g_get_monotonic_time () - stopped_at, <, G_USEC_PER_SEC);
  g_subprocess_send_signal (f->node.process, SIGCONT);
}

/* ---- killed in each state ------------------------------------------------------------------- */

static void
crash_on_state_cb (TrbParticipation *p,
                   GParamSpec       *pspec,
                   const char       *target)
{
  TrbParticipationState state = trb_participation_get_state (p);

  if (g_str_equal (trb_participation_state_to_string (state), target))
    _exit (0);
}

/* Killed in training once an epoch is done, so that the checkpoint of that epoch exists. */
static void
crash_on_progress_cb (TrbParticipation *p,
                      GParamSpec       *pspec,
                      gpointer          user_data)
{
  if (trb_participation_get_progress (p) > 0.5)
    _exit (0);
}

/* Killed as soon as a round is seen open, before anything else happened. */
static void
crash_on_event_cb (TrbParticipation *p,
                   const char       *kind,
                   const char       *message,
                   gpointer          user_data)
{
  if (g_str_equal (kind, "round"))
    _exit (0);
}

static void
run_child (void)
{
  const char *target = g_getenv ("TRB_TEST_CRASH_AT");
  gsize key_len;
  g_autofree guint8 *key = g_base64_decode (g_getenv ("TRB_TEST_KEY"), &key_len);
  g_autoptr(TrbParticipation) p = NULL;

  g_assert_cmpuint (key_len, ==, 32);
  p = make_participation (g_getenv ("TRB_TEST_URL"), key, g_getenv ("TRB_TEST_STORE"),
                          g_getenv ("TRB_TEST_ORIGIN"), g_getenv ("TRB_TEST_LEDGER_KEY"));
  if (g_str_equal (target, "training"))
    g_signal_connect (p, "notify::progress", G_CALLBACK (crash_on_progress_cb), NULL);
  else if (g_str_equal (target, "round-opened"))
    g_signal_connect (p, "event", G_CALLBACK (crash_on_event_cb), NULL);
  else
    g_signal_connect (p, "notify::state", G_CALLBACK (crash_on_state_cb), (gpointer) target);
  run_until_contributed (p, 1);
  /* Reaching the end means the state was never entered. */
  _exit (3);
}

static void
test_resume (Fixture       *f,
             gconstpointer  data)
{
  const char *target = data;
  g_autofree char *key = NULL;
  g_autoptr(TrbParticipation) p = NULL;
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (g_test_subprocess ())
    {
      run_child ();
      return;
    }

  key = g_base64_encode (f->secret_key, 32);
  g_setenv ("TRB_TEST_CRASH_AT", target, TRUE);
  g_setenv ("TRB_TEST_KEY", key, TRUE);
  g_setenv ("TRB_TEST_URL", f->node.url, TRUE);
  g_setenv ("TRB_TEST_STORE", f->store_path, TRUE);
  g_setenv ("TRB_TEST_ORIGIN", f->origin, TRUE);
  g_setenv ("TRB_TEST_LEDGER_KEY", f->ledger_key, TRUE);
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();

  /* Killed before confirming, nothing is in; killed later, the update is in exactly once. */
  if (g_str_equal (target, "confirming") || g_str_equal (target, "contributed"))
    g_assert_cmpuint (count_updates (f, 1), ==, 1);
  else
    g_assert_cmpuint (count_updates (f, 1), ==, 0);

  p = make_participation (f->node.url, f->secret_key, f->store_path, f->origin, f->ledger_key);
  run_until_contributed (p, 1);
  g_assert_cmpuint (count_updates (f, 1), ==, 1);
  g_assert_cmpint (trb_participation_get_last_contributed (p), ==, 1);
  g_assert_cmpint (count_verified_receipts (f), ==, 1);

  if (g_str_equal (target, "training"))
    g_assert_cmpint (trb_participation_get_resumed_epoch (p), >=, 1);
  if (g_str_equal (target, "confirming") || g_str_equal (target, "contributed"))
    /* The reply was lost: the same update went again and got the same receipt back. */
    g_assert_cmpuint (trb_participation_get_n_uploads (p), ==, 1);

  store = trb_store_new_for_path (f->store_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_prepare_v2 (trb_store_get_db (store),
                                       "SELECT count(*) FROM net_receipts WHERE round = 1", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 1);
}

/* ---- fairness ------------------------------------------------------------------------------- */

typedef struct
{
  guint training;
  guint max_training;
  GString *order;   /* which network trained, in order */
} Occupancy;

static void
occupancy_state_cb (TrbParticipation *p,
                    GParamSpec       *pspec,
                    Occupancy        *occ)
{
  gboolean now = trb_participation_get_state (p) == TRB_PARTICIPATION_STATE_TRAINING;
  gboolean before = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (p), "training"));

  if (now == before)
    return;
  g_object_set_data (G_OBJECT (p), "training", GINT_TO_POINTER (now));
  if (now)
    {
      occ->training++;
      occ->max_training = MAX (occ->max_training, occ->training);
      g_string_append (occ->order, g_object_get_data (G_OBJECT (p), "tag"));
    }
  else
    occ->training--;
}

/* Two networks, one device: never two trainings at once, and both get their turns. */
static void
test_two_networks (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *holdout = test_dataset_path ("t10k-images-idx3-ubyte.gz");
  g_autofree char *task = g_strdup_printf (task_template, holdout);
  g_autoptr(TrbDeviceQueue) queue = trb_device_queue_new ();
  g_autoptr(TrbParticipation) a = NULL;
  g_autoptr(TrbParticipation) b = NULL;
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbClient) client = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  g_autofree char *origin_b = NULL;
  g_autofree char *key_b = NULL;
  Occupancy occ = { 0, 0, g_string_new (NULL) };
  TestNode second = { 0 };
  gint64 deadline = g_get_monotonic_time () + 180 * G_USEC_PER_SEC;

  /* A network of another name, so that its ledger key is pinned apart from the first's. */
  {
    g_autofree char *binary = g_build_filename (g_getenv ("TRB_BUILD_ROOT"), "src", "node",
                                                "tributary-node", NULL);
    g_autofree char *task_path = NULL;
    g_autoptr(GSubprocess) init = NULL;

    second.data_dir = g_build_filename (g_get_user_data_dir (), "second-node", NULL);
    task_path = g_strconcat (second.data_dir, ".task.json", NULL);
    g_assert_true (g_file_set_contents (task_path, task, -1, &error));
    init = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, binary, "init",
                             "--data", second.data_dir, "--name", "Second network", "--task",
                             task_path, NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_wait_check (init, NULL, &error));
  }
  test_node_start (&second, NULL);
  store = trb_store_new_for_path (f->store_path, &error);
  g_assert_no_error (error);
  client = make_client (second.url, f->secret_key);
  contributor = trb_contributor_new (client, store);
  g_assert_true (trb_contributor_connect (contributor, &error));
  g_assert_no_error (error);
  g_assert_true (trb_contributor_join (contributor, &error));
  g_assert_no_error (error);
  origin_b = g_strdup (trb_contributor_get_origin (contributor));
  key_b = g_strdup (trb_contributor_get_ledger_key (contributor));
  g_assert_cmpstr (origin_b, !=, f->origin);

  a = make_participation (f->node.url, f->secret_key, f->store_path, f->origin, f->ledger_key);
  b = make_participation (second.url, f->secret_key, f->store_path, origin_b, key_b);
  g_object_set_data (G_OBJECT (a), "tag", (gpointer) "a");
  g_object_set_data (G_OBJECT (b), "tag", (gpointer) "b");
  trb_participation_set_device_queue (a, queue);
  trb_participation_set_device_queue (b, queue);
  g_signal_connect (a, "notify::state", G_CALLBACK (occupancy_state_cb), &occ);
  g_signal_connect (b, "notify::state", G_CALLBACK (occupancy_state_cb), &occ);
  trb_participation_start (a);
  trb_participation_start (b);
  while (trb_participation_get_last_contributed (a) < 3 ||
         trb_participation_get_last_contributed (b) < 3)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  trb_participation_stop (a);
  trb_participation_stop (b);

  g_test_message ("training order: %s", occ.order->str);
  g_assert_cmpuint (occ.max_training, ==, 1);
  g_assert_cmpuint (count_updates (f, 1), ==, 1);
  g_assert_cmpuint (count_updates (f, 3), ==, 1);
  /* Neither trained twice while the other waited: the turns alternate. */
  g_assert_null (strstr (occ.order->str, "aaa"));
  g_assert_null (strstr (occ.order->str, "bbb"));
  g_string_free (occ.order, TRUE);
  test_node_clear (&second);
}

static void
acquired_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GString *order = user_data;

  if (trb_device_queue_acquire_finish (TRB_DEVICE_QUEUE (source), result, NULL))
    g_string_append_c (order, (char) GPOINTER_TO_INT (
      trb_device_queue_get_holder (TRB_DEVICE_QUEUE (source))));
  else
    g_string_append_c (order, '-');
}

static void
test_device_queue (void)
{
  g_autoptr(TrbDeviceQueue) queue = trb_device_queue_new ();
  g_autoptr(GString) order = g_string_new (NULL);
  gpointer a = GINT_TO_POINTER ('a'), b = GINT_TO_POINTER ('b'), c = GINT_TO_POINTER ('c');

  trb_device_queue_acquire_async (queue, a, NULL, acquired_cb, order);
  trb_device_queue_acquire_async (queue, b, NULL, acquired_cb, order);
  trb_device_queue_acquire_async (queue, c, NULL, acquired_cb, order);
  while (g_main_context_iteration (NULL, FALSE));
  g_assert_cmpstr (order->str, ==, "a");
  g_assert_cmpuint (trb_device_queue_get_n_waiting (queue), ==, 2);

  /* a trained and asks again: it queues behind b and c. */
  trb_device_queue_release (queue, a);
  trb_device_queue_acquire_async (queue, a, NULL, acquired_cb, order);
  while (g_main_context_iteration (NULL, FALSE));
  g_assert_cmpstr (order->str, ==, "ab");

  /* c leaves while waiting: its wait ends, and a comes next. */
  trb_device_queue_withdraw (queue, c);
  while (g_main_context_iteration (NULL, FALSE));
  g_assert_cmpstr (order->str, ==, "ab-");
  trb_device_queue_release (queue, b);
  while (g_main_context_iteration (NULL, FALSE));
  g_assert_cmpstr (order->str, ==, "ab-a");
  g_assert_cmpuint (trb_device_queue_get_n_waiting (queue), ==, 0);

  /* Releasing what one does not hold changes nothing. */
  trb_device_queue_release (queue, b);
  g_assert_true (trb_device_queue_get_holder (queue) == a);
}

static void
test_status_words (void)
{
  g_autofree char *training = trb_participation_format_status (
    TRB_PARTICIPATION_STATE_TRAINING, 0.434, 6 * 60 + 10, 0, NULL);
  g_autofree char *problem = trb_participation_format_status (
    TRB_PARTICIPATION_STATE_PROBLEM, 0, -1, 120, NULL);
  g_autofree char *idle = trb_participation_format_status (
    TRB_PARTICIPATION_STATE_WAITING_SCHEDULER, 0, -1, 0, NULL);
  g_autofree char *battery = trb_participation_format_status (
    TRB_PARTICIPATION_STATE_WAITING_SCHEDULER, 0, -1, 0, "Paused: on battery");

  g_assert_cmpstr (training, ==, "Training 43% — about 6 minutes left");
  g_assert_cmpstr (problem, ==, "Problem — retrying in 2 minutes");
  g_assert_cmpstr (idle, ==, "Waiting until the computer is idle");
  g_assert_cmpstr (battery, ==, "Paused: on battery");
}

static void
test_day_summary (void)
{
  g_autofree char *one = trb_participation_format_day_summary (1, 0);
  g_autofree char *whole = trb_participation_format_day_summary (3, 30000);
  g_autofree char *single = trb_participation_format_day_summary (1, 1000);
  g_autofree char *fraction = trb_participation_format_day_summary (2, 1500);
  g_autofree char *small = trb_participation_format_day_summary (2, 125);

  g_assert_cmpstr (one, ==, "1 round contributed today");
  g_assert_cmpstr (whole, ==, "3 rounds contributed today, 30 points");
  g_assert_cmpstr (single, ==, "1 round contributed today, 1 point");
  g_assert_cmpstr (fraction, ==, "2 rounds contributed today, 1.5 points");
  g_assert_cmpstr (small, ==, "2 rounds contributed today, 0.125 points");
}

static void
test_invite (void)
{
  static const struct {
    const char *text;
    const char *url;    /* NULL: refused */
  } cases[] = {
    { "https://lab.example.org:8443", "https://lab.example.org:8443" },
    { "  http://127.0.0.1:4000/  \n", "http://127.0.0.1:4000/" },
    { "tributary://join?url=https%3A%2F%2Fnet.example%3A9000", "https://net.example:9000" },
    { "tributary://join?x=1&url=http%3A%2F%2F10.0.0.2%3A1234", "http://10.0.0.2:1234" },
    { "https://user:secret@net.example/?a=1#f", "https://net.example/" },
    { "tributary://join", NULL },
    { "tributary://join?url=", NULL },
    { "tributary://leave?url=https%3A%2F%2Fnet.example", NULL },
    { "tributary://join?url=tributary%3A%2F%2Fjoin%3Furl%3Dx", NULL },
    { "tributary://join?url=file%3A%2F%2F%2Fetc%2Fpasswd", NULL },
    { "ftp://net.example", NULL },
    { "net.example", NULL },
    { "", NULL },
    { "http://", NULL },
  };
  g_autofree char *long_text = g_strnfill (TRB_INVITE_MAX_LENGTH + 1, 'a');
  g_autofree char *made = trb_invite_make ("http://lab.local:41234");
  g_autofree char *back = NULL;
  g_autoptr(GError) error = NULL;
  char *too_long;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) case_error = NULL;
      g_autofree char *url = trb_invite_parse (cases[i].text, &case_error);

      g_test_message ("%s", cases[i].text);
      g_assert_cmpstr (url, ==, cases[i].url);
      if (cases[i].url == NULL)
        g_assert_error (case_error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      else
        g_assert_no_error (case_error);
    }

  too_long = trb_invite_parse (long_text, &error);
  g_assert_null (too_long);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* What "Host a Network" hands out opens as the same address. */
  g_assert_true (g_str_has_prefix (made, "tributary://join?url="));
  back = trb_invite_parse (made, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back, ==, "http://lab.local:41234");
}

static const char good_catalogue[] =
  "{\"networks\": ["
  " {\"name\": \"Lab\", \"url\": \"https://lab.example:8443\", \"operator\": \"A lab\","
  "  \"description\": \"Leaves\"},"
  " {\"name\": \"No address\"},"
  " {\"name\": \"Bad address\", \"url\": \"file:///etc/passwd\"},"
  " {\"name\": 7, \"url\": \"https://x.example\"},"
  " \"not an object\","
  " {\"name\": \"Invite\", \"url\": \"tributary://join?url=http%3A%2F%2F10.1.2.3%3A80\"}"
  "]}";

static void
test_catalogue_parse (void)
{
  static const char * const bad[] = {
    "", "[]", "{}", "{\"networks\": {}}", "{\"networks\": [", "\"text\"",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = trb_catalogue_parse (good_catalogue, strlen (good_catalogue),
                                                      &error);
  g_autofree char *huge = g_strnfill (TRB_CATALOGUE_MAX_BYTES + 1, ' ');
  TrbCatalogueEntry *entry;

  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 2);
  entry = g_ptr_array_index (entries, 0);
  g_assert_cmpstr (entry->name, ==, "Lab");
  g_assert_cmpstr (entry->url, ==, "https://lab.example:8443");
  g_assert_cmpstr (entry->operator_name, ==, "A lab");
  g_assert_cmpstr (entry->description, ==, "Leaves");
  entry = g_ptr_array_index (entries, 1);
  g_assert_cmpstr (entry->url, ==, "http://10.1.2.3:80");
  g_assert_null (entry->operator_name);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GPtrArray) none = trb_catalogue_parse (bad[i], strlen (bad[i]), &error);

      g_assert_null (none);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_clear_error (&error);
    }
  g_assert_null (trb_catalogue_parse (huge, strlen (huge), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
}

static void
serve_catalogue_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  if (g_str_equal (path, "/huge"))
    {
      char *body = g_malloc (TRB_CATALOGUE_MAX_BYTES * 2);

      memset (body, ' ', TRB_CATALOGUE_MAX_BYTES * 2);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body,
                                        TRB_CATALOGUE_MAX_BYTES * 2);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    }
  else if (g_str_equal (path, "/catalogue.json"))
    {
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        good_catalogue, strlen (good_catalogue));
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    }
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_catalogue_fetch (void)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;
  g_autofree char *base = NULL;
  const char *paths[] = { "/catalogue.json", "/missing", "/huge" };

  soup_server_add_handler (server, NULL, serve_catalogue_cb, NULL, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (server);
  base = g_uri_to_string (uris->data);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  if (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *url = g_strconcat (base, paths[i], NULL);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GPtrArray) entries = NULL;
      g_autoptr(GError) fetch_error = NULL;

      trb_catalogue_fetch_async (url, NULL, store_result_cb, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      entries = trb_catalogue_fetch_finish (result, &fetch_error);
      if (i == 0)
        {
          g_assert_no_error (fetch_error);
          g_assert_cmpuint (entries->len, ==, 2);
        }
      else
        {
          int expected = i == 1 ? G_IO_ERROR_FAILED : G_IO_ERROR_MESSAGE_TOO_LARGE;

          g_assert_null (entries);
          g_assert_error (fetch_error, G_IO_ERROR, expected);
        }
    }

  /* Not a web address: refused without any request. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GPtrArray) entries = NULL;

    trb_catalogue_fetch_async ("ftp://x.example/c.json", NULL, store_result_cb, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    entries = trb_catalogue_fetch_finish (result, &error);
    g_assert_null (entries);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  }
}

int
main (int    argc,
      char **argv)
{
  static const char * const crash_states[] = {
    "round-opened", "downloading", "training", "uploading", "confirming", "contributed",
  };

  /* Loopback only: no proxy lookup (which would need the desktop's settings schemas). */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/participation/status-words", test_status_words);
  g_test_add_func ("/participation/day-summary", test_day_summary);
  g_test_add_func ("/participation/device-queue", test_device_queue);
  g_test_add_func ("/participation/invite", test_invite);
  g_test_add_func ("/participation/catalogue/parse", test_catalogue_parse);
  g_test_add_func ("/participation/catalogue/fetch", test_catalogue_fetch);
  g_test_add ("/participation/stop-cancels-verification", Fixture, NULL, fixture_setup,
              test_stop_cancels_verification, fixture_teardown);
  g_test_add ("/participation/contribute", Fixture, NULL, fixture_setup, test_contribute,
              fixture_teardown);
  g_test_add ("/participation/change-data", Fixture, NULL, fixture_setup, test_change_data,
              fixture_teardown);
  g_test_add ("/participation/waiting-for-updates", Fixture, NULL, fixture_setup_two_needed,
              test_waiting_for_updates, fixture_teardown);
  g_test_add ("/participation/halted", Fixture, NULL, fixture_setup, test_halted,
              fixture_teardown);
  g_test_add ("/participation/state-write-fails", Fixture, NULL, fixture_setup,
              test_state_write_fails, fixture_teardown);
  g_test_add ("/participation/refused-for-good", Fixture, NULL, fixture_setup,
              test_refused_for_good, fixture_teardown);
  g_test_add ("/participation/late-goes-on", Fixture, NULL, fixture_setup, test_late_goes_on,
              fixture_teardown);
  g_test_add ("/participation/two-networks", Fixture, NULL, fixture_setup, test_two_networks,
              fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (crash_states); i++)
    {
      g_autofree char *path = g_strdup_printf ("/participation/resume/%s", crash_states[i]);

      g_test_add (path, Fixture, crash_states[i], fixture_setup, test_resume, fixture_teardown);
    }
  return g_test_run ();
}
