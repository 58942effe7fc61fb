/* trb-cli-network.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tributary-cli join, networks and status.
 */

#define G_LOG_DOMAIN "trb-cli-network"

#include "config.h"

#include "trb-cli-network.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "ledger/trb-ledger-history.h"
#include "trb-cli.h"
#include "wallet/trb-wallet-keyring.h"
#include "wallet/trb-wallet-manager.h"
#include "wallet/trb-wallet.h"
#include "trb-json.h"
#include "store/trb-store-net.h"

void
trb_cli_network_free (TrbCliNetwork *network)
{
  if (network == NULL)
    return;
  g_free (network->origin);
  g_free (network->name);
  g_free (network->url);
  g_free (network->ledger_key);
  g_free (network->address);
  g_free (network->task);
  g_free (network);
}

TrbStore *
trb_cli_open_store (void)
{
  g_autofree char *path = trb_store_default_path ();
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(GError) error = NULL;

  store = trb_store_new_for_path (path, &error);
  if (store == NULL || !trb_contributor_migrate (store, &error))
    {
      /* Translators: the first %s is a file's path, the second the reason. */
      trb_cli_printerr (_("The local data in “%s” cannot be used: %s"), path, error->message);
      return NULL;
    }
  return g_steal_pointer (&store);
}

/**
 * trb_cli_list_networks:
 *
 * Returns: (transfer full) (element-type TrbCliNetwork): the networks joined, by origin
 */
GPtrArray *
trb_cli_list_networks (TrbStore *store)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_cli_network_free);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  rows = trb_store_net_list_joined (store, &error);
  if (rows == NULL)
    {
      /* Translators: the reason follows. */
      trb_cli_printerr (_("The networks joined could not be read: %s"), error->message);
      return out;
    }
  for (guint i = 0; i < rows->len; i++)
    {
      TrbStoreNetNetwork *row = g_ptr_array_index (rows, i);
      TrbCliNetwork *network = g_new0 (TrbCliNetwork, 1);

      network->origin = g_steal_pointer (&row->origin);
      network->name = g_steal_pointer (&row->name);
      network->url = g_steal_pointer (&row->url);
      network->ledger_key = g_steal_pointer (&row->ledger_key);
      network->address = g_steal_pointer (&row->address);
      network->task = g_steal_pointer (&row->task);
      network->compromised = row->compromised;
      g_ptr_array_add (out, network);
    }
  return out;
}

/**
 * trb_cli_find_network:
 * @id: (nullable): an origin, a URL or a name; %NULL for the only network joined
 *
 * Prints why when none (or several) match.
 *
 * Returns: (transfer full) (nullable): the network
 */
TrbCliNetwork *
trb_cli_find_network (TrbStore   *store,
                      const char *id)
{
  g_autoptr(GPtrArray) networks = trb_cli_list_networks (store);
  TrbCliNetwork *found = NULL;

  if (networks->len == 0)
    {
      trb_cli_printerr ("%s", _("No network joined yet. Join one with “tributary-cli join URL”."));
      return NULL;
    }
  if (id == NULL)
    {
      if (networks->len > 1)
        {
          trb_cli_printerr ("%s", _("Several networks are joined: name one with --network (see "
                                    "“tributary-cli networks”)."));
          return NULL;
        }
      return g_ptr_array_steal_index (networks, 0);
    }
  for (guint i = 0; i < networks->len; i++)
    {
      TrbCliNetwork *n = g_ptr_array_index (networks, i);

      if (g_str_equal (n->origin, id) || g_str_equal (n->url, id) || g_str_equal (n->name, id))
        {
          found = g_ptr_array_steal_index (networks, i);
          break;
        }
    }
  if (found == NULL)
    trb_cli_printerr (_("No joined network is called “%s”. See “tributary-cli networks”."), id);
  return found;
}

