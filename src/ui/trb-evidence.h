/* trb-evidence.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "participant/trb-history.h"

G_BEGIN_DECLS

char *trb_evidence_dup_title (TrbLedgerTamper  kind,
                              const char      *network_name);
void  trb_evidence_save      (GtkWidget       *parent,
                              TrbHistory      *history,
                              const char      *origin);

G_END_DECLS
