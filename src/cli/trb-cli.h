/* trb-cli.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One subcommand of tributary-cli: argv[0] is the subcommand's name. Returns the exit status. */
typedef int (*TrbCliCommandFunc) (int    argc,
                                  char **argv);

typedef struct
{
  const char        *name;
  const char        *summary;
  TrbCliCommandFunc  func;
} TrbCliCommand;

void trb_cli_print_error (const GError *error);
void trb_cli_printerr (const char *format,
                       ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
