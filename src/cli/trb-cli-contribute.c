/* trb-cli-contribute.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tributary-cli contribute: headless participation in rounds. The rounds run in a worker thread
 * while the main thread waits in the CLI's main loop, so that Ctrl-C (SIGINT) or SIGTERM cancels
 * them: the flow stops at its next step, and the command says so and exits.
 */

#define G_LOG_DOMAIN "trb-cli-contribute"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

#include "net/trb-protocol.h"
#include "trb-cli.h"
#include "trb-cli-network.h"

typedef struct
{
  char  *network_id;
  char  *dataset;
  char  *share;
  char  *device;
  int    rounds;
  int    max_samples;
  int    timeout;
  guint  part;
  guint  n_parts;
} Options;

static void
options_clear (Options *options)
{
  g_clear_pointer (&options->network_id, g_free);
  g_clear_pointer (&options->dataset, g_free);
  g_clear_pointer (&options->share, g_free);
  g_clear_pointer (&options->device, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

/* Reads and checks the command's options; 0, or the exit status of a wrong one. */
static int
parse_options (Options   *o,
               int        argc,
               char     **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "network", 0, 0, G_OPTION_ARG_STRING, &o->network_id, N_("The network (see “networks”)"),
      N_("ID") },
    { "dataset", 0, 0, G_OPTION_ARG_FILENAME, &o->dataset,
      N_("Local data: an IDX image file or a folder holding one, a CSV table, or a folder with "
         "one sub-folder of pictures per class"), N_("PATH") },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &o->rounds, N_("How many rounds to take part in"),
      N_("N") },
    { "share", 0, 0, G_OPTION_ARG_STRING, &o->share,
      N_("Use only share K of N of the data (every N-th sample)"), N_("K/N") },
    { "max-samples", 0, 0, G_OPTION_ARG_INT, &o->max_samples, N_("Use at most N samples"),
      N_("N") },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &o->timeout, N_("Seconds to wait for a round"),
      N_("S") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &o->device,
      N_("Where to train: cpu (default), auto, or vulkan:N (see “devices”)"), N_("DEVICE") },
    { NULL }
  };

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Train on local data and send the updates. The data "
                                           "never leaves this computer: only the model changes "
                                           "do."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      trb_cli_print_error (error);
      return 2;
    }
  if (o->dataset == NULL)
    {
      trb_cli_printerr ("%s", _("Say which data to train on with --dataset PATH."));
      return 2;
    }
  if (o->rounds < 1 || o->rounds > 100000 || o->max_samples < 0 || o->timeout < 1)
    {
      trb_cli_printerr ("%s", _("--rounds, --max-samples and --timeout must be positive."));
      return 2;
    }
  if (o->share != NULL &&
      (sscanf (o->share, "%u/%u", &o->part, &o->n_parts) != 2 || o->n_parts < 1 ||
       o->part < 1 || o->part > o->n_parts || o->n_parts > 10000))
    {
      trb_cli_printerr ("%s", _("--share must look like 2/5."));
      return 2;
    }
  if (o->share != NULL)
    o->part--;
  return 0;
}

static TrbTrainingSet *
load_data (Options *o)
{
  g_autoptr(GError) error = NULL;
  TrbTrainingSet *data;

  data = trb_training_set_load (o->dataset, o->part, o->n_parts, o->max_samples, NULL, &error);
  if (data == NULL)
    {
      trb_cli_print_error (error);
      return NULL;
    }
  printf (g_dngettext (GETTEXT_PACKAGE,
                       "Training on %zu local sample; only model updates are sent.\n",
                       "Training on %zu local samples; only model updates are sent.\n",
                       trb_training_set_get_n_samples (data)),
          trb_training_set_get_n_samples (data));
  fflush (stdout);
  return data;
}

/* The exit status of a command stopped by Ctrl-C, as a shell reports a process the signal ended. */
#define STATUS_INTERRUPTED 130

/* Prints @error; the exit status says whether the ledger was tampered with or the person
 * stopped the command. */
static int
report_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Nothing is half-written: a receipt is stored whole or not at all, and an update the node
       * holds without its receipt is recovered by the next run (`duplicate`). */
      trb_cli_printerr ("%s", _("Stopped. Run the command again to go on; a round that was "
                                "not finished starts over."));
      return STATUS_INTERRUPTED;
    }
  trb_cli_print_error (error);
  return g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED) ? 3 : 1;
}

/* What a refused update means for the next try, by its problem type (net/trb-protocol.h). */
static TrbProblemKind
refusal_kind (const GError *error)
{
  if (!g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED))
    return TRB_PROBLEM_KIND_RETRY;
  return trb_problem_kind (trb_client_error_get_problem (error));
}

/* Takes part in @o->rounds rounds, each verified in the ledger and cosigned. As the app's
 * participation loop does, a round missed (`late`, `wrong-round`) waits for the next round, and
 * a permanent refusal is tried again until the TRB_PROTOCOL_MAX_REFUSALS-th in a row, which
 * stops the command; any other failure stops it at once. */
