/* trb-cli-ledger.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tributary-cli ledger verify and history.
 */

#define G_LOG_DOMAIN "trb-cli-ledger"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "ledger/trb-checkpoint.h"
#include "ledger/trb-ledger-entry.h"
#include "ledger/trb-ledger-history.h"
#include "ledger/trb-merkle.h"
#include "net/trb-protocol.h"
#include "participant/trb-rewards.h"
#include "trb-cli.h"
#include "trb-cli-network.h"

/* The whole ledger is checked against the root of a verified checkpoint only up to this size;
 * beyond it, history shows the entries of the receipts, each verified with its own proof. */
#define MAX_ENTRIES_CHECKED 200000

static int
report_error (const GError *error)
{
  trb_cli_printerr ("%s", error->message);
  return g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED) ? 3 : 1;
}

static TrbContributor *
connect_and_verify (const char      *network_id,
                    TrbStore       **store_out,
                    TrbCliNetwork  **network_out,
                    TrbClient      **client_out,
                    int             *status)
{
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbCliNetwork) network = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  g_autoptr(GError) error = NULL;

  *status = 1;
  if (!(store = trb_cli_open_store ()))
    return NULL;
  if (!(network = trb_cli_find_network (store, network_id)))
    return NULL;
  if (!(contributor = trb_cli_connect_status (store, network, client_out, status)))
    return NULL;
  if (!trb_contributor_sync (contributor, FALSE, &error))
    {
      *status = report_error (error);
      return NULL;
    }
  *status = 0;
  *store_out = g_steal_pointer (&store);
  *network_out = g_steal_pointer (&network);
  return g_steal_pointer (&contributor);
}

/* Every entry of the verified tree is fetched and hashed, and the tree they make must have the
 * verified checkpoint's root: an entry edited on the node while its stored tree hashes were
 * left alone is caught here, not only a tree that changed. Memory grows with log2 of the size
 * (a frontier of subtrees), so `ledger verify` checks a ledger of any size. @entries, when
 * given, receives each entry parsed (NULL for one that does not parse).
 *
 * Returns: the exit status: 0, 1 when the ledger could not be read, 3 when it was tampered
 *   with */
static int
check_every_entry (TrbClient      *client,
                   TrbContributor *contributor,
                   guint64         size,
                   GPtrArray      *entries)
{
  TrbMerkleFrontier frontier = { 0 };
  guint8 root[TRB_MERKLE_HASH_SIZE];

  for (guint64 start = 0; start < size; start += TRB_PROTOCOL_LEDGER_PAGE)
    {
      g_autoptr(JsonObject) page = NULL;
      g_autoptr(GError) error = NULL;
      JsonArray *array;

      page = trb_client_get_entries_sync (client, start,
                                          MIN (start + TRB_PROTOCOL_LEDGER_PAGE, size), NULL,
                                          &error);
      if (page == NULL)
        return report_error (error);
      if (!JSON_NODE_HOLDS_ARRAY (json_object_get_member (page, "entries")) ||
          json_object_get_int_member_with_default (page, "start", -1) != (gint64) start)
        {
          trb_cli_printerr ("%s", _("The network sent an unreadable ledger page."));
          return 1;
        }
      array = json_object_get_array_member (page, "entries");
      if (json_array_get_length (array) == 0)
        break;
      for (guint i = 0; i < json_array_get_length (array) && frontier.n_leaves < size; i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          const char *text;
          guint8 leaf[TRB_MERKLE_HASH_SIZE];

          if (!JSON_NODE_HOLDS_VALUE (element) ||
              json_node_get_value_type (element) != G_TYPE_STRING)
            {
              trb_cli_printerr ("%s", _("The network sent an unreadable ledger page."));
              return 1;
            }
          text = json_node_get_string (element);
          trb_merkle_hash_leaf ((const guint8 *) text, strlen (text), leaf);
          trb_merkle_frontier_append (&frontier, leaf);
          if (entries != NULL)
            g_ptr_array_add (entries, trb_ledger_entry_parse (text, strlen (text), NULL));
        }
    }
  if (frontier.n_leaves != size)
    {
      trb_cli_printerr ("%s", _("The network did not send its whole ledger."));
      return 1;
    }
  trb_merkle_frontier_get_root (&frontier, root);
  if (!trb_contributor_check_root (contributor, size, root))
    {
      trb_cli_printerr ("%s", trb_ledger_tamper_describe (TRB_LEDGER_TAMPER_EDITED_ENTRY));
      return 3;
    }
  return 0;
}

