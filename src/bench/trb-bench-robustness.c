/* trb-bench-robustness.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tributary-bench robustness`: what attackers among the participants do to the shared model
 * and to the rewards under each aggregation strategy. For each strategy and attack it starts a
 * real tributary-node on 127.0.0.1 with a task choosing that strategy, runs honest participants
 * and attackers as threads of this process (each a TrbContributor with its own key, store and
 * share of Fashion-MNIST, as tributary-cli contributes), and reads the result from the ledger:
 * the node's hold-out accuracy after each round (`eval_accuracy`) and each participant's points.
 * The honest-only run of the same task is the baseline.
 *
 * An attacker trains like an honest participant; its contributor's update hook then alters the
 * update before it is signed and uploaded, so the node sees nothing that tells them apart.
 */

#define G_LOG_DOMAIN "tributary-bench"

#include "config.h"

#include "trb-bench-robustness.h"

#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"
#include "ledger/trb-ledger-entry.h"
#include "net/trb-client.h"
#include "net/trb-contributor.h"
#include "net/trb-protocol.h"
#include "net/trb-training-set.h"
#include "store/trb-store.h"

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"
#define TASK_ID "robustness"
#define MAX_ROUNDS 50
#define MAX_PARTICIPANTS 64
/* The node's default bound on a single value of an update, which the task states: an attacker
 * keeps within it (it reads it in the task), so that its update is accepted. */
#define MAX_UPDATE_VALUE 100.0
/* What a round may take at most before the run is given up (training on a busy computer). */
#define ROUND_TIMEOUT_S 600

typedef enum
{
  ATTACK_NONE,
  ATTACK_SCALED,
  ATTACK_SIGN_FLIP,
  ATTACK_SAMPLES,
  ATTACK_RANDOM,
  ATTACK_ZERO,
} Attack;

static const struct
{
  const char *name;
  const char *label;
} attacks[] = {
  [ATTACK_NONE] = { "none", "none (honest)" },
  [ATTACK_SCALED] = { "scaled", "scaled x1000" },
  [ATTACK_SIGN_FLIP] = { "sign-flip", "sign-flipped" },
  [ATTACK_SAMPLES] = { "samples", "samples 10^9" },
  [ATTACK_RANDOM] = { "random", "random N(0,1)" },
  [ATTACK_ZERO] = { "zero", "zero" },
};

static const char * const strategies[] = {
  "fedavg", "fedavg-capped", "median", "trimmed_mean", "multi_krum",
};

static int opt_rounds = 3;
static int opt_participants = 4;
static int opt_attackers = 1;
static int opt_samples = 2000;
static int opt_eval_samples = 2000;
static int opt_epochs = 1;
static char *opt_model = NULL;
static double opt_learning_rate = 0.05;
static double opt_momentum = 0;
static int opt_batch_size = 32;
static double opt_max_update_norm = 0;
static char *opt_attack = NULL;
static char *opt_strategy = NULL;
static char *opt_node = NULL;
static int opt_repeat = 1;
static gboolean opt_keep = FALSE;
static gint64 opt_seed = 0;

