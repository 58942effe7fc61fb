/* trb-join-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TRB_TYPE_JOIN_DIALOG (trb_join_dialog_get_type ())

G_DECLARE_FINAL_TYPE (TrbJoinDialog, trb_join_dialog, TRB, JOIN_DIALOG, AdwMessageDialog)

void  trb_join_dialog_present      (GtkWindow   *parent,
                                    const char  *url);
char *trb_join_dialog_parse_invite (const char  *text,
                                    GError     **error);

G_END_DECLS
