/* test-selection.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whom a round asks, against a real node: participants who joined after a round opened are not
 * asked in it and are in the next; twenty wallets joined before a round cannot crowd out an
 * honest participant it asked; a participant not asked does not train, with the command line's
 * contributor or the app's participation loop; and the round_opened entry lets anyone recompute
 * the choice from the ledger.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"
#include "ledger/trb-ledger-entry.h"
#include "participant/trb-participation.h"
#include "trb-test-network.h"
#include "wallet/trb-keypair.h"

#define N_SYBILS    20
#define MAX_UPDATES 5

static const char task_json[] =
  "{\"id\": \"fashion-mnist\", \"title\": \"Clothing\","
  " \"model\": {\"format\": \"tributary-model\", \"version\": 1,"
  " \"input\": {\"shape\": [784], \"dtype\": \"u8\"}, \"layers\": [{\"type\": \"dense\","
  " \"units\": 16}, {\"type\": \"relu\"}, {\"type\": \"dense\", \"units\": 10}],"
  " \"loss\": \"softmax_cross_entropy\"},"
  " \"data_schema\": {\"kind\": \"image-classification\", \"width\": 28, \"height\": 28,"
  " \"channels\": 1, \"classes\": 10},"
  " \"hyper_parameters\": {\"local_epochs\": 1, \"batch_size\": 16, \"learning_rate\": 0.1},"
  " \"round_policy\": {\"duration_seconds\": 8, \"min_updates\": 1, \"max_updates\": 5},"
  " \"reward_policy\": {\"points_per_sample_epoch\": 0.01, \"cap_per_round\": 5},"
  " \"privacy_policy\": {\"clip_norm\": 0, \"noise_multiplier\": 0},"
  " \"initial_weights\": {\"seed\": 7}}";

/* A wallet made from a fixed seed, so that its rank in a round is the same at every run. */
typedef struct
{
  guint8    *secret_key;
  char      *address;
  TrbClient *client;
} Wallet;

static void
wallet_free (Wallet *w)
{
  sodium_free (w->secret_key);
  g_free (w->address);
  g_clear_object (&w->client);
  g_free (w);
}

static Wallet *
wallet_new (const char *name,
            guint       n,
            const char *url)
{
  Wallet *w = g_new0 (Wallet, 1);
  guint8 seed[crypto_sign_SEEDBYTES] = { 0 };
  guint8 public_key[crypto_sign_PUBLICKEYBYTES];
  g_autofree char *text = g_strdup_printf ("%s-%u", name, n);

  memcpy (seed, text, MIN (strlen (text), sizeof seed));
  w->secret_key = sodium_malloc (crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair (public_key, w->secret_key, seed);
  w->address = trb_wallet_address_from_public_key (public_key);
  if (url != NULL)
    {
      w->client = trb_client_new (url);
      trb_client_set_identity (w->client, w->secret_key);
      trb_client_set_retry_policy (w->client, 3, 50);
    }
  return w;
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
join (TrbClient *client)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;

  trb_client_join_async (client, "Sybil", NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  reply = trb_client_json_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reply);
}

static JsonObject *
round_for (TrbClient *client)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *round;

  trb_client_get_round_async (client, "fashion-mnist", NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  round = trb_client_json_finish (client, result, &error);
  g_assert_no_error (error);
  return round;
}

static TrbModelSpec *
task_spec (TrbClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) task = test_get_json (client, "/v1/tasks/fashion-mnist", &error);
  g_autofree char *json = NULL;
  TrbModelSpec *spec;

  g_assert_no_error (error);
  json = json_to_string (json_object_get_member (task, "model"), FALSE);
  spec = trb_model_spec_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  return spec;
}

/* An update that changes nothing: the next round starts from the same model, so the ranks of
 * its participants are known in advance and the test can choose an honest wallet they put
 * first. */
static GBytes *
zero_update (TrbModelSpec *spec,
             const char   *base,
             guint         samples)
{
  g_autofree char *samples_text = g_strdup_printf ("%u", samples);
  g_autoptr(TrbWeights) delta = trb_model_spec_init_weights (spec, 1);
  g_autoptr(GError) error = NULL;

  g_assert_true (trb_weights_add_scaled (delta, delta, -1.0, &error));
  g_assert_no_error (error);
  trb_weights_set_metadata (delta, "base_model", base);
  trb_weights_set_metadata (delta, "samples", samples_text);
  trb_weights_set_metadata (delta, "epochs", "1");
  trb_weights_set_metadata (delta, "dataset_commitment",
                            "00000000000000000000000000000000000000000000000000000000000000ab");
  return trb_weights_to_safetensors (delta);
}