static GOptionEntry entries[] = {
  { "rounds", 0, 0, G_OPTION_ARG_INT, &opt_rounds, "Rounds per run (default 3)", "N" },
  { "participants", 0, 0, G_OPTION_ARG_INT, &opt_participants,
    "Participants, attackers included (default 4)", "N" },
  { "attackers", 0, 0, G_OPTION_ARG_INT, &opt_attackers,
    "How many of them attack (default 1); also Multi-Krum's f and the trimmed mean's share", "K" },
  { "attack", 0, 0, G_OPTION_ARG_STRING, &opt_attack,
    "Attacks, comma-separated: scaled, sign-flip, samples, random, zero, or all "
    "(default scaled)", "LIST" },
  { "strategy", 0, 0, G_OPTION_ARG_STRING, &opt_strategy,
    "Strategies, comma-separated: fedavg, fedavg-capped, median, trimmed_mean, multi_krum, or "
    "all (default fedavg,median,multi_krum)", "LIST" },
  { "samples", 0, 0, G_OPTION_ARG_INT, &opt_samples,
    "Training samples per participant (default 2000)", "N" },
  { "eval-samples", 0, 0, G_OPTION_ARG_INT, &opt_eval_samples,
    "Hold-out samples the node evaluates on (default 2000)", "N" },
  { "epochs", 0, 0, G_OPTION_ARG_INT, &opt_epochs, "Local epochs (default 1)", "E" },
  { "model", 0, 0, G_OPTION_ARG_STRING, &opt_model,
    "The model: 2nn (the demo's, default) or niid-cnn (NIID-Bench's simple CNN)", "MODEL" },
  { "learning-rate", 0, 0, G_OPTION_ARG_DOUBLE, &opt_learning_rate,
    "SGD's learning rate (default 0.05)", "LR" },
  { "momentum", 0, 0, G_OPTION_ARG_DOUBLE, &opt_momentum, "SGD's momentum (default 0)", "M" },
  { "batch-size", 0, 0, G_OPTION_ARG_INT, &opt_batch_size, "Batch size (default 32)", "B" },
  { "max-update-norm", 0, 0, G_OPTION_ARG_DOUBLE, &opt_max_update_norm,
    "The node's norm bound B on each update, clipped to it (default 0: none)", "B" },
  { "repeat", 0, 0, G_OPTION_ARG_INT, &opt_repeat,
    "Runs of each strategy and attack, averaged (default 1)", "N" },
  { "node", 0, 0, G_OPTION_ARG_FILENAME, &opt_node,
    "The tributary-node program (default: the one of this build)", "PATH" },
  { "keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep, "Keep the runs' folders", NULL },
  { "seed", 0, 0, G_OPTION_ARG_INT64, &opt_seed,
    "Seed every participant's training with this (default 0: a random one each round), so that "
    "a run can be repeated exactly", "S" },
  { NULL }
};

typedef struct _Run Run;

typedef struct
{
  Run            *run;
  guint           index;
  Attack          attack;     /* ATTACK_NONE for an honest participant */
  guint8         *secret_key;
  TrbClient      *client;
  TrbStore       *store;
  TrbContributor *contributor;
  TrbTrainingSet *data;
  GThread        *thread;
  GError         *error;
  gint64          refused_round;  /* the round the node refused this participant's update in */
  gint64          points;     /* thousandths of a point, from the ledger */
} Participant;

struct _Run
{
  const char   *strategy;
  Attack        attack;
  guint         n;
  char         *dir;
  char         *url;
  GSubprocess  *node;
  GCancellable *cancellable;
  Participant   participants[MAX_PARTICIPANTS];
  double        accuracy[MAX_ROUNDS];
  guint         n_closed;
  double        seconds;
  Participant  *refused;      /* the first participant whose update the node refused */
};

/* The aggregation member for @strategy, with the norm bound of --max-update-norm. */
static char *
aggregation_json (const char *strategy)
{
  g_autoptr(GString) json = g_string_new ("{");
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  if (g_str_equal (strategy, "fedavg-capped"))
    /* The cap an operator would choose: what an honest participant holds. */
    g_string_append_printf (json, "\"strategy\": \"fedavg\", \"max_samples_per_update\": %d",
                            opt_samples);
  else
    g_string_append_printf (json, "\"strategy\": \"%s\"", strategy);
  if (g_str_equal (strategy, "trimmed_mean"))
    /* β such that ⌊β n⌋ is the number of attackers (at least one value each side). */
    g_string_append_printf (json, ", \"trim_fraction\": %s",
                            g_ascii_formatd (number, sizeof number, "%.4f",
                                             MIN (0.49, (MAX (opt_attackers, 1) + 0.5) /
                                                  opt_participants)));
  if (g_str_equal (strategy, "multi_krum"))
    g_string_append_printf (json, ", \"attackers\": %d", MAX (opt_attackers, 1));
  if (opt_max_update_norm > 0)
    g_string_append_printf (json, ", \"max_update_norm\": %s, \"norm_bound\": \"clip\"",
                            g_ascii_formatd (number, sizeof number, "%g", opt_max_update_norm));
  g_string_append_c (json, '}');
  return g_string_free (g_steal_pointer (&json), FALSE);
}

/* The model --model names, or NULL. */
static const char *
model_json (void)
{
  if (opt_model == NULL || g_str_equal (opt_model, "2nn"))
    return trb_model_spec_json_2nn ();
  if (g_str_equal (opt_model, "niid-cnn"))
    return trb_model_spec_json_niid_cnn ();
  return NULL;
}

/* The task: the chosen model (the demo's 2NN by default) on Fashion-MNIST, trained with SGD as
 * the options say, rounds that close once every participant sent its update. Multi-Krum needs max_updates ≥ 2f + 3, more than a small run has participants: the
 * round then closes at its one-second deadline once min_updates (everyone) arrived. */
static char *
task_json (const char *strategy)
{
  g_autofree char *aggregation = aggregation_json (strategy);
  g_autofree char *eval = g_build_filename (FASHION_DIR, "t10k-images-idx3-ubyte.gz", NULL);
  int max_updates = MAX (opt_participants, 2 * MAX (opt_attackers, 1) + 3);
  char learning_rate[G_ASCII_DTOSTR_BUF_SIZE];
  char momentum[G_ASCII_DTOSTR_BUF_SIZE];

  /* Numbers in JSON have a decimal point whatever the locale. */
  g_ascii_formatd (learning_rate, sizeof learning_rate, "%g", opt_learning_rate);
  g_ascii_formatd (momentum, sizeof momentum, "%g", opt_momentum);

  return g_strdup_printf ("{\"id\": \"" TASK_ID "\", \"title\": \"Robustness bench\","
                          " \"model\": %s,"
                          " \"data_schema\": {\"kind\": \"image-classification\", \"width\": 28,"
                          " \"height\": 28, \"channels\": 1, \"classes\": 10,"
                          " \"formats\": [\"idx\"]},"
                          " \"hyper_parameters\": {\"local_epochs\": %d, \"batch_size\": %d,"
                          " \"learning_rate\": %s, \"momentum\": %s, \"optimizer\": \"sgd\"},"
                          " \"round_policy\": {\"duration_seconds\": 1, \"min_updates\": %d,"
                          " \"max_updates\": %d, \"fraction\": 1.0,"
                          " \"max_update_value\": %g},"
                          " \"reward_policy\": {\"points_per_sample_epoch\": 0.001,"
                          " \"cap_per_round\": 10},"
                          " \"aggregation\": %s,"
                          " \"initial_weights\": {\"seed\": 42},"
                          " \"evaluation\": {\"path\": \"%s\", \"max_samples\": %d}}",
                          model_json (), opt_epochs, opt_batch_size, learning_rate, momentum,
                          opt_participants, max_updates,
                          MAX_UPDATE_VALUE, aggregation, eval, opt_eval_samples);
}

static char *
node_binary (void)
{
  if (opt_node != NULL)
    return g_strdup (opt_node);
  return g_strdup (TRB_BENCH_NODE_PROGRAM);
}

/* The node dies with the bench, so that an interrupted run never leaves a server behind. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
start_node (Run      *run,
            GError  **error)
{
  g_autofree char *binary = node_binary ();
  g_autofree char *task = task_json (run->strategy);
  g_autofree char *task_path = g_build_filename (run->dir, "task.json", NULL);
  g_autofree char *data = g_build_filename (run->dir, "node", NULL);
  g_autofree char *url_file = g_build_filename (run->dir, "url", NULL);
  g_autofree char *log = g_build_filename (run->dir, "node.log", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) init = NULL;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  char *contents = NULL;

  if (!g_file_set_contents (task_path, task, -1, error))
    return FALSE;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  init = g_subprocess_launcher_spawn (launcher, error, binary, "init", "--data", data, "--name",
                                      "Robustness bench", "--task", task_path, NULL);
  if (init == NULL || !g_subprocess_wait_check (init, NULL, error))
    {
      g_autofree char *text = NULL;

      if (g_file_get_contents (log, &text, NULL, NULL))
        g_printerr ("%s", text);
      return FALSE;
    }

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  run->node = g_subprocess_launcher_spawn (launcher, error, binary, "serve", "--data", data,
                                           "--listen", "127.0.0.1:0", "--url-file", url_file,
                                           NULL);
  if (run->node == NULL)
    return FALSE;
  while (!g_file_get_contents (url_file, &contents, NULL, NULL))
    {
      if (g_get_monotonic_time () > deadline || g_subprocess_get_identifier (run->node) == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "The node did not start; its messages are in %s", log);
          return FALSE;
        }
      g_usleep (20000);
    }
  run->url = g_strstrip (contents);
  return TRUE;
}

/* The attacks, applied to the update an honest participant would send. */
static void
attack_hook (TrbWeights *update,
             gint64      round,
             gpointer    user_data)
{
  Participant *p = user_data;

  switch (p->attack)
    {
    case ATTACK_NONE:
      break;
    case ATTACK_SCALED:
      trb_weights_add_scaled (update, update, 999.0, NULL);
      break;
    case ATTACK_SIGN_FLIP:
      trb_weights_add_scaled (update, update, -2.0, NULL);
      break;
    case ATTACK_SAMPLES:
      /* A sign-flipped update that claims 10⁹ samples: all of FedAvg's weight, used to undo the
       * honest participants' work. */
      trb_weights_add_scaled (update, update, -2.0, NULL);
      trb_weights_set_metadata (update, "samples", "1000000000");
      break;
    case ATTACK_RANDOM:
      trb_weights_add_scaled (update, update, -1.0, NULL);
      trb_weights_add_gaussian_noise (update, 1.0,
                                      (guint64) round * MAX_PARTICIPANTS + p->index + 1);
      break;
    case ATTACK_ZERO:
      trb_weights_add_scaled (update, update, -1.0, NULL);
      break;
    default:
      g_assert_not_reached ();
    }
  if (p->attack == ATTACK_SCALED || p->attack == ATTACK_RANDOM)
    for (guint t = 0; t < trb_weights_get_n_tensors (update); t++)
      {
        float *values = trb_weights_get_data (update, t);

        for (gsize i = 0; i < trb_weights_get_n_elements (update, t); i++)
          values[i] = CLAMP (values[i], -MAX_UPDATE_VALUE, MAX_UPDATE_VALUE);
      }
}

static gpointer
participant_thread (gpointer user_data)
{
  Participant *p = user_data;
  Run *run = p->run;
  g_autoptr(GMainContext) context = g_main_context_new ();
  gint64 round = 0;

  g_main_context_push_thread_default (context);
  if (trb_contributor_connect (p->contributor, &p->error) &&
      trb_contributor_join (p->contributor, &p->error))
    for (int i = 0; i < opt_rounds; i++)
      {
        gint64 done = trb_contributor_contribute (p->contributor, TASK_ID, p->data, round,
                                                  ROUND_TIMEOUT_S, &p->error);

        if (done == 0)
          break;
        round = done;
      }
  /* A refusal is a result: the network cannot go on as it is (an honest participant refused
   * after the model was wrecked). Every participant takes part in every round, so the round
   * refused is the one after the last one contributed to. */
  if (trb_client_error_get_problem (p->error) != NULL)
    p->refused_round = round + 1;
  /* Whatever stopped a participant, its round cannot close: the others stop too. */
  if (p->error != NULL)
    g_cancellable_cancel (run->cancellable);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static gboolean
setup_participant (Run     *run,
                   guint    index,
                   GError **error)
{
  Participant *p = &run->participants[index];
  g_autofree char *images = g_build_filename (FASHION_DIR, "train-images-idx3-ubyte.gz", NULL);
  g_autofree char *store_path = g_strdup_printf ("%s/participant-%u.db", run->dir, index);
  guint8 public_key[32];

  p->run = run;
  p->index = index;
  /* The attackers are the last participants. */
  p->attack = index >= run->n - (guint) opt_attackers ? run->attack : ATTACK_NONE;
  p->secret_key = sodium_malloc (64);
  crypto_sign_keypair (public_key, p->secret_key);
  p->store = trb_store_new_for_path (store_path, error);
  if (p->store == NULL || !trb_contributor_migrate (p->store, error))
    return FALSE;
  /* Each its own share of the training set, the same in every run. */
  p->data = trb_training_set_load (images, index, run->n, opt_samples, NULL, error);
  if (p->data == NULL)
    return FALSE;
  p->client = trb_client_new (run->url);
  trb_client_set_identity (p->client, p->secret_key);
  p->contributor = trb_contributor_new (p->client, p->store);
  trb_contributor_set_device (p->contributor, "cpu");
  trb_contributor_set_cancellable (p->contributor, run->cancellable);
  if (opt_seed != 0)
    trb_contributor_set_training_seed (p->contributor, (guint64) opt_seed * 1000 + index + 1);
  if (p->attack != ATTACK_NONE)
    trb_contributor_set_update_hook (p->contributor, attack_hook, p);
  return TRUE;
}

static Participant *
find_participant (Run        *run,
                  const char *address)
{
  for (guint i = 0; i < run->n; i++)
    if (g_strcmp0 (trb_client_get_address (run->participants[i].client), address) == 0)
      return &run->participants[i];
  return NULL;
}

/* Reads the accuracy after each round and the points of each participant from the ledger,
 * once the last round's rewards are in it (the next round opened). */
static gboolean
read_ledger (Run     *run,
             GError **error)
{
  g_autoptr(TrbClient) client = trb_client_new (run->url);
  gint64 deadline = g_get_monotonic_time () + ROUND_TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      gboolean next_opened = FALSE;
      guint64 start = 0;

      run->n_closed = 0;
      for (guint i = 0; i < run->n; i++)
        run->participants[i].points = 0;
      for (;;)
        {
          g_autoptr(JsonObject) page = trb_client_get_entries_sync (client, start, start + 1000,
                                                                    NULL, error);
          JsonArray *list;
          guint length;

          if (page == NULL)
            return FALSE;
          list = json_object_get_array_member (page, "entries");
          length = list != NULL ? json_array_get_length (list) : 0;
          for (guint i = 0; i < length; i++)
            {
              const char *text = json_array_get_string_element (list, i);
              g_autoptr(TrbLedgerEntry) entry = trb_ledger_entry_parse (text, strlen (text),
                                                                        error);
              gint64 round;

              if (entry == NULL)
                return FALSE;
              round = trb_ledger_entry_get_round (entry);
              switch (trb_ledger_entry_get_entry_type (entry))
                {
                case TRB_LEDGER_ENTRY_ROUND_CLOSED:
                  if (round >= 1 && round <= opt_rounds)
                    {
                      double accuracy = NAN;

                      for (guint m = 0; m < trb_ledger_entry_get_n_metrics (entry); m++)
                        {
                          double value;
                          const char *name = trb_ledger_entry_get_metric (entry, m, &value);

                          if (g_str_equal (name, "eval_accuracy"))
                            accuracy = value;
                        }
                      run->accuracy[round - 1] = accuracy;
                      run->n_closed = MAX (run->n_closed, (guint) round);
                    }
                  break;
                case TRB_LEDGER_ENTRY_REWARD:
                  {
                    Participant *p = find_participant (run,
                                                       trb_ledger_entry_get_participant (entry));

                    if (p != NULL && round <= opt_rounds)
                      p->points += trb_ledger_entry_get_points (entry);
                  }
                  break;
                case TRB_LEDGER_ENTRY_ROUND_OPENED:
                  if (round > opt_rounds)
                    next_opened = TRUE;
                  break;
                default:
                  break;
                }
            }
          if (length < 1000)
            break;
          start += length;
        }
      /* After a refusal, the rounds before it are all there will be. */
      if (next_opened || run->refused != NULL)
        return TRUE;
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "Round %d did not close in time", opt_rounds);
          return FALSE;
        }
      g_usleep (200000);
    }
}