/**
 * trb_cli_load_keypair:
 * @origin: (nullable): the network whose wallet to use
 * @wallet_name: (nullable): a wallet's name or address, else the network's or the default one
 *
 * Reads the wallet's key from the keyring.
 *
 * Returns: (transfer full): the key pair
 */
TrbKeypair *
trb_cli_load_keypair (TrbStore    *store,
                      const char  *origin,
                      const char  *wallet_name,
                      GError     **error)
{
  g_autoptr(TrbWalletManager) manager = trb_wallet_manager_new (store, error);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TrbSecret) material = NULL;
  g_autoptr(TrbSecret) phrase = NULL;
  g_autoptr(TrbSecret) passphrase = NULL;
  g_autoptr(TrbKeypair) pair = NULL;
  TrbWallet *wallet = NULL;

  if (manager == NULL)
    return NULL;
  if (wallet_name != NULL)
    wallet = trb_wallet_manager_lookup (manager, wallet_name);
  else if (origin != NULL)
    {
      g_autoptr(GError) local_error = NULL;

      wallet = trb_wallet_manager_get_for_network (manager, origin, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
  else
    wallet = trb_wallet_manager_get_default (manager);
  if (wallet == NULL)
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           wallet_name != NULL
                             ? _("There is no wallet by that name. See “tributary-cli wallet "
                                 "list”.")
                             : _("There is no wallet yet. Create one with “tributary-cli wallet "
                                 "create”."));
      return NULL;
    }

  trb_wallet_keyring_lookup_async (trb_wallet_get_address (wallet), NULL, trb_cli_got_result_cb,
                                   &result);
  material = trb_wallet_keyring_lookup_finish (trb_cli_wait (&result), error);
  if (material == NULL)
    return NULL;
  if (!trb_wallet_material_decode (material, &phrase, &passphrase, error))
    return NULL;
  pair = trb_keypair_new_from_phrase (trb_secret_get_string (phrase),
                                      passphrase != NULL ? trb_secret_get_string (passphrase)
                                                         : NULL, error);
  if (pair == NULL)
    return NULL;
  if (!g_str_equal (trb_keypair_get_address (pair), trb_wallet_get_address (wallet)))
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The key in the keyring does not belong to this wallet."));
      return NULL;
    }
  if (origin != NULL)
    trb_wallet_manager_set_for_network (manager, origin, wallet, NULL);
  return g_steal_pointer (&pair);
}

/**
 * trb_cli_connect:
 *
 * Connects to a joined network with its wallet and checks the pinned key. Prints why on failure.
 *
 * Returns: (transfer full) (nullable): the contributor
 */
TrbContributor *
trb_cli_connect (TrbStore       *store,
                 TrbCliNetwork  *network,
                 TrbClient     **client_out)
{
  int status;

  return trb_cli_connect_status (store, network, client_out, &status);
}

/**
 * trb_cli_connect_status:
 * @status: (out): the exit status to end with when it fails: 3 when the network's ledger was
 *   tampered with (now or before), 1 otherwise
 *
 * As trb_cli_connect().
 *
 * Returns: (transfer full) (nullable): the contributor
 */
