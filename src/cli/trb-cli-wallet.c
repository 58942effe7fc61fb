/* trb-cli-wallet.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tributary-cli wallet: create, import, list, show, sign and verify with the wallets kept in the
 * system keyring. Phrases and passphrases are read from standard input, never from arguments
 * (which other users of the machine can see).
 */

#define G_LOG_DOMAIN "trb-cli-wallet"

#include "config.h"

#include "trb-cli-wallet.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "trb-cli.h"
#include "trb-cli-network.h"
#include "wallet/trb-bip39.h"
#include "wallet/trb-keypair.h"
#include "wallet/trb-secret.h"
#include "wallet/trb-wallet-error.h"
#include "wallet/trb-wallet-manager.h"

/* The largest message `sign` and `verify` read. */
#define MAX_MESSAGE_BYTES (16 * 1024 * 1024)

static TrbWalletManager *
open_manager (void)
{
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(GError) error = NULL;
  TrbWalletManager *manager;

  if (!(store = trb_cli_open_store ()))
    return NULL;
  manager = trb_wallet_manager_new (store, &error);
  if (manager == NULL)
    trb_cli_printerr ("%s", error->message);
  return manager;
}

/* Reads at most @max bytes of standard input into locked memory; more is an error. */
static TrbSecret *
read_stdin_secret (gsize    max,
                   GError **error)
{
  g_autoptr(TrbSecret) buffer = trb_secret_new (max + 1);
  gsize n = 0;
  size_t got;

  while (n <= max && (got = fread (buffer->data + n, 1, max + 1 - n, stdin)) > 0)
    n += got;
  if (n > max)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT,
                   g_dngettext (GETTEXT_PACKAGE, "The input is too long (more than %zu byte).",
                                "The input is too long (more than %zu bytes).", max), max);
      return NULL;
    }
  if (memchr (buffer->data, '\0', n) != NULL)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT,
                   _("The input contains a NUL byte, so it is not text."));
      return NULL;
    }
  buffer->data[n] = '\0';
  buffer->len = n;
  return g_steal_pointer (&buffer);
}

static GBytes *
read_stdin_bytes (GError **error)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  guint8 chunk[65536];
  size_t got;

  while ((got = fread (chunk, 1, sizeof chunk, stdin)) > 0)
    {
      if (bytes->len + got > MAX_MESSAGE_BYTES)
        {
          g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT,
                       g_dngettext (GETTEXT_PACKAGE,
                                    "The message is too long (more than %d byte).",
                                    "The message is too long (more than %d bytes).",
                                    MAX_MESSAGE_BYTES), MAX_MESSAGE_BYTES);
          return NULL;
        }
      g_byte_array_append (bytes, chunk, got);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}

static char *
read_stdin_line (void)
{
  char line[512];
  char *nl;

  if (fgets (line, sizeof line, stdin) == NULL)
    return NULL;
  nl = strchr (line, '\n');
  if (nl != NULL)
    *nl = '\0';
  return g_strdup (line);
}

static TrbWallet *
find_wallet (TrbWalletManager *manager,
             const char       *name)
{
  TrbWallet *wallet;

  wallet = name ? trb_wallet_manager_lookup (manager, name)
                : trb_wallet_manager_get_default (manager);
  if (wallet == NULL && name != NULL)
    trb_cli_printerr (_("there is no wallet named “%s”. “tributary-cli wallet list” shows "
                        "them."), name);
  else if (wallet == NULL)
    trb_cli_printerr (_("there is no wallet yet. Create one with “tributary-cli wallet "
                        "create”."));
  return wallet;
}

static gboolean
parse_options (GOptionEntry  *entries,
               const char    *parameters,
               const char    *summary,
               int           *argc,
               char        ***argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameters);
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      trb_cli_printerr ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

