/* trb-history-provenance.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "participant/trb-history.h"

G_BEGIN_DECLS

#define TRB_TYPE_HISTORY_PROVENANCE (trb_history_provenance_get_type ())

G_DECLARE_FINAL_TYPE (TrbHistoryProvenance, trb_history_provenance, TRB, HISTORY_PROVENANCE,
                      GtkBox)

GtkWidget *trb_history_provenance_new    (TrbHistory           *history,
                                          TrbStore             *store);
void       trb_history_provenance_update (TrbHistoryProvenance *self);

G_END_DECLS
