/* trb-text-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TRB_TYPE_TEXT_ITEM (trb_text_item_get_type ())

G_DECLARE_FINAL_TYPE (TrbTextItem, trb_text_item, TRB, TEXT_ITEM, GObject)

TrbTextItem *trb_text_item_new           (const char  *title,
                                          const char  *subtitle,
                                          const char  *icon_name);
void         trb_text_item_set_target    (TrbTextItem *self,
                                          const char  *target);
const char  *trb_text_item_get_title     (TrbTextItem *self);
const char  *trb_text_item_get_subtitle  (TrbTextItem *self);
const char  *trb_text_item_get_icon_name (TrbTextItem *self);
const char  *trb_text_item_get_target    (TrbTextItem *self);

#define TRB_TYPE_TEXT_ROW (trb_text_row_get_type ())

G_DECLARE_FINAL_TYPE (TrbTextRow, trb_text_row, TRB, TEXT_ROW, AdwActionRow)

GtkWidget   *trb_text_row_new            (TrbTextItem *item);
TrbTextItem *trb_text_row_get_item       (TrbTextRow  *self);
GtkWidget   *trb_text_row_create         (gpointer     item,
                                          gpointer     user_data);

G_END_DECLS
