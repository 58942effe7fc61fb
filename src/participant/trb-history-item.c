/* trb-history-item.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The History area shows lists that a ledger sync extends now and then. Rebuilding them would
 * cost CPU for rows nobody changed and lose what the person was looking at (an expanded row, a
 * result they asked for), so each list is a GListStore of these items, and an update compares
 * the new items with the old by key and fingerprint and splices only where they differ.
 */

#define G_LOG_DOMAIN "trb-history-item"

#include "config.h"

#include "trb-history-item.h"

struct _TrbHistoryItem
{
  GObject             parent_instance;

  TrbHistoryItemKind  kind;
  char               *key;
  char               *fingerprint;
  gpointer            data;
  GDestroyNotify      data_free;
};

G_DEFINE_FINAL_TYPE (TrbHistoryItem, trb_history_item, G_TYPE_OBJECT)

static void
trb_history_item_finalize (GObject *object)
{
  TrbHistoryItem *self = TRB_HISTORY_ITEM (object);

  if (self->data_free != NULL && self->data != NULL)
    self->data_free (self->data);
  g_free (self->key);
  g_free (self->fingerprint);

  G_OBJECT_CLASS (trb_history_item_parent_class)->finalize (object);
}

static void
trb_history_item_class_init (TrbHistoryItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = trb_history_item_finalize;
}

static void
trb_history_item_init (TrbHistoryItem *self)
{
}

/**
 * trb_history_item_new:
 * @kind: what the item is
 * @key: what identifies it within its list (a model version's hash, for example)
 * @fingerprint: everything shown of it, so that two items with the same key and fingerprint
 *   look the same
 * @data: (transfer full) (nullable): the record shown (a #TrbModelVersion, …)
 * @data_free: (nullable): frees @data
 *
 * Returns: (transfer full): a new item
 */
TrbHistoryItem *
trb_history_item_new (TrbHistoryItemKind  kind,
                      const char         *key,
                      const char         *fingerprint,
                      gpointer            data,
                      GDestroyNotify      data_free)
{
  TrbHistoryItem *self;

  g_return_val_if_fail (key != NULL, NULL);

  self = g_object_new (TRB_TYPE_HISTORY_ITEM, NULL);
  self->kind = kind;
  self->key = g_strdup (key);
  self->fingerprint = g_strdup (fingerprint != NULL ? fingerprint : "");
  self->data = data;
  self->data_free = data_free;
  return self;
}

TrbHistoryItemKind
trb_history_item_get_kind (TrbHistoryItem *self)
{
  g_return_val_if_fail (TRB_IS_HISTORY_ITEM (self), 0);
  return self->kind;
}

const char *
trb_history_item_get_key (TrbHistoryItem *self)
{
  g_return_val_if_fail (TRB_IS_HISTORY_ITEM (self), NULL);
  return self->key;
}

const char *
trb_history_item_get_fingerprint (TrbHistoryItem *self)
{
  g_return_val_if_fail (TRB_IS_HISTORY_ITEM (self), NULL);
  return self->fingerprint;
}

/**
 * trb_history_item_get_data:
 *
 * Returns: (transfer none) (nullable): the record the item shows
 */
gpointer
trb_history_item_get_data (TrbHistoryItem *self)
{
  g_return_val_if_fail (TRB_IS_HISTORY_ITEM (self), NULL);
  return self->data;
}

/**
 * trb_history_item_update_store:
 * @store: a #GListStore of #TrbHistoryItem
 * @items: (element-type TrbHistoryItem): what @store should hold, in order
 *
 * Makes @store hold @items while keeping the item objects that did not change: an item whose
 * key and fingerprint are already there at the same place stays, a changed one is replaced, new
 * ones are inserted and gone ones removed, each with its own #GListModel::items-changed. Both
 * lists are expected in the same order of keys, as a ledger only grows.
 *
 * Returns: %TRUE when @store changed
 */
gboolean
trb_history_item_update_store (GListStore *store,
                               GPtrArray  *items)
{
  g_autoptr(GHashTable) wanted = NULL;
  gboolean changed = FALSE;
  guint pos = 0;
  guint j = 0;

  g_return_val_if_fail (G_IS_LIST_STORE (store), FALSE);
  g_return_val_if_fail (items != NULL, FALSE);

  wanted = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < items->len; i++)
    g_hash_table_add (wanted, (gpointer) trb_history_item_get_key (g_ptr_array_index (items, i)));

  while (pos < g_list_model_get_n_items (G_LIST_MODEL (store)) || j < items->len)
    {
      g_autoptr(TrbHistoryItem) old = NULL;
      TrbHistoryItem *item = j < items->len ? g_ptr_array_index (items, j) : NULL;

      if (pos < g_list_model_get_n_items (G_LIST_MODEL (store)))
        old = g_list_model_get_item (G_LIST_MODEL (store), pos);

      if (old != NULL && item != NULL && g_str_equal (old->key, item->key))
        {
          if (!g_str_equal (old->fingerprint, item->fingerprint) || old->kind != item->kind)
            {
              g_list_store_splice (store, pos, 1, (gpointer *) &item, 1);
              changed = TRUE;
            }
          pos++;
          j++;
        }
      else if (old != NULL && !g_hash_table_contains (wanted, old->key))
        {
          g_list_store_remove (store, pos);
          changed = TRUE;
        }
      else if (item != NULL)
        {
          g_list_store_insert (store, pos, item);
          changed = TRUE;
          pos++;
          j++;
        }
      else
        {
          /* Wanted, but out of order: removed here, inserted again where it belongs. */
          g_list_store_remove (store, pos);
          changed = TRUE;
        }
    }
  return changed;
}