static int
run_rounds (Options        *o,
            TrbContributor *contributor,
            const char     *task,
            TrbTrainingSet *data)
{
  gint64 last = 0;
  guint refusals = 0;

  for (int i = 0; i < o->rounds;)
    {
      g_autoptr(GError) error = NULL;
      gint64 round = trb_contributor_contribute (contributor, task, data, last, o->timeout,
                                                 &error);
      guint64 size;

      if (round == 0 && refusal_kind (error) == TRB_PROBLEM_KIND_ROUND_MISSED)
        {
          /* Translators: %s says why, in the network's words. */
          printf (_("The round closed before this computer’s update was in (%s); waiting for "
                    "the next one.\n"), error->message);
          fflush (stdout);
          refusals = 0;
          continue;
        }
      if (round == 0 && refusal_kind (error) == TRB_PROBLEM_KIND_PERMANENT &&
          ++refusals < TRB_PROTOCOL_MAX_REFUSALS)
        {
          /* Translators: %s says why, in the network's words. */
          printf (_("The network refused this computer’s update (%s); trying once more.\n"),
                  error->message);
          fflush (stdout);
          continue;
        }
      if (round == 0 && refusal_kind (error) == TRB_PROBLEM_KIND_PERMANENT)
        {
          trb_cli_printerr (g_dngettext (GETTEXT_PACKAGE,
                                         /* Translators: %u is a number (3), %s says why in
                                          * the network's words. */
                                         "The network refused this computer’s update %u time "
                                         "in a row (%s). Sending it again would not help, so "
                                         "Tributary stopped. Check that the data fits the "
                                         "network’s task, or ask the network’s owner.",
                                         "The network refused this computer’s update %u times "
                                         "in a row (%s). Sending it again would not help, so "
                                         "Tributary stopped. Check that the data fits the "
                                         "network’s task, or ask the network’s owner.",
                                         refusals), refusals, error->message);
          return 1;
        }
      if (round == 0 || !trb_contributor_sync (contributor, TRUE, &error))
        return report_error (error);
      refusals = 0;
      last = round;
      i++;
      size = trb_contributor_get_verified_size (contributor);
      printf (g_dngettext (GETTEXT_PACKAGE,
                           /* Translators: the first number is the round, the second the size
                            * of the ledger checkpoint that proves the update is in. */
                           "Round %lld: update accepted and verified in the ledger "
                           "(checkpoint of %llu entry).\n",
                           "Round %lld: update accepted and verified in the ledger "
                           "(checkpoint of %llu entries).\n", size),
              (long long) round, (unsigned long long) size);
      fflush (stdout);
    }
  return 0;
}

typedef struct
{
  Options        *options;
  TrbContributor *contributor;
  const char     *task;
  TrbTrainingSet *data;
} Flow;

/* The network's part of the command, in a worker thread: join, check the ledger, the rounds. */
static void
flow_thread (GTask        *gtask,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Flow *flow = task_data;
  g_autoptr(GError) error = NULL;

  if (!trb_contributor_join (flow->contributor, &error))
    {
      g_task_return_int (gtask, report_error (error));
      return;
    }
  /* Nothing is trained for a network before its ledger is checked: every entry it serves is
   * hashed against its signed tree, so that an edited, shrunk or forked ledger stops this at
   * once, with the evidence kept. */
  if (!trb_contributor_sync (flow->contributor, FALSE, &error))
    {
      g_task_return_int (gtask, report_error (error));
      return;
    }
  g_task_return_int (gtask, run_rounds (flow->options, flow->contributor, flow->task,
                                        flow->data));
}

static gboolean
interrupted_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_CONTINUE;
}

/* Runs the flow in a worker thread; Ctrl-C or SIGTERM cancels it, and the worker, which checks
 * the cancellable between steps and hands it to every network call and the trainer, ends within
 * a second. */
static int
run_flow (Flow *flow)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GTask) gtask = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  guint sigint, sigterm;

  trb_contributor_set_cancellable (flow->contributor, cancellable);
  sigint = g_unix_signal_add (SIGINT, interrupted_cb, cancellable);
  sigterm = g_unix_signal_add (SIGTERM, interrupted_cb, cancellable);
  gtask = g_task_new (NULL, cancellable, trb_cli_got_result_cb, &result);
  g_task_set_task_data (gtask, flow, NULL);
  /* The worker's status is its answer, cancelled or not. */
  g_task_set_check_cancellable (gtask, FALSE);
  g_task_run_in_thread (gtask, flow_thread);
  trb_cli_wait (&result);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  return (int) g_task_propagate_int (G_TASK (result), NULL);
}

int
trb_cli_contribute (int    argc,
                    char **argv)
{
  g_auto(Options) options = { .rounds = 1, .timeout = 600, .n_parts = 1 };
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbCliNetwork) network = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  g_autoptr(TrbTrainingSet) data = NULL;
  int status;

  if ((status = parse_options (&options, argc, argv)) != 0)
    return status;
  if (!(store = trb_cli_open_store ()))
    return 1;
  if (!(network = trb_cli_find_network (store, options.network_id)))
    return 1;
  if (network->task == NULL)
    {
      trb_cli_printerr ("%s", _("This network has no task to contribute to."));
      return 1;
    }
  if (!(data = load_data (&options)))
    return 1;

  if (!(contributor = trb_cli_connect_status (store, network, NULL, &status)))
    return status;
  trb_contributor_set_device (contributor, options.device);
  return run_flow (&(Flow) {
    .options = &options,
    .contributor = contributor,
    .task = network->task,
    .data = data,
  });
}
