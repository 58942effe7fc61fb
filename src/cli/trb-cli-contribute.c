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

int
trb_cli_contribute (int    argc,
                    char **argv)
{
  g_autofree char *network_id = NULL;
  g_autofree char *dataset = NULL;
  g_autofree char *share = NULL;
  g_autofree char *device = NULL;
  int rounds = 1, max_samples = 0, timeout = 600;
  guint part = 0, n_parts = 1;
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbCliNetwork) network = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  g_autoptr(TrbTrainingSet) data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  gint64 last = 0;
  int status;
  const GOptionEntry entries[] = {
    { "network", 0, 0, G_OPTION_ARG_STRING, &network_id, N_("The network (see “networks”)"),
      N_("ID") },
    { "dataset", 0, 0, G_OPTION_ARG_FILENAME, &dataset,
      N_("Local data: an IDX image file or a folder holding one, a CSV table, or a folder with "
         "one sub-folder of pictures per class"), N_("PATH") },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, N_("How many rounds to take part in"), N_("N") },
    { "share", 0, 0, G_OPTION_ARG_STRING, &share,
      N_("Use only share K of N of the data (every N-th sample)"), N_("K/N") },
    { "max-samples", 0, 0, G_OPTION_ARG_INT, &max_samples, N_("Use at most N samples"),
      N_("N") },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, N_("Seconds to wait for a round"), N_("S") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device,
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
  if (dataset == NULL)
    {
      trb_cli_printerr ("%s", _("Say which data to train on with --dataset PATH."));
      return 2;
    }
  if (rounds < 1 || rounds > 100000 || max_samples < 0 || timeout < 1)
    {
      trb_cli_printerr ("%s", _("--rounds, --max-samples and --timeout must be positive."));
      return 2;
    }
  if (share != NULL && (sscanf (share, "%u/%u", &part, &n_parts) != 2 || n_parts < 1 ||
                        part < 1 || part > n_parts || n_parts > 10000))
    {
      trb_cli_printerr ("%s", _("--share must look like 2/5."));
      return 2;
    }
  if (share != NULL)
    part--;

  if (!(store = trb_cli_open_store ()))
    return 1;
  if (!(network = trb_cli_find_network (store, network_id)))
    return 1;
  if (network->task == NULL)
    {
      trb_cli_printerr ("%s", _("This network has no task to contribute to."));
      return 1;
    }

  data = trb_training_set_load (dataset, part, n_parts, max_samples, NULL, &error);
  if (data == NULL)
    {
      trb_cli_print_error (error);
      return 1;
    }
  printf (g_dngettext (GETTEXT_PACKAGE,
                       "Training on %zu local sample; only model updates are sent.\n",
                       "Training on %zu local samples; only model updates are sent.\n",
                       trb_training_set_get_n_samples (data)),
          trb_training_set_get_n_samples (data));

  if (!(contributor = trb_cli_connect_status (store, network, NULL, &status)))
    return status;
  trb_contributor_set_device (contributor, device);
  if (!trb_contributor_join (contributor, &error))
    {
      trb_cli_print_error (error);
      return 1;
    }
  /* Nothing is trained for a network before its ledger is checked: every entry it serves is
   * hashed against its signed tree, so that an edited, shrunk or forked ledger stops this at
   * once, with the evidence kept. */
  if (!trb_contributor_sync (contributor, FALSE, &error))
    {
      trb_cli_print_error (error);
      return g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED) ? 3 : 1;
    }

  for (int i = 0; i < rounds; i++)
    {
      gint64 round = trb_contributor_contribute (contributor, network->task, data, last, timeout,
                                                 &error);

      if (round == 0)
        {
          trb_cli_print_error (error);
          return g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED) ? 3 : 1;
        }
      last = round;
      if (!trb_contributor_sync (contributor, TRUE, &error))
        {
          trb_cli_print_error (error);
          return g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED) ? 3 : 1;
        }
      guint64 size = trb_contributor_get_verified_size (contributor);

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