static int
cmd_create (int    argc,
            char **argv)
{
  g_autofree char *label = NULL;
  int words = TRB_BIP39_DEFAULT_WORDS;
  GOptionEntry entries[] = {
    { "label", 'l', 0, G_OPTION_ARG_STRING, &label, N_("The wallet's name"), N_("NAME") },
    { "words", 'w', 0, G_OPTION_ARG_INT, &words, N_("Words in its backup phrase (12–24)"),
      N_("N") },
    { NULL }
  };
  g_autoptr(TrbWalletManager) manager = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TrbWallet) wallet = NULL;
  g_autoptr(GError) error = NULL;

  if (!parse_options (entries, "", _("Create a wallet with a new backup phrase."), &argc, &argv))
    return 2;
  if (argc > 1)
    {
      trb_cli_printerr (_("“create” takes no arguments; give the name with --label."));
      return 2;
    }
  if (!(manager = open_manager ()))
    return 1;

  trb_wallet_manager_create_async (manager, label, words, NULL, trb_cli_got_result_cb, &result);
  wallet = trb_wallet_manager_create_finish (manager, trb_cli_wait (&result), &error);
  if (wallet == NULL)
    {
      trb_cli_printerr ("%s", error->message);
      return 1;
    }
  printf ("%s\n", trb_wallet_get_address (wallet));
  /* Translators: both are the wallet's name; keep the command in quotes as it is. */
  g_printerr (_("Created the wallet “%s”. Write down its backup phrase with "
                "“tributary-cli wallet backup '%s'”.\n"),
              trb_wallet_get_label (wallet), trb_wallet_get_label (wallet));
  return 0;
}

static int
cmd_import (int    argc,
            char **argv)
{
  g_autofree char *label = NULL;
  gboolean with_passphrase = FALSE;
  GOptionEntry entries[] = {
    { "label", 'l', 0, G_OPTION_ARG_STRING, &label, N_("The wallet's name"), N_("NAME") },
    { "passphrase", 'p', 0, G_OPTION_ARG_NONE, &with_passphrase,
      N_("The phrase has a passphrase: the first line of the input is the phrase, the second "
         "the passphrase"), NULL },
    { NULL }
  };
  g_autoptr(TrbWalletManager) manager = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TrbWallet) wallet = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbSecret) input = NULL;
  const char *passphrase = NULL;

  if (!parse_options (entries, "",
                      _("Import a wallet from its backup phrase, read from standard input."),
                      &argc, &argv))
    return 2;
  if (argc > 1)
    {
      trb_cli_printerr (_("the backup phrase is read from standard input, never from the "
                          "command line, where others could see it."));
      return 2;
    }
  if (!(manager = open_manager ()))
    return 1;

  if (isatty (STDIN_FILENO))
    g_printerr ("%s\n", _("Type the backup phrase, then press Ctrl+D:"));
  input = read_stdin_secret (2 * TRB_BIP39_MAX_TEXT + 2, &error);
  if (input == NULL)
    {
      trb_cli_printerr ("%s", error->message);
      return 1;
    }
  if (with_passphrase)
    {
      char *newline = strchr ((char *)input->data, '\n');

      if (newline == NULL)
        {
          trb_cli_printerr (_("--passphrase was given, but the input has no second line with "
                              "the passphrase."));
          return 1;
        }
      *newline = '\0';
      passphrase = newline + 1;
      /* A final newline ends the passphrase; it is not part of it. */
      if (input->len > 0 && input->data[input->len - 1] == '\n' &&
          (const char *)input->data + input->len - 1 > newline)
        input->data[input->len - 1] = '\0';
    }

  trb_wallet_manager_import_async (manager, label, (const char *)input->data, passphrase, NULL,
                                   trb_cli_got_result_cb, &result);
  wallet = trb_wallet_manager_import_finish (manager, trb_cli_wait (&result), &error);
  if (wallet == NULL)
    {
      trb_cli_printerr ("%s", error->message);
      return 1;
    }
  printf ("%s\n", trb_wallet_get_address (wallet));
  return 0;
}