/* The upload's outcome: NULL when accepted, otherwise the problem type. */
static char *
upload (TrbClient  *client,
        gint64      round,
        GBytes     *update)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) receipt = test_upload (client, "fashion-mnist", round, update, &error);

  if (receipt != NULL)
    return NULL;
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED);
  return g_strdup (trb_client_error_get_problem (error));
}

static void
wait_for_round (TrbClient *client,
                gint64     round)
{
  gint64 until = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JsonObject) r = round_for (client);

      if (json_object_get_int_member (r, "round") >= round)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (50 * 1000);
    }
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The last round_opened of @round in the ledger, with the participants who joined before it,
 * as a participant reads them to check whom the round asks. */
static TrbLedgerEntry *
find_round_opened (TrbClient *client,
                   gint64     round,
                   guint64   *index,
                   GPtrArray *joined)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) page = test_get_json (client, "/v1/ledger/entries?start=0&end=1000",
                                              &error);
  JsonArray *entries;
  TrbLedgerEntry *found = NULL;

  g_assert_no_error (error);
  entries = json_object_get_array_member (page, "entries");
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      const char *text = json_array_get_string_element (entries, i);
      g_autoptr(TrbLedgerEntry) entry = trb_ledger_entry_parse (text, strlen (text), &error);

      g_assert_no_error (error);
      if (trb_ledger_entry_get_entry_type (entry) == TRB_LEDGER_ENTRY_PARTICIPANT_JOINED &&
          found == NULL)
        g_ptr_array_add (joined, g_strdup (trb_ledger_entry_get_participant (entry)));
      if (trb_ledger_entry_get_entry_type (entry) == TRB_LEDGER_ENTRY_ROUND_OPENED &&
          trb_ledger_entry_get_round (entry) == round && found == NULL)
        {
          found = g_object_ref (entry);
          *index = i;
        }
    }
  g_assert_nonnull (found);
  return found;
}

