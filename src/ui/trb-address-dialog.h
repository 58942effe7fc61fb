/* trb-address-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TRB_TYPE_ADDRESS_DIALOG (trb_address_dialog_get_type ())

G_DECLARE_FINAL_TYPE (TrbAddressDialog, trb_address_dialog, TRB, ADDRESS_DIALOG, AdwMessageDialog)

void trb_address_dialog_present           (GtkWindow  *parent);
void trb_address_dialog_present_with_text (GtkWindow  *parent,
                                           const char *text);

G_END_DECLS
