/* trb-device-list.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Compute Device section of Preferences: the automatic choice and why, the processor and
 * each Vulkan device, one of them picked (the `compute-device` setting; it takes effect from
 * the next round). The rows are the group's own, so that Preferences' search finds them. The
 * devices are listed, and the automatic choice measured, in a worker thread: creating a Vulkan
 * instance and timing a few training steps take a while.
 */

#define G_LOG_DOMAIN "trb-device-list"

#include "config.h"

#include "trb-device-list.h"

#include <glib/gi18n.h>

#include "compute/trb-compute-devices.h"
#include "compute/trb-executor-choice.h"
#include "trb-application.h"
#include "ui/trb-choice-row.h"

struct _TrbDeviceList
{
  AdwPreferencesGroup  parent_instance;

  GtkWidget      *looking_row;
  GSettings      *settings;
  GCancellable   *cancellable;
  GPtrArray      *rows;   /* TrbChoiceRow, each with its device's id as "device-id" */
};

G_DEFINE_FINAL_TYPE (TrbDeviceList, trb_device_list, ADW_TYPE_PREFERENCES_GROUP)

typedef struct
{
  TrbModelSpec            *spec;
  int                      batch_size;
  GPtrArray               *devices;
  char                    *auto_id;
  TrbExecutorChoiceReason  reason;
} Probe;

static void
probe_free (Probe *probe)
{
  g_clear_object (&probe->spec);
  g_clear_pointer (&probe->devices, g_ptr_array_unref);
  g_free (probe->auto_id);
  g_free (probe);
}

static void
probe_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Probe *probe = task_data;
  g_autofree char *cache = trb_executor_choice_dup_cache_path ();

  probe->devices = trb_compute_devices_list (NULL);
  if (!g_cancellable_is_cancelled (cancellable))
    probe->auto_id = trb_executor_choice_explain (probe->spec, probe->batch_size, cache,
                                                  &probe->reason);
  g_task_return_boolean (task, TRUE);
}

static const TrbComputeDevice *
find_device (GPtrArray  *devices,
             const char *id)
{
  for (guint i = 0; id != NULL && i < devices->len; i++)
    {
      const TrbComputeDevice *d = g_ptr_array_index (devices, i);

      if (g_str_equal (d->id, id))
        return d;
    }
  return NULL;
}

/* The software Vulkan device the automatic choice measures against the processor. */
static const char *
software_device_name (GPtrArray *devices)
{
  for (guint i = 0; i < devices->len; i++)
    {
      const TrbComputeDevice *d = g_ptr_array_index (devices, i);

      if (!d->is_processor && d->usable && d->vulkan_type == TRB_VULKAN_DEVICE_CPU)
        return d->name;
    }
  return _("software rendering");
}

static char *
format_reason (Probe *probe)
{
  const TrbComputeDevice *chosen = find_device (probe->devices, probe->auto_id);
  const char *name = chosen != NULL && !chosen->is_processor ? chosen->name : "";

  switch (probe->reason)
    {
    case TRB_EXECUTOR_CHOICE_GRAPHICS_CARD:
      /* Translators: the name of a graphics card */
      return g_strdup_printf (_("%s: a graphics card trains fastest"), name);
    case TRB_EXECUTOR_CHOICE_ONLY_PROCESSOR:
      return g_strdup (_("The processor: no graphics card on this computer can train"));
    case TRB_EXECUTOR_CHOICE_PROCESSOR_FASTER:
      return g_strdup (_("The processor is faster for this model on this computer"));
    case TRB_EXECUTOR_CHOICE_SOFTWARE_FASTER:
      /* Translators: the name of a software graphics device, such as "llvmpipe (…)" */
      return g_strdup_printf (_("%s is faster for this model on this computer"), name);
    case TRB_EXECUTOR_CHOICE_NOT_MEASURED:
    default:
      /* Translators: the name of a software graphics device, such as "llvmpipe (…)" */
      return g_strdup_printf (_("The faster of the processor and %s, measured when a network "
                                "starts training"), software_device_name (probe->devices));
    }
}

static char *
describe_device (const TrbComputeDevice *d)
{
  if (d->is_processor)
    {
      g_autofree char *cores = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u core",
                                                             "%u cores", d->n_cores),
                                                d->n_cores);

      if (d->name == NULL)
        return g_steal_pointer (&cores);
      /* Translators: "AMD Ryzen 7 5800X · 16 cores" */
      return g_strdup_printf (_("%s · %s"), d->name, cores);
    }
  else
    {
      g_autofree char *memory = g_format_size (d->memory_bytes);
      const char *kind;

      switch (d->vulkan_type)
        {
        case TRB_VULKAN_DEVICE_DISCRETE:
          kind = _("Graphics card");
          break;
        case TRB_VULKAN_DEVICE_INTEGRATED:
          kind = _("Integrated graphics");
          break;
        case TRB_VULKAN_DEVICE_CPU:
          kind = _("Software, runs on the processor");
          break;
        case TRB_VULKAN_DEVICE_VIRTUAL:
        case TRB_VULKAN_DEVICE_OTHER:
        default:
          kind = _("Other device");
          break;
        }
      if (!d->usable)
        /* Translators: "Graphics card · cannot be used for training" */
        return g_strdup_printf (_("%s · cannot be used for training"), kind);
      /* Translators: "Graphics card · 8.6 GB of memory" */
      return g_strdup_printf (_("%s · %s of memory"), kind, memory);
    }
}

