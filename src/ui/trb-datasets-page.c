/* trb-datasets-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-datasets-page"

#include "config.h"

#include "trb-datasets-page.h"

struct _TrbDatasetsPage
{
  AdwBin    parent_instance;

  GtkStack *stack;
};

G_DEFINE_FINAL_TYPE (TrbDatasetsPage, trb_datasets_page, ADW_TYPE_BIN)

/* What this action does arrives with the datasets domain; until then it stays disabled. */
static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *param)
{
}

static void
trb_datasets_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_DATASETS_PAGE);

  G_OBJECT_CLASS (trb_datasets_page_parent_class)->dispose (object);
}

static void
trb_datasets_page_class_init (TrbDatasetsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_datasets_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-datasets-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetsPage, stack);
  gtk_widget_class_install_action (widget_class, "datasets.add", NULL, add_action);
}

static void
trb_datasets_page_init (TrbDatasetsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "datasets.add", FALSE);
}