static void
test_crowd (void)
{
  g_autoptr(GPtrArray) sybils = g_ptr_array_new_with_free_func ((GDestroyNotify) wallet_free);
  g_autoptr(GPtrArray) ranks = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) joined = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) recomputed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(GBytes) first_update = NULL;
  g_autoptr(GBytes) opener_update = NULL;
  g_autoptr(TrbLedgerEntry) opened = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  g_autofree char *honest_rank = NULL;
  const TrbRoundSelection *selection;
  const char *cutoff;
  TestParticipant *opener, *honest;
  Wallet *chosen = NULL;
  guint sybils_asked = 0, sybils_accepted = 0;
  guint64 opened_index = 0;
  TestNode node = { 0 };

  test_node_init (&node, task_json);
  test_node_start (&node, NULL);

  /* Round 1 opened before anyone joined: it asks the first to join, and then it asks enough to
   * close (min_updates 1). */
  opener = test_participant_new (&node, 0, 2, 0);
  g_assert_true (trb_contributor_connect (opener->contributor, &error));
  g_assert_true (trb_contributor_join (opener->contributor, &error));
  g_assert_no_error (error);
  test_wait_round_asks (opener->client, "fashion-mnist", 1);
  g_assert_true (test_round_asks (opener->client, "fashion-mnist"));

  spec = task_spec (opener->client);

  /* Round 1 closes on the opener's update, which changes nothing; round 2, opened when only
   * the opener had joined, asks the opener alone. Its model is the node's own writing of the
   * same weights, as every later model will be. */
  round = round_for (opener->client);
  first_update = zero_update (spec, json_object_get_string_member (round, "model"), 10);
  g_assert_null (upload (opener->client, 1, first_update));
  wait_for_round (opener->client, 2);
  g_clear_pointer (&round, json_object_unref);
  round = round_for (opener->client);
  model = g_strdup (json_object_get_string_member (round, "model"));

  /* The honest participant's wallet, chosen among fixed seeds for a low rank on this model. */
  for (guint n = 0; chosen == NULL; n++)
    {
      Wallet *w = wallet_new ("honest", n, NULL);
      g_autofree char *rank = trb_client_selection_rank (model, w->address);

      if (g_str_has_prefix (rank, "00"))
        chosen = w;
      else
        wallet_free (w);
    }
  honest = test_participant_new (&node, 1, 2, 200);
  memcpy (honest->secret_key, chosen->secret_key, crypto_sign_SECRETKEYBYTES);
  test_participant_reconnect (honest, &node);
  g_assert_cmpstr (trb_client_get_address (honest->client), ==, chosen->address);
  wallet_free (chosen);
  g_assert_true (trb_contributor_connect (honest->contributor, &error));
  g_assert_true (trb_contributor_join (honest->contributor, &error));
  g_assert_no_error (error);

  /* Twenty wallets made on one computer join while round 2 is open. */
  for (guint i = 0; i < N_SYBILS; i++)
    {
      Wallet *w = wallet_new ("sybil", i, node.url);

      join (w->client);
      g_ptr_array_add (sybils, w);
    }
  g_usleep (500 * 1000);    /* a few ticks: round 2 asks enough to close, it is not widened */

  /* They joined after round 2 opened: it does not ask them, and the node refuses their
   * updates. */
  for (guint i = 0; i < sybils->len; i++)
    {
      Wallet *w = g_ptr_array_index (sybils, i);
      g_autoptr(GBytes) update = zero_update (spec, model, 10 + i);
      g_autofree char *problem = upload (w->client, 2, update);

      g_assert_cmpstr (problem, ==, "not-selected");
      g_assert_false (test_round_asks (w->client, "fashion-mnist"));
    }

  /* A participant not asked does not train: it waits for a round that asks it, and gives up
   * when none does in time, without uploading. */
  g_assert_false (test_round_asks (honest->client, "fashion-mnist"));
  g_assert_cmpint (trb_contributor_contribute (honest->contributor, "fashion-mnist", honest->data,
                                               1, 2, &error), ==, 0);
  g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_NETWORK);
  g_clear_error (&error);
  {
    g_autoptr(JsonObject) r = round_for (opener->client);

    g_assert_cmpint (json_object_get_int_member (r, "round"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (r, "updates"), ==, 0);
  }

  /* Round 2 closes on the opener's update, which changes nothing again: round 3 starts from
   * the same model, on which the honest wallet was chosen. */
  opener_update = zero_update (spec, model, 10);
  g_assert_null (upload (opener->client, 2, opener_update));
  wait_for_round (opener->client, 3);
  g_clear_pointer (&round, json_object_unref);
  round = round_for (opener->client);
  g_assert_cmpstr (json_object_get_string_member (round, "model"), ==, model);

  /* Round 3 opened after all of them joined: it asks MAX_UPDATES of the 22, the lowest ranks,
   * and the honest participant's is among them. */
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (round,
                                                                              "selection"),
                                               "participants"), ==, MAX_UPDATES);
  g_ptr_array_add (ranks, trb_client_selection_rank (model,
                                                     trb_client_get_address (opener->client)));
  honest_rank = trb_client_selection_rank (model, trb_client_get_address (honest->client));
  g_ptr_array_add (ranks, g_strdup (honest_rank));
  for (guint i = 0; i < sybils->len; i++)
    {
      Wallet *w = g_ptr_array_index (sybils, i);

      g_ptr_array_add (ranks, trb_client_selection_rank (model, w->address));
    }
  g_ptr_array_sort (ranks, compare_strings);
  cutoff = g_ptr_array_index (ranks, MAX_UPDATES - 1);
  g_assert_cmpstr (honest_rank, <=, cutoff);
  g_assert_true (test_round_asks (honest->client, "fashion-mnist"));

  /* Every Sybil uploads first, as fast as it can: only those the round asks get in, and they
   * cannot fill the round before the honest participant. */
  for (guint i = 0; i < sybils->len; i++)
    {
      Wallet *w = g_ptr_array_index (sybils, i);
      g_autofree char *rank = trb_client_selection_rank (model, w->address);
      g_autoptr(GBytes) update = zero_update (spec, model, 10 + i);
      g_autofree char *problem = upload (w->client, 3, update);
      gboolean asked = strcmp (rank, cutoff) <= 0;

      if (asked)
        {
          sybils_asked++;
          g_assert_null (problem);
          sybils_accepted++;
        }
      else
        g_assert_cmpstr (problem, ==, "not-selected");
      g_assert_cmpint (test_round_asks (w->client, "fashion-mnist"), ==, asked);
    }
  g_test_message ("round 3 asked %u of the %u Sybils", sybils_asked, N_SYBILS);
  g_assert_cmpuint (sybils_accepted, <, MAX_UPDATES);
  /* They joined after round 2 opened, and round 3 asks them: the next round is theirs too. */
  g_assert_cmpuint (sybils_asked, >, 0);

  /* The honest participant trains and is accepted. */
  g_assert_cmpint (trb_contributor_contribute (honest->contributor, "fashion-mnist", honest->data,
                                               2, 30, &error), ==, 3);
  g_assert_no_error (error);

  /* Anyone can recompute whom round 3 asked from the ledger: the participants joined before
   * its round_opened, the lowest max_asked ranks. */
  opened = find_round_opened (opener->client, 3, &opened_index, joined);
  selection = trb_ledger_entry_get_selection (opened);
  g_assert_nonnull (selection);
  g_assert_cmpint (selection->joined_after, ==, 0);
  g_assert_cmpint (selection->joined_before, ==, (gint64) opened_index);
  g_assert_cmpint (selection->max_asked, ==, MAX_UPDATES);
  g_assert_cmpint (selection->asked, ==, MAX_UPDATES);
  g_assert_cmpuint (joined->len, ==, N_SYBILS + 2);
  for (guint i = 0; i < joined->len; i++)
    g_ptr_array_add (recomputed, trb_client_selection_rank (trb_ledger_entry_get_model (opened),
                                                            g_ptr_array_index (joined, i)));
  g_ptr_array_sort (recomputed, compare_strings);
  g_assert_cmpstr (selection->cutoff, ==, g_ptr_array_index (recomputed, MAX_UPDATES - 1));

  test_participant_free (opener);
  test_participant_free (honest);
  test_node_clear (&node);
}

