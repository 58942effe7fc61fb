/* trb-networks-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-networks-page"

#include "config.h"

#include "trb-networks-page.h"

struct _TrbNetworksPage
{
  AdwBin    parent_instance;

  GtkStack *stack;
};

G_DEFINE_FINAL_TYPE (TrbNetworksPage, trb_networks_page, ADW_TYPE_BIN)

/* What this action does arrives with the networks domain; until then it stays disabled. */
static void
join_demo_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
}

static void
trb_networks_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_NETWORKS_PAGE);

  G_OBJECT_CLASS (trb_networks_page_parent_class)->dispose (object);
}

static void
trb_networks_page_class_init (TrbNetworksPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_networks_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-networks-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbNetworksPage, stack);
  gtk_widget_class_install_action (widget_class, "networks.join-demo", NULL, join_demo_action);
}

static void
trb_networks_page_init (TrbNetworksPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "networks.join-demo", FALSE);
}