/* The device picked has a check mark; each other usable one a Use button. */
static void
show_setting (TrbDeviceList *self)
{
  g_autofree char *current = g_settings_get_string (self->settings, "compute-device");
  gboolean found = FALSE;

  for (guint i = 0; i < self->rows->len; i++)
    found |= g_str_equal (g_object_get_data (g_ptr_array_index (self->rows, i), "device-id"),
                          current);
  for (guint i = 0; i < self->rows->len; i++)
    {
      GObject *row = g_ptr_array_index (self->rows, i);
      const char *id = g_object_get_data (row, "device-id");
      /* A device that is gone (a card taken out) trains nowhere: Automatic is used instead. */
      gboolean picked = found ? g_str_equal (id, current) : g_str_equal (id, "auto");

      trb_choice_row_set_chosen (TRB_CHOICE_ROW (row), picked);
    }
}

static void
pick_device (TrbDeviceList *self,
             const char    *id)
{
  g_autofree char *current = g_settings_get_string (self->settings, "compute-device");

  if (!g_str_equal (current, id))
    g_settings_set_string (self->settings, "compute-device", id);
}

static void
row_activated_cb (AdwActionRow  *row,
                  TrbDeviceList *self)
{
  pick_device (self, g_object_get_data (G_OBJECT (row), "device-id"));
}

static void
use_cb (TrbChoiceRow  *row,
        TrbDeviceList *self)
{
  pick_device (self, g_object_get_data (G_OBJECT (row), "device-id"));
}

static void
add_row (TrbDeviceList *self,
         const char    *id,
         const char    *title,
         const char    *subtitle,
         gboolean       sensitive)
{
  GtkWidget *row = trb_choice_row_new (title, subtitle);

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), sensitive);
  g_signal_connect (row, "activated", G_CALLBACK (row_activated_cb), self);
  g_signal_connect (row, "use", G_CALLBACK (use_cb), self);
  /* A device that cannot train is listed, with why, but has no Use button. */
  trb_choice_row_set_can_use (TRB_CHOICE_ROW (row), sensitive);
  g_object_set_data_full (G_OBJECT (row), "device-id", g_strdup (id), g_free);
  gtk_widget_set_sensitive (row, sensitive);
  g_ptr_array_add (self->rows, row);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), row);
}

static void
clear_rows (TrbDeviceList *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (ADW_PREFERENCES_GROUP (self), g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
  if (self->looking_row != NULL)
    adw_preferences_group_remove (ADW_PREFERENCES_GROUP (self), self->looking_row);
  self->looking_row = NULL;
}

static void
probed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  TrbDeviceList *self;
  Probe *probe = g_task_get_task_data (G_TASK (result));
  g_autofree char *reason = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), NULL) ||
      g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;
  self = TRB_DEVICE_LIST (source);
  clear_rows (self);
  reason = format_reason (probe);
  add_row (self, "auto", _("Automatic"), reason, TRUE);
  for (guint i = 0; i < probe->devices->len; i++)
    {
      const TrbComputeDevice *d = g_ptr_array_index (probe->devices, i);
      g_autofree char *subtitle = describe_device (d);

      add_row (self, d->id, d->is_processor ? _("Processor") : d->name, subtitle, d->usable);
    }
  show_setting (self);
}

/* The model the automatic choice is measured for: the first joined network's, once read. */
static void
pick_model (Probe *probe)
{
  GApplication *app = g_application_get_default ();
  TrbParticipationManager *manager = TRB_IS_APPLICATION (app) ?
                                     trb_application_get_participations (TRB_APPLICATION (app)) :
                                     NULL;
  guint n = manager != NULL ? g_list_model_get_n_items (G_LIST_MODEL (manager)) : 0;

  for (guint i = 0; i < n && probe->spec == NULL; i++)
    {
      g_autoptr(TrbParticipation) p = g_list_model_get_item (G_LIST_MODEL (manager), i);

      if (trb_participation_get_model_spec (p) != NULL)
        {
          probe->spec = g_object_ref (trb_participation_get_model_spec (p));
          probe->batch_size = trb_participation_get_batch_size (p);
        }
    }
}

static void
trb_device_list_dispose (GObject *object)
{
  TrbDeviceList *self = TRB_DEVICE_LIST (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->rows, g_ptr_array_unref);

  G_OBJECT_CLASS (trb_device_list_parent_class)->dispose (object);
}

static void
trb_device_list_class_init (TrbDeviceListClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = trb_device_list_dispose;
}

static void
trb_device_list_init (TrbDeviceList *self)
{
  g_autoptr(GTask) task = NULL;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spinner = gtk_spinner_new ();
  Probe *probe = g_new0 (Probe, 1);

  self->settings = g_settings_new (APP_ID);
  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self), _("Compute Device"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self),
                                         _("The graphics card or processor used for training. "
                                           "A change applies from the next round."));

  /* Never an empty section: say what is happening until the devices are known. */
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Looking for devices…"));
  gtk_spinner_start (GTK_SPINNER (spinner));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spinner);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), row);
  self->looking_row = row;

  g_signal_connect_object (self->settings, "changed::compute-device", G_CALLBACK (show_setting),
                           self, G_CONNECT_SWAPPED);

  pick_model (probe);
  task = g_task_new (self, self->cancellable, probed_cb, NULL);
  g_task_set_source_tag (task, trb_device_list_init);
  g_task_set_task_data (task, probe, (GDestroyNotify) probe_free);
  g_task_run_in_thread (task, probe_thread);
}

/**
 * trb_device_list_new:
 *
 * Returns: (transfer floating): the Compute Device section of Preferences
 */
GtkWidget *
trb_device_list_new (void)
{
  return g_object_new (TRB_TYPE_DEVICE_LIST, NULL);
}