static void
state_cb (TrbParticipation *p,
          GParamSpec       *pspec,
          gpointer          user_data)
{
  gboolean *trained = user_data;
  TrbParticipationState state = trb_participation_get_state (p);

  if (state >= TRB_PARTICIPATION_STATE_DOWNLOADING && state <= TRB_PARTICIPATION_STATE_CONFIRMING)
    *trained = TRUE;
}

/* The app's participation loop does not train for a round that does not ask it: it waits, and
 * takes part in the next round, which does. */
static void
test_app_not_asked (void)
{
  TestNode node = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbKeypair) keypair = NULL;
  g_autoptr(TrbClient) client = NULL;
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  g_autoptr(TrbParticipation) p = NULL;
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(GBytes) update = NULL;
  g_autofree char *images = test_dataset_path ("train-images-idx3-ubyte.gz");
  g_autofree char *store_path = g_strdup_printf ("%s/app-participant-%d.db",
                                                 g_get_user_data_dir (), (int) getpid ());
  gint64 until;
  gboolean trained = FALSE;
  TestParticipant *opener;
  guint8 seed[32];

  test_node_init (&node, task_json);
  test_node_start (&node, NULL);
  opener = test_participant_new (&node, 0, 2, 0);
  g_assert_true (trb_contributor_connect (opener->contributor, &error));
  g_assert_true (trb_contributor_join (opener->contributor, &error));
  g_assert_no_error (error);
  test_wait_round_asks (opener->client, "fashion-mnist", 1);

  /* A person joins in the app once round 1 asks enough to close. */
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
  g_assert_true (trb_contributor_join (contributor, &error));
  g_assert_no_error (error);

  p = trb_participation_new (store, client, trb_contributor_get_origin (contributor),
                             trb_contributor_get_ledger_key (contributor), "fashion-mnist",
                             images);
  trb_participation_set_poll_interval (p, 100);
  trb_participation_set_retry_base (p, 1);
  trb_participation_set_max_samples (p, 600);
  g_signal_connect (p, "notify::state", G_CALLBACK (state_cb), &trained);
  trb_participation_start (p);

  /* Round 1 does not ask it: two seconds of polling, and nothing downloaded or trained. */
  until = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
  g_assert_false (trained);
  g_assert_cmpint (trb_participation_get_last_contributed (p), ==, 0);
  g_assert_cmpint (trb_participation_get_state (p), ==, TRB_PARTICIPATION_STATE_WAITING_ROUND);

  /* Round 1 closes on the opener's update; round 2 asks both, and the app takes part. */
  spec = task_spec (opener->client);
  round = round_for (opener->client);
  g_assert_cmpint (json_object_get_int_member (round, "round"), ==, 1);
  update = zero_update (spec, json_object_get_string_member (round, "model"), 10);
  g_assert_null (upload (opener->client, 1, update));
  until = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (trb_participation_get_last_contributed (p) < 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_true (trained);
  g_assert_cmpint (trb_participation_get_last_contributed (p), ==, 2);
  trb_participation_stop (p);

  g_clear_object (&p);
  test_participant_free (opener);
  test_node_clear (&node);
}

int
main (int    argc,
      char **argv)
{
  /* Loopback only: no proxy lookup (which would need the desktop's settings schemas). */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/selection/crowd", test_crowd);
  g_test_add_func ("/selection/app-not-asked", test_app_not_asked);

  return g_test_run ();
}