static int
cmd_list (int    argc,
          char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(TrbWalletManager) manager = NULL;
  GListModel *wallets;

  if (!parse_options (entries, "", _("List the wallets: name, address and state."), &argc,
                      &argv))
    return 2;
  if (!(manager = open_manager ()))
    return 1;

  wallets = trb_wallet_manager_get_wallets (manager);
  for (guint i = 0; i < g_list_model_get_n_items (wallets); i++)
    {
      g_autoptr(TrbWallet) wallet = g_list_model_get_item (wallets, i);
      g_autoptr(GString) state = g_string_new (NULL);

      if (trb_wallet_get_is_default (wallet))
        g_string_append (state, _("default"));
      if (!trb_wallet_get_backed_up (wallet))
        {
          if (state->len > 0)
            g_string_append (state, ", ");
          g_string_append (state, _("not backed up"));
        }
      printf ("%s\t%s\t%s\n", trb_wallet_get_label (wallet), trb_wallet_get_address (wallet),
              state->str);
    }
  return 0;
}

static int
cmd_address (int    argc,
             char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(TrbWalletManager) manager = NULL;
  TrbWallet *wallet;

  if (!parse_options (entries, _("[NAME]"),
                      _("Print a wallet's address (the default wallet's without a name)."),
                      &argc, &argv))
    return 2;
  if (!(manager = open_manager ()))
    return 1;
  if (!(wallet = find_wallet (manager, argc > 1 ? argv[1] : NULL)))
    return 1;
  printf ("%s\n", trb_wallet_get_address (wallet));
  return 0;
}

