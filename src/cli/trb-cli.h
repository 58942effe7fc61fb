/* trb-cli.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

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

void          trb_cli_got_result_cb (GObject       *source,
                                     GAsyncResult  *result,
                                     gpointer       user_data);
GAsyncResult *trb_cli_wait          (GAsyncResult **slot);
void          trb_cli_run_for       (guint          ms);

G_END_DECLS
