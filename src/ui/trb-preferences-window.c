/* trb-preferences-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Preferences, each row bound to a GSettings key, so that the background service and the
 * scheduler read the same values the user sees.
 */

#define G_LOG_DOMAIN "trb-preferences-window"

#include "config.h"

#include "trb-preferences-window.h"

#include <glib/gi18n.h>

#include "trb-application.h"
#include "ui/trb-device-list.h"
#include "ui/trb-network-host.h"

struct _TrbPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;

  GtkSwitch            *background_switch;
  AdwComboRow          *preset_row;
  AdwActionRow         *idle_row;
  GtkSwitch            *idle_switch;
  AdwActionRow         *battery_row;
  GtkSwitch            *battery_switch;
  GtkSwitch            *power_saver_switch;
  GtkSwitch            *metered_switch;
  AdwExpanderRow       *hours_row;
  GtkSpinButton        *start_hour;
  GtkSpinButton        *start_minute;
  GtkSpinButton        *end_hour;
  GtkSpinButton        *end_minute;
  GtkSwitch            *witness_switch;
  AdwPreferencesGroup  *host_group;
};

G_DEFINE_FINAL_TYPE (TrbPreferencesWindow, trb_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The combo row lists the presets in the order of the enum's values. */
static gboolean
preset_to_selected (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  static const char * const nicks[] = { "light", "balanced", "full" };
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (nicks); i++)
    {
      if (g_str_equal (nick, nicks[i]))
        {
          g_value_set_uint (value, i);
          return TRUE;
        }
    }

  return FALSE;
}

static GVariant *
selected_to_preset (const GValue       *value,
                    const GVariantType *expected_type,
                    gpointer            user_data)
{
  static const char * const nicks[] = { "light", "balanced", "full" };
  guint selected = g_value_get_uint (value);

  if (selected >= G_N_ELEMENTS (nicks))
    return NULL;

  return g_variant_new_string (nicks[selected]);
}

static void
trb_preferences_window_dispose (GObject *object)
{
  TrbPreferencesWindow *self = (TrbPreferencesWindow *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), TRB_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (trb_preferences_window_parent_class)->dispose (object);
}

static void
trb_preferences_window_class_init (TrbPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_preferences_window_dispose;

  /* The Compute Device section, in the template. */
  g_type_ensure (TRB_TYPE_DEVICE_LIST);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, background_switch);
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, preset_row);
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, idle_row);
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, idle_switch);
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, battery_row);
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, battery_switch);
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, power_saver_switch);
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, metered_switch);
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, hours_row);
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, start_hour);
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, start_minute);
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, end_hour);
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, end_minute);
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, witness_switch);
  gtk_widget_class_bind_template_child (widget_class, TrbPreferencesWindow, host_group);
}

/* The training hours are minutes of the day in GSettings, an hour and a minute here. */
static void
show_minutes (GtkSpinButton *hour,
              GtkSpinButton *minute,
              guint          minutes)
{
  gtk_spin_button_set_value (hour, minutes / 60);
  gtk_spin_button_set_value (minute, minutes % 60);
}

static void
hours_changed_cb (TrbPreferencesWindow *self)
{
  guint start = gtk_spin_button_get_value_as_int (self->start_hour) * 60 +
                gtk_spin_button_get_value_as_int (self->start_minute);
  guint end = gtk_spin_button_get_value_as_int (self->end_hour) * 60 +
              gtk_spin_button_get_value_as_int (self->end_minute);

  if (g_settings_get_uint (self->settings, "time-window-start") != start)
    g_settings_set_uint (self->settings, "time-window-start", MIN (start, 1439));
  if (g_settings_get_uint (self->settings, "time-window-end") != end)
    g_settings_set_uint (self->settings, "time-window-end", MIN (end, 1439));
}

/* Two digits, as on a clock. */
static gboolean
two_digits_cb (GtkSpinButton *spin)
{
  g_autofree char *text = g_strdup_printf ("%02d", gtk_spin_button_get_value_as_int (spin));

  gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

static void
bind_hours (TrbPreferencesWindow *self)
{
  GtkSpinButton *spins[] = { self->start_hour, self->start_minute, self->end_hour,
                             self->end_minute };

  g_settings_bind (self->settings, "time-window-enabled", self->hours_row, "enable-expansion",
                   G_SETTINGS_BIND_DEFAULT);
  show_minutes (self->start_hour, self->start_minute,
                g_settings_get_uint (self->settings, "time-window-start"));
  show_minutes (self->end_hour, self->end_minute,
                g_settings_get_uint (self->settings, "time-window-end"));
  for (guint i = 0; i < G_N_ELEMENTS (spins); i++)
    {
      g_signal_connect (spins[i], "output", G_CALLBACK (two_digits_cb), NULL);
      two_digits_cb (spins[i]);
      g_signal_connect_swapped (spins[i], "value-changed", G_CALLBACK (hours_changed_cb), self);
    }
}

/* The Flatpak may talk to GNOME's idle monitor, logind and UPower, but they need not run (another
 * desktop, a desktop computer without UPower, a bare session) or answer: then nothing tells
 * when the computer is idle or on battery, so say so under the rules that cannot take effect. */
static void
explain_unknown_conditions (TrbPreferencesWindow *self)
{
  GApplication *app = g_application_get_default ();
  TrbScheduler *scheduler = TRB_IS_APPLICATION (app) ?
                            trb_application_get_scheduler (TRB_APPLICATION (app)) : NULL;

  if (scheduler == NULL)
    return;
  if (!trb_scheduler_can_tell_idle (scheduler))
    adw_action_row_set_subtitle (self->idle_row,
                                 _("This computer does not tell Tributary when it is in use, so "
                                   "training does not wait for it to be idle."));
  if (!trb_scheduler_can_tell_battery (scheduler))
    adw_action_row_set_subtitle (self->battery_row,
                                 _("This computer does not tell Tributary when it runs on "
                                   "battery, so this has no effect."));
}

static void
trb_preferences_window_init (TrbPreferencesWindow *self)
{
  static const struct {
    const char *key;
    gsize       offset;
  } switches[] = {
    { "run-in-background", G_STRUCT_OFFSET (TrbPreferencesWindow, background_switch) },
    { "only-when-idle", G_STRUCT_OFFSET (TrbPreferencesWindow, idle_switch) },
    { "pause-on-battery", G_STRUCT_OFFSET (TrbPreferencesWindow, battery_switch) },
    { "pause-in-power-saver", G_STRUCT_OFFSET (TrbPreferencesWindow, power_saver_switch) },
    { "pause-on-metered", G_STRUCT_OFFSET (TrbPreferencesWindow, metered_switch) },
    { "witness-checkpoints", G_STRUCT_OFFSET (TrbPreferencesWindow, witness_switch) },
  };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);

  for (guint i = 0; i < G_N_ELEMENTS (switches); i++)
    {
      GtkSwitch *sw = G_STRUCT_MEMBER (GtkSwitch *, self, switches[i].offset);
      g_settings_bind (self->settings, switches[i].key, sw, "active", G_SETTINGS_BIND_DEFAULT);
    }

  g_settings_bind_with_mapping (self->settings, "resource-preset",
                                self->preset_row, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                preset_to_selected, selected_to_preset, NULL, NULL);

  adw_preferences_group_add (self->host_group, trb_network_host_new ());
  explain_unknown_conditions (self);
  bind_hours (self);
}

TrbPreferencesWindow *
trb_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (TRB_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
}