static void
run_clear (Run *run)
{
  for (guint i = 0; i < run->n; i++)
    {
      Participant *p = &run->participants[i];

      g_clear_object (&p->contributor);
      g_clear_object (&p->client);
      g_clear_object (&p->store);
      g_clear_object (&p->data);
      g_clear_error (&p->error);
      if (p->secret_key != NULL)
        sodium_free (p->secret_key);
      p->secret_key = NULL;
    }
  if (run->node != NULL)
    {
      g_subprocess_send_signal (run->node, SIGTERM);
      g_subprocess_wait (run->node, NULL, NULL);
    }
  g_clear_object (&run->node);
  g_clear_object (&run->cancellable);
  g_clear_pointer (&run->url, g_free);
  if (run->dir != NULL && !opt_keep)
    {
      g_autofree char *command = g_strdup_printf ("rm -rf -- '%s'", run->dir);

      /* A folder this run made under the temporary folder, named by g_dir_make_tmp(). */
      g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
    }
  else if (run->dir != NULL)
    g_printerr ("Kept %s\n", run->dir);
  g_clear_pointer (&run->dir, g_free);
}

static gboolean
run_once (Run         *run,
          const char  *strategy,
          Attack       attack,
          GError     **error)
{
  gint64 start = g_get_monotonic_time ();

  memset (run, 0, sizeof *run);
  run->strategy = strategy;
  run->attack = attack;
  run->n = (guint) opt_participants;
  run->cancellable = g_cancellable_new ();
  for (guint i = 0; i < MAX_ROUNDS; i++)
    run->accuracy[i] = NAN;
  run->dir = g_dir_make_tmp ("tributary-bench-XXXXXX", error);
  if (run->dir == NULL || !start_node (run, error))
    return FALSE;
  for (guint i = 0; i < run->n; i++)
    if (!setup_participant (run, i, error))
      return FALSE;
  for (guint i = 0; i < run->n; i++)
    run->participants[i].thread = g_thread_new ("participant", participant_thread,
                                                &run->participants[i]);
  for (guint i = 0; i < run->n; i++)
    g_thread_join (run->participants[i].thread);
  for (guint i = 0; i < run->n; i++)
    if (run->participants[i].refused_round > 0 &&
        (run->refused == NULL || run->participants[i].refused_round < run->refused->refused_round))
      run->refused = &run->participants[i];
  for (guint i = 0; i < run->n && run->refused == NULL; i++)
    if (run->participants[i].error != NULL &&
        !g_error_matches (run->participants[i].error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Participant %u: %s", i + 1,
                     run->participants[i].error->message);
        return FALSE;
      }
  if (!read_ledger (run, error))
    return FALSE;
  run->seconds = (g_get_monotonic_time () - start) / 1e6;
  return TRUE;
}

