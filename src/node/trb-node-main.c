/* trb-node-main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tributary-node: hosts a learning network.
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n", _("Usage: tributary-node [--help] [--version] COMMAND [ARGUMENTS…]"));
  fprintf (out, "\n%s\n", _("Host a federated learning network."));
  fprintf (out, "\n%s\n", _("Commands:"));
  fprintf (out, "  init     %s\n", _("Create a network in a data folder"));
  fprintf (out, "  serve    %s\n", _("Serve a network over HTTP"));
  fprintf (out, "  demo     %s\n", _("Set up and serve the Fashion-MNIST demo network"));
}

int
main (int    argc,
      char **argv)
{
  const char *arg;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2)
    {
      print_usage (stderr);
      return 2;
    }

  arg = argv[1];
  if (g_str_equal (arg, "--help") || g_str_equal (arg, "-h"))
    {
      print_usage (stdout);
      return 0;
    }
  if (g_str_equal (arg, "--version"))
    {
      printf ("tributary-node %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (arg[0] == '-')
    g_printerr (_("tributary-node: unknown option “%s”. Run “tributary-node --help” to see what "
                  "it accepts.\n"), arg);
  else if (g_str_equal (arg, "init") || g_str_equal (arg, "serve") || g_str_equal (arg, "demo"))
    g_printerr (_("tributary-node: “%s” is not available in this version yet.\n"), arg);
  else
    g_printerr (_("tributary-node: unknown command “%s”. Run “tributary-node --help” to see the "
                  "commands.\n"), arg);
  return 2;
}
