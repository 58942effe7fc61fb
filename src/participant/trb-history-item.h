/* trb-history-item.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One thing the History area lists (a model version, an evaluation result, a reward entry) as a
 * small object for a GListStore, and the update that touches only the items that changed.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  TRB_HISTORY_ITEM_VERSION,
  TRB_HISTORY_ITEM_EVALUATION,
  TRB_HISTORY_ITEM_REWARD,
} TrbHistoryItemKind;

#define TRB_TYPE_HISTORY_ITEM (trb_history_item_get_type ())

G_DECLARE_FINAL_TYPE (TrbHistoryItem, trb_history_item, TRB, HISTORY_ITEM, GObject)

TrbHistoryItem     *trb_history_item_new             (TrbHistoryItemKind  kind,
                                                      const char         *key,
                                                      const char         *fingerprint,
                                                      gpointer            data,
                                                      GDestroyNotify      data_free);
TrbHistoryItemKind  trb_history_item_get_kind        (TrbHistoryItem     *self);
const char         *trb_history_item_get_key         (TrbHistoryItem     *self);
const char         *trb_history_item_get_fingerprint (TrbHistoryItem     *self);
gpointer            trb_history_item_get_data        (TrbHistoryItem     *self);
gboolean            trb_history_item_update_store    (GListStore         *store,
                                                      GPtrArray          *items);

G_END_DECLS