static int
ledger_verify (int    argc,
               char **argv)
{
  g_autofree char *network_id = NULL;
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbCliNetwork) network = NULL;
  g_autoptr(TrbClient) client = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  int status;
  const GOptionEntry entries[] = {
    { "network", 0, 0, G_OPTION_ARG_STRING, &network_id, N_("The network (see “networks”)"),
      N_("ID") },
    { NULL }
  };

  g_option_context_set_summary (context, _("Check that the network’s ledger is consistent with "
                                           "every checkpoint verified before and that it holds "
                                           "every update this wallet sent."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return report_error (error) + 1;

  contributor = connect_and_verify (network_id, &store, &network, &client, &status);
  if (contributor == NULL)
    return status;
  status = check_every_entry (client, contributor, trb_contributor_get_verified_size (contributor),
                              NULL);
  if (status != 0)
    return status;
  printf (g_dngettext (GETTEXT_PACKAGE,
                       /* Translators: %s is the network's name, %llu the number of entries
                        * of the checkpoint. */
                       "The ledger of “%s” is consistent: checkpoint of %llu entry "
                       "verified, and every entry matches it.\n",
                       "The ledger of “%s” is consistent: checkpoint of %llu entries "
                       "verified, and every entry matches it.\n",
                       trb_contributor_get_verified_size (contributor)),
          network->name, (unsigned long long) trb_contributor_get_verified_size (contributor));
  /* Translators: the numbers of this wallet's updates found verified, and in all. */
  printf (_("Updates from this wallet in the ledger: %u of %u verified.\n"),
          trb_contributor_count_receipts (contributor, TRUE),
          trb_contributor_count_receipts (contributor, FALSE));
  return 0;
}

int
trb_cli_ledger (int    argc,
                char **argv)
{
  if (argc >= 2 && g_str_equal (argv[1], "verify"))
    return ledger_verify (argc - 1, argv + 1);
  if (argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")))
    {
      printf ("%s\n", _("Usage: tributary-cli ledger verify [--network ID]"));
      return 0;
    }
  trb_cli_printerr ("%s", _("Usage: tributary-cli ledger verify [--network ID]"));
  return 2;
}

static void
print_entry (TrbLedgerEntry *entry,
             const char     *me)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (trb_ledger_entry_get_time (entry));
  g_autofree char *stamp = when != NULL ? g_date_time_format (when, "%Y-%m-%d %H:%M") :
                                          g_strdup ("?");

  switch (trb_ledger_entry_get_entry_type (entry))
    {
    case TRB_LEDGER_ENTRY_UPDATE_ACCEPTED:
      printf (g_dngettext (GETTEXT_PACKAGE,
                           /* Translators: a line of the ledger history: the date and time,
                            * the round, the start of the update's fingerprint and the number
                            * of samples it was trained on. */
                           "%s  ✓ round %lld: your update %.12s… (%lld sample) accepted\n",
                           "%s  ✓ round %lld: your update %.12s… (%lld samples) accepted\n",
                           (gulong) MAX (trb_ledger_entry_get_samples (entry), 0)),
              stamp, (long long) trb_ledger_entry_get_round (entry),
              trb_ledger_entry_get_update (entry),
              (long long) trb_ledger_entry_get_samples (entry));
      break;
    case TRB_LEDGER_ENTRY_REWARD:
      {
        g_autofree char *points = trb_rewards_dup_points_text (trb_ledger_entry_get_points (entry));

        /* Translators: a line of the ledger history: the date and time, the round and the
         * reward, an amount such as “2.4 points”. */
        printf (_("%s  ✓ round %lld: reward of %s\n"), stamp,
                (long long) trb_ledger_entry_get_round (entry), points);
      }
      break;
    case TRB_LEDGER_ENTRY_ROUND_CLOSED:
      {
        GString *metrics = g_string_new (NULL);

        for (guint m = 0; m < trb_ledger_entry_get_n_metrics (entry); m++)
          {
            double value;
            const char *name = trb_ledger_entry_get_metric (entry, m, &value);

            g_string_append_printf (metrics, " %s=%.4f", name, value);
          }
        guint n_updates = g_strv_length ((char **) trb_ledger_entry_get_updates (entry));

        printf (g_dngettext (GETTEXT_PACKAGE,
                             /* Translators: a line of the ledger history: the date and time,
                              * the round, the start of the model's fingerprint, the number of
                              * updates, then the model's measures. */
                             "%s  ✓ round %lld closed: model %.12s… from %u update%s\n",
                             "%s  ✓ round %lld closed: model %.12s… from %u updates%s\n",
                             n_updates),
                stamp, (long long) trb_ledger_entry_get_round (entry),
                trb_ledger_entry_get_model (entry), n_updates, metrics->str);
        g_string_free (metrics, TRUE);
      }
      break;
    case TRB_LEDGER_ENTRY_PARTICIPANT_JOINED:
      printf (_("%s  ✓ joined the network\n"), stamp);
      break;
    case TRB_LEDGER_ENTRY_ROUND_OPENED:
    default:
      break;
    }
}

static gboolean
is_mine_or_round (TrbLedgerEntry *entry,
                  const char     *me)
{
  switch (trb_ledger_entry_get_entry_type (entry))
    {
    case TRB_LEDGER_ENTRY_ROUND_CLOSED:
      return TRUE;
    case TRB_LEDGER_ENTRY_PARTICIPANT_JOINED:
    case TRB_LEDGER_ENTRY_UPDATE_ACCEPTED:
    case TRB_LEDGER_ENTRY_REWARD:
      return g_strcmp0 (trb_ledger_entry_get_participant (entry), me) == 0;
    case TRB_LEDGER_ENTRY_ROUND_OPENED:
    default:
      return FALSE;
    }
}

int
trb_cli_history (int    argc,
                 char **argv)
{
  g_autofree char *network_id = NULL;
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbCliNetwork) network = NULL;
  g_autoptr(TrbClient) client = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  guint64 size;
  int status;
  gint64 points = 0;
  const GOptionEntry options[] = {
    { "network", 0, 0, G_OPTION_ARG_STRING, &network_id, N_("The network (see “networks”)"),
      N_("ID") },
    { NULL }
  };

  g_option_context_set_summary (context, _("Show this wallet’s contributions, rewards and the "
                                           "rounds of a network, each verified against the "
                                           "ledger."));
  g_option_context_add_main_entries (context, options, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return report_error (error) + 1;

  contributor = connect_and_verify (network_id, &store, &network, &client, &status);
  if (contributor == NULL)
    return status;
  size = trb_contributor_get_verified_size (contributor);
  if (size > MAX_ENTRIES_CHECKED)
    {
      guint n_updates = trb_contributor_count_receipts (contributor, TRUE);

      /* Two counts, so two sentences, each with the plural its own count needs. */
      printf (g_dngettext (GETTEXT_PACKAGE, "The ledger has %llu entry.",
                           "The ledger has %llu entries.", (gulong) MIN (size, G_MAXULONG)),
              (unsigned long long) size);
      printf (" ");
      printf (g_dngettext (GETTEXT_PACKAGE,
                           "Your %u update is verified on its own (see “ledger verify”).\n",
                           "Your %u updates are verified one by one (see “ledger verify”).\n",
                           n_updates), n_updates);
      return 0;
    }

  status = check_every_entry (client, contributor, size, entries);
  if (status != 0)
    return status;

  printf (g_dngettext (GETTEXT_PACKAGE,
                       /* Translators: the wallet's address, the network's name and the number
                        * of entries. */
                       "History of %s in “%s” (%llu ledger entry, verified):\n",
                       "History of %s in “%s” (%llu ledger entries, all verified):\n", size),
          trb_client_get_address (client), network->name, (unsigned long long) size);
  for (guint i = 0; i < entries->len; i++)
    {
      TrbLedgerEntry *entry = g_ptr_array_index (entries, i);

      if (entry == NULL || !is_mine_or_round (entry, trb_client_get_address (client)))
        continue;
      print_entry (entry, trb_client_get_address (client));
      if (trb_ledger_entry_get_entry_type (entry) == TRB_LEDGER_ENTRY_REWARD)
        points += trb_ledger_entry_get_points (entry);
    }
  {
    g_autofree char *total = trb_rewards_dup_points_text (points);

    /* Translators: an amount such as “4.8 points”. */
    printf (_("Total rewards: %s.\n"), total);
  }
  return 0;
}