TrbContributor *
trb_cli_connect_status (TrbStore       *store,
                        TrbCliNetwork  *network,
                        TrbClient     **client_out,
                        int            *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbKeypair) pair = NULL;
  g_autoptr(TrbClient) client = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  TrbLedgerTamper found = trb_ledger_tamper_lookup (store, network->origin);

  *status = 1;
  if (network->compromised || found != TRB_LEDGER_TAMPER_NONE)
    {
      /* What was found, in the words used when it was found. */
      if (found != TRB_LEDGER_TAMPER_NONE)
        /* Translators: the first %s is a whole sentence saying what was found in the network's
         * ledger (for example “An entry of this network’s ledger was changed after it was
         * signed.”); the second is the network's name. */
        trb_cli_printerr (_("%s Tributary no longer contributes to “%s”; its evidence is kept."),
                          trb_ledger_tamper_describe (found), network->name);
      else
        trb_cli_printerr (_("“%s” showed a tampered ledger earlier; Tributary no longer "
                            "contributes to it."), network->name);
      *status = 3;
      return NULL;
    }
  pair = trb_cli_load_keypair (store, network->origin, NULL, &error);
  if (pair == NULL)
    {
      trb_cli_print_error (error);
      return NULL;
    }
  client = trb_client_new (network->url);
  trb_client_set_keypair (client, pair);
  contributor = trb_contributor_new (client, store);
  if (!trb_contributor_connect (contributor, &error))
    {
      trb_cli_print_error (error);
      if (g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED))
        *status = 3;
      return NULL;
    }
  if (!g_str_equal (trb_contributor_get_origin (contributor), network->origin))
    {
      /* Translators: the server's address, then the name of the network it now hosts. */
      trb_cli_printerr (_("The server at %s is now another network (%s)."), network->url,
                        trb_contributor_get_origin (contributor));
      return NULL;
    }
  if (client_out != NULL)
    *client_out = g_steal_pointer (&client);
  return g_steal_pointer (&contributor);
}

static gboolean
parse_options (const GOptionEntry  *entries,
               const char          *parameters,
               const char          *summary,
               int                 *argc,
               char              ***argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameters);
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      trb_cli_print_error (error);
      return FALSE;
    }
  return TRUE;
}

static void
print_progress (const char *sentence,
                gpointer    user_data)
{
  printf ("%s\n", sentence);
  fflush (stdout);
}

/* tributary-cli join URL */
int
trb_cli_join (int    argc,
              char **argv)
{
  g_autofree char *wallet_name = NULL;
  g_autofree char *display_name = NULL;
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbKeypair) pair = NULL;
  g_autoptr(TrbClient) client = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *invitation = NULL;
  const GOptionEntry entries[] = {
    { "wallet", 0, 0, G_OPTION_ARG_STRING, &wallet_name, N_("Wallet to join with"), N_("NAME") },
    { "invite", 0, 0, G_OPTION_ARG_STRING, &invitation,
      N_("Invitation code, for a network that accepts participants by invitation"), N_("CODE") },
    { NULL }
  };

  if (!parse_options (entries, _("URL"), _("Join a learning network and pin its ledger key."),
                      &argc, &argv))
    return 2;
  if (argc != 2)
    {
      trb_cli_printerr ("%s", _("Give the network’s address, for example "
                                "“tributary-cli join https://example.org”."));
      return 2;
    }
  uri = g_uri_parse (argv[1], G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
                      g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
    {
      trb_cli_printerr (_("“%s” is not a web address (http:// or https://)."), argv[1]);
      return 2;
    }
  if (!(store = trb_cli_open_store ()))
    return 1;
  pair = trb_cli_load_keypair (store, NULL, wallet_name, &error);
  if (pair == NULL)
    {
      trb_cli_print_error (error);
      return 1;
    }

  client = trb_client_new (argv[1]);
  trb_client_set_keypair (client, pair);
  contributor = trb_contributor_new (client, store);
  trb_contributor_set_invitation (contributor, invitation);
  trb_contributor_set_join_progress (contributor, print_progress, NULL);
  if (!trb_contributor_connect (contributor, &error) ||
      !trb_contributor_join (contributor, &error))
    {
      trb_cli_print_error (error);
      return 1;
    }
  g_clear_object (&pair);
  pair = trb_cli_load_keypair (store, trb_contributor_get_origin (contributor), wallet_name,
                               NULL);

  /* Translators: the network's name, then the wallet's address. */
  printf (_("Joined “%s” as %s.\n"), trb_contributor_get_name (contributor),
          trb_client_get_address (client));
  printf (_("Network ID: %s\n"), trb_contributor_get_origin (contributor));
  /* Translators: the ledger key is shown so that it can be compared with what the operator
   * publishes. */
  printf (_("Ledger key (pinned): %s\n"), trb_contributor_get_ledger_key (contributor));
  return 0;
}

