/* trb-text-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A line of text in a boxed list, and the small object it shows: a title, perhaps a subtitle
 * and an icon, and perhaps a target (an address) that activating the row opens. The lists made
 * of such lines (a dataset's problems, its fit for the demo network, the networks learning
 * from it, the directory's networks) are GListModels of TrbTextItem bound to a GtkListBox, so
 * that a new list replaces the rows and nothing else is built by hand.
 */

#define G_LOG_DOMAIN "trb-text-row"

#include "config.h"

#include "trb-text-row.h"

struct _TrbTextItem
{
  GObject  parent_instance;

  char    *title;
  char    *subtitle;
  char    *icon_name;
  char    *target;
};

G_DEFINE_FINAL_TYPE (TrbTextItem, trb_text_item, G_TYPE_OBJECT)

static void
trb_text_item_finalize (GObject *object)
{
  TrbTextItem *self = TRB_TEXT_ITEM (object);

  g_free (self->title);
  g_free (self->subtitle);
  g_free (self->icon_name);
  g_free (self->target);

  G_OBJECT_CLASS (trb_text_item_parent_class)->finalize (object);
}

static void
trb_text_item_class_init (TrbTextItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = trb_text_item_finalize;
}

static void
trb_text_item_init (TrbTextItem *self)
{
}

/**
 * trb_text_item_new:
 * @title: what the line says
 * @subtitle: (nullable): what it says under that
 * @icon_name: (nullable): an icon before it
 *
 * Returns: (transfer full): a line of text for a list
 */
TrbTextItem *
trb_text_item_new (const char *title,
                   const char *subtitle,
                   const char *icon_name)
{
  TrbTextItem *self;

  g_return_val_if_fail (title != NULL, NULL);

  self = g_object_new (TRB_TYPE_TEXT_ITEM, NULL);
  self->title = g_strdup (title);
  self->subtitle = g_strdup (subtitle);
  self->icon_name = g_strdup (icon_name);
  return self;
}

/**
 * trb_text_item_set_target:
 * @target: (nullable): what the line opens, such as an address
 *
 * A line with a target is activatable and shows an arrow. Set before the line is shown.
 */
void
trb_text_item_set_target (TrbTextItem *self,
                          const char  *target)
{
  g_return_if_fail (TRB_IS_TEXT_ITEM (self));

  g_free (self->target);
  self->target = g_strdup (target);
}

/**
 * trb_text_item_get_title:
 *
 * Returns: what the line says
 */
const char *
trb_text_item_get_title (TrbTextItem *self)
{
  g_return_val_if_fail (TRB_IS_TEXT_ITEM (self), NULL);
  return self->title;
}

/**
 * trb_text_item_get_subtitle:
 *
 * Returns: (nullable): what it says under that
 */
const char *
trb_text_item_get_subtitle (TrbTextItem *self)
{
  g_return_val_if_fail (TRB_IS_TEXT_ITEM (self), NULL);
  return self->subtitle;
}

/**
 * trb_text_item_get_icon_name:
 *
 * Returns: (nullable): the icon before it
 */
const char *
trb_text_item_get_icon_name (TrbTextItem *self)
{
  g_return_val_if_fail (TRB_IS_TEXT_ITEM (self), NULL);
  return self->icon_name;
}

/**
 * trb_text_item_get_target:
 *
 * Returns: (nullable): what activating the line opens, such as an address
 */
const char *
trb_text_item_get_target (TrbTextItem *self)
{
  g_return_val_if_fail (TRB_IS_TEXT_ITEM (self), NULL);
  return self->target;
}

struct _TrbTextRow
{
  AdwActionRow  parent_instance;

  TrbTextItem  *item;
};

G_DEFINE_FINAL_TYPE (TrbTextRow, trb_text_row, ADW_TYPE_ACTION_ROW)

static void
trb_text_row_dispose (GObject *object)
{
  TrbTextRow *self = TRB_TEXT_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_TEXT_ROW);
  g_clear_object (&self->item);

  G_OBJECT_CLASS (trb_text_row_parent_class)->dispose (object);
}

static void
trb_text_row_class_init (TrbTextRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = trb_text_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-text-row.ui");
}

static void
trb_text_row_init (TrbTextRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * trb_text_row_new:
 * @item: the line to show
 *
 * Returns: (transfer full): a row showing @item
 */
GtkWidget *
trb_text_row_new (TrbTextItem *item)
{
  TrbTextRow *self;

  g_return_val_if_fail (TRB_IS_TEXT_ITEM (item), NULL);

  self = g_object_new (TRB_TYPE_TEXT_ROW, NULL);
  self->item = g_object_ref (item);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), item->title);
  if (item->subtitle != NULL && *item->subtitle != '\0')
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self), item->subtitle);
  /* Added only when wanted: libadwaita 1.2 makes room for a row's prefixes and suffixes as
   * soon as it has any, shown or not, which would indent the title. */
  if (item->icon_name != NULL)
    adw_action_row_add_prefix (ADW_ACTION_ROW (self),
                               gtk_image_new_from_icon_name (item->icon_name));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (self), item->target != NULL);
  if (item->target != NULL)
    adw_action_row_add_suffix (ADW_ACTION_ROW (self),
                               gtk_image_new_from_icon_name ("go-next-symbolic"));
  return GTK_WIDGET (self);
}

/**
 * trb_text_row_get_item:
 *
 * Returns: (transfer none): the line the row shows
 */
TrbTextItem *
trb_text_row_get_item (TrbTextRow *self)
{
  g_return_val_if_fail (TRB_IS_TEXT_ROW (self), NULL);
  return self->item;
}

/**
 * trb_text_row_create:
 * @item: a #TrbTextItem
 * @user_data: unused
 *
 * A #GtkListBoxCreateWidgetFunc, for gtk_list_box_bind_model() with a model of #TrbTextItem.
 *
 * Returns: (transfer full): a new row
 */
GtkWidget *
trb_text_row_create (gpointer item,
                     gpointer user_data)
{
  return trb_text_row_new (TRB_TEXT_ITEM (item));
}