static void
print_accuracy (double value)
{
  if (isnan (value))
    g_print ("  %6s", "-");
  else
    g_print ("  %6.3f", value);
}

/* The runs of one strategy and attack, averaged. */
typedef struct
{
  const char *strategy;
  Attack      attack;
  guint       n;
  guint       runs;
  double      accuracy[MAX_ROUNDS];   /* sums, then means */
  guint       n_accuracy[MAX_ROUNDS];
  double      points[MAX_PARTICIPANTS];
  gboolean    attacker[MAX_PARTICIPANTS];
  double      seconds;
  guint       stopped;
  char       *stop_note;              /* the first stop's */
} Result;

static void
result_clear (Result *result)
{
  g_clear_pointer (&result->stop_note, g_free);
}

/* Runs @strategy against @attack --repeat times into @result. */
static gboolean
run_repeated (Result      *result,
              const char  *strategy,
              Attack       attack,
              GError     **error)
{
  memset (result, 0, sizeof *result);
  result->strategy = strategy;
  result->attack = attack;
  result->n = (guint) opt_participants;
  for (int k = 0; k < opt_repeat; k++)
    {
      Run run;
      gboolean ok = run_once (&run, strategy, attack, error);

      if (ok)
        {
          result->runs++;
          result->seconds += run.seconds;
          for (int r = 0; r < opt_rounds; r++)
            if (!isnan (run.accuracy[r]))
              {
                result->accuracy[r] += run.accuracy[r];
                result->n_accuracy[r]++;
              }
          for (guint i = 0; i < run.n; i++)
            {
              result->points[i] += (double) run.participants[i].points / TRB_POINTS_SCALE;
              result->attacker[i] = run.participants[i].attack != ATTACK_NONE;
            }
          if (run.refused != NULL)
            {
              result->stopped++;
              if (result->stop_note == NULL)
                result->stop_note =
                  g_strdup_printf ("round %" G_GINT64_FORMAT ": the node refused the update of "
                                   "%s%u (%s)", run.refused->refused_round,
                                   run.refused->attack != ATTACK_NONE ? "A" : "H",
                                   run.refused->index + 1,
                                   trb_client_error_get_problem (run.refused->error));
            }
        }
      run_clear (&run);
      if (!ok)
        return FALSE;
    }
  for (int r = 0; r < opt_rounds; r++)
    result->accuracy[r] = result->n_accuracy[r] > 0 ? result->accuracy[r] / result->n_accuracy[r]
                                                    : NAN;
  for (guint i = 0; i < result->n; i++)
    result->points[i] /= result->runs;
  result->seconds /= result->runs;
  return TRUE;
}

