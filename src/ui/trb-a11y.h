/* trb-a11y.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void       trb_a11y_init                      (void);
void       trb_a11y_fix_tree                  (GtkWidget  *root);
GtkWidget *trb_a11y_button_new_with_mnemonic  (const char *label);

G_END_DECLS
