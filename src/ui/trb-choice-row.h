/* trb-choice-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TRB_TYPE_CHOICE_ROW (trb_choice_row_get_type ())

G_DECLARE_FINAL_TYPE (TrbChoiceRow, trb_choice_row, TRB, CHOICE_ROW, AdwActionRow)

GtkWidget *trb_choice_row_new         (const char   *title,
                                       const char   *subtitle);
void       trb_choice_row_set_chosen  (TrbChoiceRow *self,
                                       gboolean      chosen);
gboolean   trb_choice_row_get_chosen  (TrbChoiceRow *self);
void       trb_choice_row_set_can_use (TrbChoiceRow *self,
                                       gboolean      can_use);

G_END_DECLS