static int
cmd_sign (int    argc,
          char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(TrbWalletManager) manager = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *encoded = NULL;
  TrbWallet *wallet;

  if (!parse_options (entries, _("[NAME]"),
                      _("Sign standard input with a wallet's key; prints the signature in "
                        "base64."), &argc, &argv))
    return 2;
  if (!(manager = open_manager ()))
    return 1;
  if (!(wallet = find_wallet (manager, argc > 1 ? argv[1] : NULL)))
    return 1;
  if (!(message = read_stdin_bytes (&error)))
    {
      trb_cli_printerr ("%s", error->message);
      return 1;
    }

  trb_wallet_manager_sign_async (manager, wallet, message, NULL, trb_cli_got_result_cb, &result);
  signature = trb_wallet_manager_sign_finish (manager, trb_cli_wait (&result), &error);
  if (signature == NULL)
    {
      trb_cli_printerr ("%s", error->message);
      return 1;
    }
  encoded = g_base64_encode (g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  printf ("%s\n", encoded);
  return 0;
}

static int
cmd_verify (int    argc,
            char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *signature = NULL;
  gsize signature_len = 0;
  const guint8 *data;
  gsize len;

  if (!parse_options (entries, _("ADDRESS SIGNATURE"),
                      _("Check that standard input was signed by the wallet ADDRESS; "
                        "SIGNATURE is in base64."), &argc, &argv))
    return 2;
  if (argc != 3)
    {
      trb_cli_printerr (_("“verify” needs an address and a signature."));
      return 2;
    }
  if (strlen (argv[2]) > 200 ||
      strspn (argv[2], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
        != strlen (argv[2]))
    {
      trb_cli_printerr (_("the signature is not base64 text."));
      return 1;
    }
  signature = g_base64_decode (argv[2], &signature_len);
  if (!(message = read_stdin_bytes (&error)))
    {
      trb_cli_printerr ("%s", error->message);
      return 1;
    }
  data = g_bytes_get_data (message, &len);
  if (!trb_wallet_verify_with_address (argv[1], data, len, signature, signature_len, &error))
    {
      trb_cli_printerr ("%s", error->message);
      return 1;
    }
  printf ("%s\n", _("The signature is valid."));
  return 0;
}

static int
cmd_backup (int    argc,
            char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(TrbWalletManager) manager = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TrbSecret) phrase = NULL;
  g_autoptr(GError) error = NULL;
  guint positions[TRB_WALLET_BACKUP_CHECKS];
  TrbWallet *wallet;
  guint n_words;

  if (!parse_options (entries, _("[NAME]"),
                      _("Show a wallet's backup phrase, then ask for three of its words to "
                        "mark it backed up."), &argc, &argv))
    return 2;
  if (!(manager = open_manager ()))
    return 1;
  if (!(wallet = find_wallet (manager, argc > 1 ? argv[1] : NULL)))
    return 1;

  trb_wallet_manager_reveal_phrase_async (manager, wallet, NULL, trb_cli_got_result_cb, &result);
  phrase = trb_wallet_manager_reveal_phrase_finish (manager, trb_cli_wait (&result), &error);
  if (phrase == NULL)
    {
      trb_cli_printerr ("%s", error->message);
      return 1;
    }

  g_printerr ("%s\n", _("Write these words down on paper, in order, and keep them safe. Anyone "
                        "who has them can use this wallet."));
  printf ("%s\n", trb_secret_get_string (phrase));
  fflush (stdout);

  n_words = trb_bip39_count_words (trb_secret_get_string (phrase));
  trb_wallet_backup_pick_positions (n_words, positions);
  for (guint i = 0; i < TRB_WALLET_BACKUP_CHECKS; i++)
    {
      g_autofree char *typed = NULL;
      gboolean ok;

      /* Translators: asks for the word at this position of the backup phrase. */
      g_printerr (_("Word %u:"), positions[i] + 1);
      g_printerr (" ");
      typed = read_stdin_line ();
      ok = trb_wallet_backup_check_word (phrase, positions[i], typed);
      if (typed != NULL)
        memset (typed, 0, strlen (typed));
      if (!ok)
        {
          trb_cli_printerr (_("word %u is not right. The wallet is not marked as backed up; "
                              "try again."), positions[i] + 1);
          return 1;
        }
    }

  if (!trb_wallet_manager_mark_backed_up (manager, wallet, &error))
    {
      trb_cli_printerr ("%s", error->message);
      return 1;
    }
  g_printerr (_("The wallet “%s” is backed up.\n"), trb_wallet_get_label (wallet));
  return 0;
}

static int
cmd_remove (int    argc,
            char **argv)
{
  gboolean yes = FALSE;
  GOptionEntry entries[] = {
    { "yes", 'y', 0, G_OPTION_ARG_NONE, &yes, N_("Do not ask to type the name"), NULL },
    { NULL }
  };
  g_autoptr(TrbWalletManager) manager = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *label = NULL;
  TrbWallet *wallet;

  if (!parse_options (entries, _("NAME"),
                      _("Remove a wallet and delete its key from the keyring."), &argc, &argv))
    return 2;
  if (argc != 2)
    {
      trb_cli_printerr (_("“remove” needs the name of the wallet."));
      return 2;
    }
  if (!(manager = open_manager ()))
    return 1;
  if (!(wallet = find_wallet (manager, argv[1])))
    return 1;
  label = g_strdup (trb_wallet_get_label (wallet));

  if (!trb_wallet_get_backed_up (wallet))
    g_printerr (_("Warning: “%s” was never backed up. Once removed, its key and any rewards "
                  "sent to it are lost for good.\n"), label);
  if (!yes)
    {
      g_autofree char *typed = NULL;

      g_printerr ("%s ", _("Type the wallet’s name to remove it:"));
      typed = read_stdin_line ();
      if (typed == NULL || !g_str_equal (typed, label))
        {
          trb_cli_printerr (_("the name does not match; nothing was removed."));
          return 1;
        }
    }

  trb_wallet_manager_remove_async (manager, wallet, NULL, trb_cli_got_result_cb, &result);
  if (!trb_wallet_manager_remove_finish (manager, trb_cli_wait (&result), &error))
    {
      trb_cli_printerr ("%s", error->message);
      return 1;
    }
  g_printerr (_("Removed the wallet “%s”.\n"), label);
  return 0;
}

static int
cmd_rename (int    argc,
            char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(TrbWalletManager) manager = NULL;
  g_autoptr(GError) error = NULL;
  TrbWallet *wallet;

  if (!parse_options (entries, _("NAME NEW-NAME"), _("Rename a wallet."), &argc, &argv))
    return 2;
  if (argc != 3)
    {
      trb_cli_printerr (_("“rename” needs the wallet's name and its new name."));
      return 2;
    }
  if (!(manager = open_manager ()))
    return 1;
  if (!(wallet = find_wallet (manager, argv[1])))
    return 1;
  if (!trb_wallet_manager_rename (manager, wallet, argv[2], &error))
    {
      trb_cli_printerr ("%s", error->message);
      return 1;
    }
  return 0;
}

static int
cmd_default (int    argc,
             char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(TrbWalletManager) manager = NULL;
  g_autoptr(GError) error = NULL;
  TrbWallet *wallet;

  if (!parse_options (entries, _("NAME"), _("Use a wallet wherever no other is chosen."),
                      &argc, &argv))
    return 2;
  if (argc != 2)
    {
      trb_cli_printerr (_("“default” needs the name of the wallet."));
      return 2;
    }
  if (!(manager = open_manager ()))
    return 1;
  if (!(wallet = find_wallet (manager, argv[1])))
    return 1;
  if (!trb_wallet_manager_set_default (manager, wallet, &error))
    {
      trb_cli_printerr ("%s", error->message);
      return 1;
    }
  return 0;
}

static const TrbCliCommand wallet_commands[] = {
  { "create", N_("Create a wallet with a new backup phrase"), cmd_create },
  { "import", N_("Import a wallet from its backup phrase (standard input)"), cmd_import },
  { "list", N_("List the wallets"), cmd_list },
  { "address", N_("Print a wallet's address"), cmd_address },
  { "sign", N_("Sign standard input with a wallet"), cmd_sign },
  { "verify", N_("Check a signature of standard input"), cmd_verify },
  { "backup", N_("Show the backup phrase and confirm it was written down"), cmd_backup },
  { "rename", N_("Rename a wallet"), cmd_rename },
  { "default", N_("Choose the default wallet"), cmd_default },
  { "remove", N_("Remove a wallet and its key"), cmd_remove },
  { NULL, NULL, NULL }
};

static void
print_wallet_usage (FILE *out)
{
  fprintf (out, "%s\n", _("Usage: tributary-cli wallet COMMAND [ARGUMENTS…]"));
  fprintf (out, "\n%s\n", _("Wallet keys are kept in the system keyring. Backup phrases are "
                            "read from standard input, never from arguments."));
  fprintf (out, "\n%s\n", _("Commands:"));
  for (guint i = 0; wallet_commands[i].name != NULL; i++)
    fprintf (out, "  %-9s %s\n", wallet_commands[i].name, _(wallet_commands[i].summary));
  fprintf (out, "\n%s\n", _("Run “tributary-cli wallet COMMAND --help” for its options."));
}

int
trb_cli_wallet (int    argc,
                char **argv)
{
  g_autofree char *prgname = NULL;

  if (argc < 2)
    {
      print_wallet_usage (stderr);
      return 2;
    }
  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
      g_str_equal (argv[1], "help"))
    {
      print_wallet_usage (stdout);
      return 0;
    }

  for (guint i = 0; wallet_commands[i].name != NULL; i++)
    {
      if (g_str_equal (argv[1], wallet_commands[i].name))
        {
          prgname = g_strdup_printf ("tributary-cli wallet %s", wallet_commands[i].name);
          g_set_prgname (prgname);
          return wallet_commands[i].func (argc - 1, argv + 1);
        }
    }

  trb_cli_printerr (_("unknown wallet command “%s”. Run “tributary-cli wallet --help” to see "
                      "them."), argv[1]);
  return 2;
}