/* One line of the table: the accuracy after each round (the baseline's beside it), the
 * attackers' share of the points and each participant's points, each the mean of the runs. */
static void
print_row (Result *result,
           Result *baseline)
{
  double total = 0, attackers = 0;
  g_autoptr(GString) points = g_string_new (NULL);

  g_print ("%-14s %-14s", result->strategy, attacks[result->attack].label);
  for (int r = 0; r < opt_rounds; r++)
    {
      print_accuracy (result->accuracy[r]);
      if (baseline != NULL && baseline != result)
        g_print (" (%5.3f)", baseline->accuracy[r]);
      else
        g_print ("        ");
    }
  for (guint i = 0; i < result->n; i++)
    {
      total += result->points[i];
      if (result->attacker[i])
        attackers += result->points[i];
      g_string_append_printf (points, "%s%s%u %.2f", i > 0 ? ", " : "",
                              result->attacker[i] ? "A" : "H", i + 1, result->points[i]);
    }
  if (result->attack == ATTACK_NONE)
    g_print ("  %7s", "-");
  else
    g_print ("  %6.1f%%", total > 0 ? 100 * attackers / total : 0);
  g_print ("  %5.0f s  %s\n", result->seconds, points->str);
  if (result->stopped > 0)
    g_print ("%29s stopped in %u of %u runs; %s\n", "", result->stopped, result->runs,
             result->stop_note);
}

