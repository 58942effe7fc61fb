/* trb-cli-history.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tributary-cli history: the verified history of a network; with --csv, its reward entries as
 * CSV from the local verified copy of the ledger, the same data the History area shows.
 */

#define G_LOG_DOMAIN "trb-cli-history"

#include "config.h"

#include "trb-cli-history.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "participant/trb-history.h"
#include "participant/trb-rewards.h"
#include "trb-cli.h"
#include "trb-cli-network.h"

static int
history_csv (const char *network_id,
             gboolean    no_witness,
             gboolean    offline)
{
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbCliNetwork) network = NULL;
  g_autoptr(TrbHistory) history = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *csv = NULL;

  if (!(store = trb_cli_open_store ()))
    return 1;
  if (!(network = trb_cli_find_network (store, network_id)))
    return 1;
  history = trb_history_new (store, &error);
  if (history == NULL)
    {
      trb_cli_printerr ("%s", error->message);
      return 1;
    }

  if (!offline)
    {
      g_autoptr(TrbClient) client = NULL;
      int status;
      g_autoptr(TrbContributor) contributor = trb_cli_connect_status (store, network, &client,
                                                                      &status);

      /* The contributor's check first: every entry hashed against the verified tree, each kind
       * of tampering named and its evidence kept. */
      if (contributor == NULL)
        return status;
      if (!trb_contributor_sync (contributor, FALSE, &error))
        {
          trb_cli_print_error (error);
          return g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED) ? 3 : 1;
        }
      if (!trb_history_sync (history, client, network->origin, !no_witness, NULL, &error))
        {
          trb_cli_printerr ("%s", error->message);
          return g_error_matches (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_INCONSISTENT) ||
                 g_error_matches (error, TRB_HISTORY_ERROR, TRB_HISTORY_ERROR_HALTED) ? 3 : 1;
        }
    }

  records = trb_history_list_rewards (history, network->origin, &error);
  if (records == NULL)
    {
      trb_cli_printerr ("%s", error->message);
      return 1;
    }
  csv = trb_rewards_to_csv (records);
  fputs (csv, stdout);
  return 0;
}

/**
 * trb_cli_history_main:
 *
 * `tributary-cli history [--network ID] [--csv [--offline] [--no-witness]]`.
 *
 * Returns: the exit status
 */
int
trb_cli_history_main (int    argc,
                      char **argv)
{
  g_autofree char *network_id = NULL;
  gboolean csv = FALSE, offline = FALSE, no_witness = FALSE;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) copy = NULL;
  const GOptionEntry entries[] = {
    { "network", 0, 0, G_OPTION_ARG_STRING, &network_id, N_("The network (see “networks”)"),
      N_("ID") },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, N_("Write the reward entries as CSV"), NULL },
    { "offline", 0, 0, G_OPTION_ARG_NONE, &offline,
      N_("With --csv: use the local verified copy without asking the network"), NULL },
    { "no-witness", 0, 0, G_OPTION_ARG_NONE, &no_witness,
      N_("Do not cosign the checkpoint once verified"), NULL },
    { NULL }
  };

  /* Without --csv, the ledger's own history listing answers, with its own options. */
  for (int i = 1; i < argc && !csv; i++)
    csv = g_str_equal (argv[i], "--csv");
  if (!csv)
    return trb_cli_history (argc, argv);

  copy = g_strdupv (argv);
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Show this wallet’s rewards in a network, each "
                                           "verified against the ledger."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  /* The strv form frees the arguments it takes out of the copy. */
  if (!g_option_context_parse_strv (context, &copy, &error))
    {
      trb_cli_printerr ("%s", error->message);
      return 2;
    }
  return history_csv (network_id, no_witness, offline);
}