int
trb_cli_networks (int    argc,
                  char **argv)
{
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(GPtrArray) networks = NULL;
  const GOptionEntry entries[] = { { NULL } };

  if (!parse_options (entries, NULL, _("List the networks joined."), &argc, &argv))
    return 2;
  if (!(store = trb_cli_open_store ()))
    return 1;
  networks = trb_cli_list_networks (store);
  if (networks->len == 0)
    {
      printf ("%s\n", _("No network joined yet. Join one with “tributary-cli join URL”."));
      return 0;
    }
  for (guint i = 0; i < networks->len; i++)
    {
      TrbCliNetwork *n = g_ptr_array_index (networks, i);

      printf ("%s\n", n->origin);
      printf ("  %s: %s\n", _("Name"), n->name);
      printf ("  %s: %s\n", _("Address"), n->url);
      printf ("  %s: %s\n", _("Wallet"), n->address != NULL ? n->address : "—");
      printf ("  %s: %s\n", _("Ledger key"), n->ledger_key);
      if (n->compromised)
        printf ("  %s\n", _("Tampered ledger detected: no longer contributing."));
    }
  return 0;
}

static guint
count_receipts (TrbStore   *store,
                const char *origin,
                gboolean    verified)
{
  g_autoptr(GError) error = NULL;
  guint count = 0;

  if (!trb_store_net_count_receipts (store, origin, verified, &count, &error))
    /* Translators: the reason follows. */
    trb_cli_printerr (_("The receipts could not be counted: %s"), error->message);
  return count;
}

int
trb_cli_status (int    argc,
                char **argv)
{
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(GPtrArray) networks = NULL;
  const GOptionEntry entries[] = { { NULL } };

  if (!parse_options (entries, NULL, _("Show the rounds and contributions of each network."),
                      &argc, &argv))
    return 2;
  if (!(store = trb_cli_open_store ()))
    return 1;
  networks = trb_cli_list_networks (store);
  if (networks->len == 0)
    {
      printf ("%s\n", _("No network joined yet. Join one with “tributary-cli join URL”."));
      return 0;
    }
  for (guint i = 0; i < networks->len; i++)
    {
      TrbCliNetwork *n = g_ptr_array_index (networks, i);
      g_autoptr(TrbClient) client = trb_client_new (n->url);
      g_autoptr(JsonObject) round = NULL;
      g_autoptr(GError) error = NULL;

      printf ("%s (%s)\n", n->name, n->origin);
      if (n->compromised)
        printf ("  %s\n", _("Tampered ledger detected: no longer contributing."));
      if (n->task != NULL)
        {
          trb_client_set_retry_policy (client, 2, 200);
          round = trb_client_get_round_sync (client, n->task, NULL, &error);
        }
      /* The lines about one network are indented under its name. */
      fputs ("  ", stdout);
      if (round != NULL)
        {
          gint64 updates = json_object_get_int_member_with_default (round, "updates", 0);

          printf (g_dngettext (GETTEXT_PACKAGE,
                               /* Translators: the task's name, the round's number, its state
                                * as the network names it ("open", "closed"), and how many
                                * updates it has received. */
                               "Task %s: round %lld, %s, %lld update received\n",
                               "Task %s: round %lld, %s, %lld updates received\n",
                               updates > 0 ? (gulong) updates : 0), n->task,
                  (long long) json_object_get_int_member_with_default (round, "round", 0),
                  trb_json_get_string (round, "state", "?"), (long long) updates);
        }
      else
        printf (_("Not reachable now: %s\n"), error != NULL ? error->message : _("no task"));
      fputs ("  ", stdout);
      /* Translators: the number of updates sent, then how many of them the ledger verified. */
      printf (_("Updates sent: %u (%u verified in the ledger)\n"),
              count_receipts (store, n->origin, FALSE), count_receipts (store, n->origin, TRUE));
    }
  return 0;
}