static gboolean
parse_list (const char  *text,
            const char  *what,
            const char  *const *names,
            guint        n_names,
            GArray      *chosen,
            GError     **error)
{
  g_auto(GStrv) items = g_strsplit (text, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *item = g_strstrip (items[i]);
      gboolean found = FALSE;

      for (guint j = 0; j < n_names; j++)
        if (g_str_equal (item, "all") || g_str_equal (item, names[j]))
          {
            g_array_append_val (chosen, j);
            found = TRUE;
          }
      if (!found)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "Unknown %s \"%s\"",
                       what, item);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * trb_bench_robustness_main:
 * @argc: the arguments' count, the first being "robustness"
 * @argv: the arguments
 *
 * Runs `tributary-bench robustness`.
 *
 * Returns: the exit status
 */
int
trb_bench_robustness_main (int    argc,
                           char **argv)
{
  g_autoptr(GOptionContext) context =
    g_option_context_new ("- how attackers move the model and the rewards");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) chosen_attacks = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) chosen_strategies = g_array_new (FALSE, FALSE, sizeof (guint));
  const char *attack_names[G_N_ELEMENTS (attacks)];

  g_set_prgname ("tributary-bench robustness");
  g_option_context_set_summary (context,
                                "Starts a tributary-node on 127.0.0.1 for each strategy and "
                                "attack, with honest participants and attackers in this "
                                "process, and prints the hold-out accuracy after each round "
                                "beside the honest-only run of the same task, with each "
                                "participant's points (H honest, A attacker).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("tributary-bench robustness: %s\n", error->message);
      return 2;
    }
  for (guint i = 0; i < G_N_ELEMENTS (attacks); i++)
    attack_names[i] = attacks[i].name;
  /* "all" leaves out "none": the baseline runs anyway. */
  if (!parse_list (opt_attack ? opt_attack : "scaled", "attack", attack_names + 1,
                   G_N_ELEMENTS (attacks) - 1, chosen_attacks, &error) ||
      !parse_list (opt_strategy ? opt_strategy : "fedavg,median,multi_krum", "strategy",
                   (const char * const *) strategies, G_N_ELEMENTS (strategies),
                   chosen_strategies, &error))
    {
      g_printerr ("tributary-bench robustness: %s\n", error->message);
      return 2;
    }
  if (opt_rounds < 1 || opt_rounds > MAX_ROUNDS || opt_participants < 2 ||
      opt_participants > MAX_PARTICIPANTS || opt_attackers < 0 ||
      2 * opt_attackers >= opt_participants || opt_samples < 1 || opt_eval_samples < 1 ||
      opt_epochs < 1 || opt_epochs > 100 || opt_max_update_norm < 0 || opt_repeat < 1 ||
      opt_repeat > 100 || model_json () == NULL || opt_batch_size < 1 ||
      opt_batch_size > 4096 || !(opt_learning_rate > 0) || !(opt_momentum >= 0) ||
      !(opt_momentum < 1))
    {
      g_printerr ("tributary-bench robustness: rounds 1 to %d, participants 2 to %d, fewer than "
                  "half of them attackers, positive sample counts, epochs and repeats 1 to 100, "
                  "the model 2nn or niid-cnn, a batch of 1 to 4096, a positive learning rate and "
                  "a momentum from 0 to below 1\n",
                  MAX_ROUNDS, MAX_PARTICIPANTS);
      return 2;
    }
  if (sodium_init () < 0)
    return 1;

  g_print ("%d participants, %d of them attackers; %d training samples each, Fashion-MNIST %s,\n"
           "%d local epoch(s), SGD learning rate %g, momentum %g, batch %d, %d rounds;\n"
           "hold-out accuracy (eval_accuracy, %d samples) after each round, the honest-only run\n"
           "of the same task in parentheses; norm bound %g (0: none); each line the mean of %d\n"
           "run(s)\n\n",
           opt_participants, opt_attackers, opt_samples,
           opt_model != NULL && g_str_equal (opt_model, "niid-cnn") ? "NIID-Bench CNN" : "2NN",
           opt_epochs, opt_learning_rate, opt_momentum, opt_batch_size, opt_rounds,
           opt_eval_samples, opt_max_update_norm, opt_repeat);
  g_print ("%-14s %-14s", "strategy", "attack");
  for (int r = 0; r < opt_rounds; r++)
    g_print ("  round %-2d        ", r + 1);
  g_print ("  %7s  %7s  %s\n", "A share", "time", "points per participant");

  for (guint s = 0; s < chosen_strategies->len; s++)
    {
      const char *strategy = strategies[g_array_index (chosen_strategies, guint, s)];
      Result baseline;

      if (!run_repeated (&baseline, strategy, ATTACK_NONE, &error))
        {
          g_printerr ("tributary-bench robustness: %s, honest-only: %s\n", strategy,
                      error->message);
          result_clear (&baseline);
          return 1;
        }
      print_row (&baseline, &baseline);
      for (guint a = 0; a < chosen_attacks->len && opt_attackers > 0; a++)
        {
          Attack attack = g_array_index (chosen_attacks, guint, a) + 1;
          Result result;

          if (!run_repeated (&result, strategy, attack, &error))
            {
              g_printerr ("tributary-bench robustness: %s, %s: %s\n", strategy,
                          attacks[attack].name, error->message);
              g_clear_error (&error);
            }
          else
            print_row (&result, &baseline);
          result_clear (&result);
        }
      result_clear (&baseline);
    }
  return 0;
}
