/* trb-history-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-history-page"

#include "config.h"

#include "trb-history-page.h"

struct _TrbHistoryPage
{
  AdwBin    parent_instance;

  GtkStack *stack;
};

G_DEFINE_FINAL_TYPE (TrbHistoryPage, trb_history_page, ADW_TYPE_BIN)

static void
trb_history_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_HISTORY_PAGE);

  G_OBJECT_CLASS (trb_history_page_parent_class)->dispose (object);
}

static void
trb_history_page_class_init (TrbHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_history_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbHistoryPage, stack);
}

static void
trb_history_page_init (TrbHistoryPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
