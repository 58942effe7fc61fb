/* trb-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-application"

#include "config.h"

#include "trb-application.h"

struct _TrbApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (TrbApplication, trb_application, ADW_TYPE_APPLICATION)

static void
trb_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = g_object_new (ADW_TYPE_APPLICATION_WINDOW, "application", app, NULL);
  gtk_window_present (window);
}

static void
trb_application_class_init (TrbApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = trb_application_activate;
}

static void
trb_application_init (TrbApplication *self)
{
}

TrbApplication *
trb_application_new (void)
{
  return g_object_new (TRB_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", RESOURCE_BASE_PATH,
                       NULL);
}
