/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "trb-application.h"
#include "trb-i18n.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(TrbApplication) app = NULL;

  trb_i18n_init ();

  app = trb_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
