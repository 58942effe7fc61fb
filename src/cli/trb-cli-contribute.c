/* trb-cli-contribute.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tributary-cli contribute: headless participation in rounds.
 */

#define G_LOG_DOMAIN "trb-cli-contribute"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

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
  return data;
}

/* Prints @error; the exit status says whether the ledger was tampered with. */
static int
report_error (const GError *error)
{
  trb_cli_print_error (error);
  return g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED) ? 3 : 1;
}

/* Takes part in @o->rounds rounds, each verified in the ledger and cosigned. */
static int
run_rounds (Options        *o,
            TrbContributor *contributor,
            const char     *task,
            TrbTrainingSet *data)
{
  gint64 last = 0;

  for (int i = 0; i < o->rounds; i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 round = trb_contributor_contribute (contributor, task, data, last, o->timeout,
                                                 &error);
      guint64 size;

      if (round == 0 || !trb_contributor_sync (contributor, TRUE, &error))
        return report_error (error);
      last = round;
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

int
trb_cli_contribute (int    argc,
                    char **argv)
{
  g_auto(Options) options = { .rounds = 1, .timeout = 600, .n_parts = 1 };
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbCliNetwork) network = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  g_autoptr(TrbTrainingSet) data = NULL;
  g_autoptr(GError) error = NULL;
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
  if (!trb_contributor_join (contributor, &error))
    {
      trb_cli_print_error (error);
      return 1;
    }
  /* Nothing is trained for a network before its ledger is checked: every entry it serves is
   * hashed against its signed tree, so that an edited, shrunk or forked ledger stops this at
   * once, with the evidence kept. */
  if (!trb_contributor_sync (contributor, FALSE, &error))
    return report_error (error);
  return run_rounds (&options, contributor, network->task, data);
}
