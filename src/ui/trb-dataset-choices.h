/* trb-dataset-choices.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "store/trb-store.h"

G_BEGIN_DECLS

void trb_dataset_choices_fill (TrbStore      *store,
                               GtkStringList *names,
                               GPtrArray     *paths);

G_END_DECLS
