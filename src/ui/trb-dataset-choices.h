/* trb-dataset-choices.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void trb_dataset_choices_fill (GtkStringList *names,
                               GPtrArray     *paths);

G_END_DECLS
