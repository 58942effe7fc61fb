/* trb-cli.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tributary-cli: a headless participant for servers and scripts.
 */

#define G_LOG_DOMAIN "trb-cli"

#include "config.h"

#include "trb-cli.h"
#include "trb-cli-dataset.h"
#include "trb-cli-devices.h"
#include "trb-cli-history.h"
#include "trb-cli-network.h"
#include "trb-cli-schedule.h"
#include "trb-cli-wallet.h"
#include "participant/trb-error-text.h"
#include "trb-i18n.h"

#include <glib/gi18n.h>
#include <stdio.h>

/* Subcommands, in the order `--help` lists them. Each domain adds its own here. */
static const TrbCliCommand commands[] = {
  { "join", N_("Join a learning network"), trb_cli_join },
  { "networks", N_("List the networks joined"), trb_cli_networks },
  { "contribute", N_("Train on local data and send updates"), trb_cli_contribute },
  { "status", N_("Show rounds and contributions"), trb_cli_status },
  { "ledger", N_("Verify a network’s ledger"), trb_cli_ledger },
  { "history", N_("Show verified contributions and rewards"), trb_cli_history_main },
  { "wallet", N_("Create, import and use wallets"), trb_cli_wallet },
  { "devices", N_("List the devices that can train models"), trb_cli_devices },
  { "dataset", N_("Pick, check and remove local data to contribute"), trb_cli_dataset },
  { "schedule", N_("Say whether training may run now; pause or resume it"), trb_cli_schedule },
  { NULL, NULL, NULL }
};

void
trb_cli_printerr (const char *format,
                  ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("tributary-cli: %s\n", message);
}

/**
 * trb_cli_print_error:
 * @error: what went wrong
 *
 * Prints @error as the app shows it: the plain sentence of trb_error_describe(), then the
 * library's own message as details, for scripts' logs and bug reports.
 */
void
trb_cli_print_error (const GError *error)
{
  g_autofree char *details = NULL;
  g_autofree char *sentence = trb_error_describe (error, &details);

  g_printerr ("tributary-cli: %s\n", sentence);
  if (details != NULL)
    {
      /* Translators: what a library said, printed after the plain explanation. */
      g_autofree char *line = g_strdup_printf (_("Details: %s"), details);

      g_printerr ("  %s\n", line);
    }
}

/* ---- the CLI's main loop ----------------------------------------------------------------------
 *
 * Network calls block (the client's _sync functions). What has no blocking form (the wallet
 * manager, the keyring, settings written in the background) runs the CLI's one main loop at the
 * command's top level until it is done. */

static GMainLoop *main_loop;

static void
run_main_loop (void)
{
  g_assert (main_loop == NULL);
  main_loop = g_main_loop_new (NULL, FALSE);
  g_main_loop_run (main_loop);
  g_clear_pointer (&main_loop, g_main_loop_unref);
}

static void
quit_main_loop (void)
{
  if (main_loop != NULL)
    g_main_loop_quit (main_loop);
}

/**
 * trb_cli_got_result_cb:
 *
 * The callback of an asynchronous call the command waits for with trb_cli_wait(): @user_data is
 * a `GAsyncResult *` slot.
 */
void
trb_cli_got_result_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
  quit_main_loop ();
}

/**
 * trb_cli_wait:
 * @slot: where trb_cli_got_result_cb() puts the result
 *
 * Runs the main loop until the call started with trb_cli_got_result_cb() is done.
 *
 * Returns: (transfer none): the result
 */
GAsyncResult *
trb_cli_wait (GAsyncResult **slot)
{
  if (*slot == NULL)
    run_main_loop ();
  g_assert (*slot != NULL);
  return *slot;
}

static void
waited_cb (gpointer user_data)
{
  quit_main_loop ();
}

/**
 * trb_cli_run_for:
 * @ms: how long
 *
 * Runs the main loop for @ms, so that D-Bus monitors answer and settings are written.
 */
void
trb_cli_run_for (guint ms)
{
  g_timeout_add_once (ms, waited_cb, NULL);
  run_main_loop ();
}

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n", _("Usage: tributary-cli [--help] [--version] COMMAND [ARGUMENTS…]"));
  fprintf (out, "\n%s\n", _("Take part in federated learning networks without a desktop."));
  fprintf (out, "\n%s\n", _("Commands:"));
  for (guint i = 0; commands[i].name != NULL; i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, _(commands[i].summary));
  if (commands[0].name == NULL)
    fprintf (out, "  %s\n", _("(none yet)"));
  fprintf (out, "\n%s\n", _("Run “tributary-cli COMMAND --help” for the options of a command."));
}

int
main (int    argc,
      char **argv)
{
  const char *arg;

  trb_i18n_init ();

  if (argc < 2)
    {
      print_usage (stderr);
      return 2;
    }

  arg = argv[1];
  if (g_str_equal (arg, "--help") || g_str_equal (arg, "-h") || g_str_equal (arg, "help"))
    {
      print_usage (stdout);
      return 0;
    }
  if (g_str_equal (arg, "--version"))
    {
      printf ("tributary-cli %s\n", PACKAGE_VERSION);
      return 0;
    }

  for (guint i = 0; commands[i].name != NULL; i++)
    {
      if (g_str_equal (arg, commands[i].name))
        return commands[i].func (argc - 1, argv + 1);
    }

  if (arg[0] == '-')
    trb_cli_printerr (_("unknown option “%s”. Run “tributary-cli --help” to see what it accepts."),
                      arg);
  else
    trb_cli_printerr (_("unknown command “%s”. Run “tributary-cli --help” to see the commands."),
                      arg);
  return 2;
}
