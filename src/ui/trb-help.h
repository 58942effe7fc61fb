/* trb-help.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

char *trb_help_find_html (const char *page);
void  trb_help_show      (GtkWindow  *parent,
                          const char *page);

G_END_DECLS
