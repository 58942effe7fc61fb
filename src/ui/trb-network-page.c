/* trb-network-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A joined network's page, opened from the Networks area: what it trains, its round and what
 * this computer is doing for it, the data it learns from (changeable, checked as at Join), the
 * device it trains on, what leaves this computer, its privacy and reward policy, and Leave.
 */

#define G_LOG_DOMAIN "trb-network-page"

#include "config.h"

#include "trb-network-page.h"

#include <glib/gi18n.h>

#include "compute/trb-compute-devices.h"
#include "net/trb-client.h"
#include "participant/trb-network-summary.h"
#include "store/trb-store.h"
#include "trb-json.h"
#include "ui/trb-a11y.h"
#include "ui/trb-choice-row.h"
#include "ui/trb-dataset-choices.h"
#include "ui/trb-evidence.h"
#include "ui/trb-waiting-text.h"
#include "ui/trb-window.h"

struct _TrbNetworkPage
{
  AdwBin               parent_instance;

  GtkLabel            *title_label;
  AdwPreferencesGroup *about_group;
  AdwActionRow        *round_row;
  AdwPreferencesGroup *dataset_group;
  GtkLabel            *dataset_message;
  AdwActionRow        *device_row;
  AdwPreferencesGroup *policy_group;
  AdwActionRow        *data_row;
  AdwActionRow        *leaves_row;
  AdwActionRow        *privacy_row;
  AdwActionRow        *rewards_row;
  GtkRevealer         *tamper_revealer;
  GtkLabel            *tamper_title;
  GtkLabel            *tamper_label;
  TrbHistory          *history;   /* opened on first use, for the evidence */

  TrbParticipationManager *manager;
  TrbParticipation    *participation;
  GSettings           *settings;
  GCancellable        *cancellable;
  TrbClient           *client;
  TrbModelSpec        *spec;
  GPtrArray           *dataset_paths;
  GPtrArray           *dataset_rows;    /* TrbChoiceRow, one per path of dataset_paths */
  guint                chosen;   /* the position of the data in use */
  gboolean             changing;         /* a change of data is being checked */
  gboolean             choices_stale;    /* the datasets changed meanwhile */
};

G_DEFINE_FINAL_TYPE (TrbNetworkPage, trb_network_page, ADW_TYPE_BIN)

enum
{
  SIGNAL_BACK,
  SIGNAL_LEAVE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
show_status (TrbNetworkPage *self)
{
  g_autofree char *status = NULL;
  g_autofree char *number = NULL;
  g_autofree char *title = NULL;
  gint64 round;

  if (self->participation == NULL)
    return;
  /* Why it waits and until when, in the same words as the Activity area. */
  status = trb_waiting_text_dup_status (self->participation);
  round = trb_participation_get_round (self->participation);
  if (round > 0)
    {
      number = g_strdup_printf ("%" G_GINT64_FORMAT, round);
      /* Translators: the number of the network's current round of training. */
      title = g_strdup_printf (_("Round %s"), number);
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->round_row),
                                 title != NULL ? title : _("Round"));
  adw_action_row_set_subtitle (self->round_row, status);
}

static TrbHistory *
get_history (TrbNetworkPage *self)
{
  g_autoptr(GError) error = NULL;

  if (self->history != NULL)
    return self->history;
  /* The manager's store is the application's: one connection for every area. */
  self->history = trb_history_new (trb_participation_manager_get_store (self->manager), &error);
  if (self->history == NULL)
    g_warning ("Could not open the history: %s", error->message);
  return self->history;
}

/* The banner: what was found in this network's ledger, in the words of every other path,
 * while taking part in it is stopped for that. */
static void
show_tamper (TrbNetworkPage *self)
{
  TrbHistory *history = self->participation != NULL ? get_history (self) : NULL;
  const char *origin = self->participation != NULL
                         ? trb_participation_get_origin (self->participation) : NULL;
  g_autoptr(GError) error = NULL;
  TrbLedgerTamper kind = history != NULL && origin != NULL
                           ? trb_history_get_tamper (history, origin, &error)
                           : TRB_LEDGER_TAMPER_NONE;
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;

  if (error != NULL)
    trb_window_report_problem (GTK_WIDGET (self), _("The history could not be read"), error);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "network.save-evidence",
                                 kind != TRB_LEDGER_TAMPER_NONE);
  gtk_revealer_set_reveal_child (self->tamper_revealer, kind != TRB_LEDGER_TAMPER_NONE);
  if (kind == TRB_LEDGER_TAMPER_NONE)
    return;
  title = trb_evidence_dup_title (kind, trb_participation_manager_get_name (self->manager,
                                                                          self->participation));
  /* Translators: %s is a sentence saying what was found in the network's ledger. */
  body = g_strdup_printf (_("%s Tributary stopped taking part in this network. Save the evidence "
                            "and share it with the network’s community; History says what you "
                            "can do next."), trb_ledger_tamper_describe (kind));
  gtk_label_set_label (self->tamper_title, title);
  gtk_label_set_label (self->tamper_label, body);
}

static void
save_evidence_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  TrbNetworkPage *self = TRB_NETWORK_PAGE (widget);

  if (self->participation != NULL && get_history (self) != NULL)
    trb_evidence_save (widget, self->history,
                       trb_participation_get_origin (self->participation));
}

/* A picked graphics device is named as Preferences names it; listing the devices loads the
 * Vulkan driver, so it runs on a worker thread. */
static void
device_name_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  const char *id = task_data;
  g_autoptr(GPtrArray) devices = NULL;

  /* Two steps, listing (slow: the driver loads) then matching; a page that went away in
   * between wants neither. */
  if (g_task_return_error_if_cancelled (task))
    return;
  devices = trb_compute_devices_list (NULL);
  if (g_task_return_error_if_cancelled (task))
    return;
  for (guint i = 0; devices != NULL && i < devices->len; i++)
    {
      TrbComputeDevice *device = g_ptr_array_index (devices, i);

      if (g_strcmp0 (device->id, id) == 0)
        {
          g_task_return_pointer (task, g_strdup (device->name), g_free);
          return;
        }
    }
  g_task_return_pointer (task, NULL, NULL);
}

static void
device_named_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TrbNetworkPage) self = user_data;
  g_autofree char *name = g_task_propagate_pointer (G_TASK (result), NULL);
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));

  if (cancellable != NULL && g_cancellable_is_cancelled (cancellable))
    return;
  adw_action_row_set_subtitle (self->device_row,
                               name != NULL ? name : _("A device that is no longer there"));
}

static void
show_device (TrbNetworkPage *self)
{
  g_autofree char *device = g_settings_get_string (self->settings, "compute-device");

  if (*device == '\0' || g_str_equal (device, "auto"))
    adw_action_row_set_subtitle (self->device_row, _("Chosen automatically"));
  else if (g_str_equal (device, "cpu"))
    adw_action_row_set_subtitle (self->device_row, _("The processor"));
  else
    {
      g_autoptr(GTask) task = g_task_new (NULL, self->cancellable, device_named_cb,
                                          g_object_ref (self));

      g_task_set_task_data (task, g_strdup (device), g_free);
      g_task_run_in_thread (task, device_name_thread);
    }
}

static void
set_dataset_message (TrbNetworkPage *self,
                     const char     *message,
                     gboolean        problem)
{
  gtk_label_set_label (self->dataset_message, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->dataset_message), message != NULL);
  if (problem)
    gtk_widget_add_css_class (GTK_WIDGET (self->dataset_message), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->dataset_message), "error");
}

static void
set_datasets_sensitive (TrbNetworkPage *self,
                        gboolean        sensitive)
{
  for (guint i = 0; i < self->dataset_rows->len; i++)
    gtk_widget_set_sensitive (g_ptr_array_index (self->dataset_rows, i), sensitive);
}

/* The data in use has a check mark; each other choice a Use button. */
static void
show_chosen (TrbNetworkPage *self)
{
  for (guint i = 0; i < self->dataset_rows->len; i++)
    trb_choice_row_set_chosen (g_ptr_array_index (self->dataset_rows, i), i == self->chosen);
}

static void refresh_datasets (TrbNetworkPage *self);

typedef struct
{
  TrbNetworkPage *self;
  guint           position;
} Change;

static void
change_free (Change *change)
{
  g_object_unref (change->self);
  g_free (change);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Change, change_free)

static void
dataset_changed_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(Change) change = user_data;
  TrbNetworkPage *self = change->self;
  guint position = change->position;
  g_autoptr(GError) error = NULL;

  if (!trb_participation_manager_change_dataset_finish (TRB_PARTICIPATION_MANAGER (source),
                                                        result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      self->changing = FALSE;
      /* The data in use stays; the problem shows where the choice was made. */
      set_datasets_sensitive (self, TRUE);
      set_dataset_message (self, error->message, TRUE);
      refresh_datasets (self);
      return;
    }
  self->changing = FALSE;
  self->chosen = position;
  show_chosen (self);
  set_datasets_sensitive (self, TRUE);
  set_dataset_message (self, _("From the next round, the network learns from this data."),
                       FALSE);
  refresh_datasets (self);
}

static void
use_cb (TrbChoiceRow   *row,
        TrbNetworkPage *self)
{
  guint position;
  Change *change;

  if (self->participation == NULL ||
      !g_ptr_array_find (self->dataset_rows, row, &position) || position == self->chosen)
    return;
  if (self->spec == NULL)
    {
      set_dataset_message (self, _("The data can be changed once the network answers."), TRUE);
      return;
    }
  self->changing = TRUE;
  set_datasets_sensitive (self, FALSE);
  set_dataset_message (self, _("Checking that the network can learn from this data…"), FALSE);
  change = g_new0 (Change, 1);
  change->self = g_object_ref (self);
  change->position = position;
  trb_participation_manager_change_dataset_async (self->manager, self->participation,
                                                  g_ptr_array_index (self->dataset_paths,
                                                                     position),
                                                  self->spec, self->cancellable,
                                                  dataset_changed_cb, change);
}

/* The choices as they are in the store now: names and paths, in the order shown. The data
 * chosen at Join that is no longer among them still shows, as the one in use. */
static void
read_choices (TrbNetworkPage *self,
              GtkStringList  *names,
              GPtrArray      *paths,
              guint          *chosen)
{
  const char *current = trb_participation_get_dataset_path (self->participation);

  trb_dataset_choices_fill (trb_participation_manager_get_store (self->manager), names, paths);
  if (!g_ptr_array_find_with_equal_func (paths, current, g_str_equal, chosen))
    {
      g_autofree char *name = g_filename_display_basename (current);

      gtk_string_list_append (names, name);
      g_ptr_array_add (paths, g_strdup (current));
      *chosen = paths->len - 1;
    }
}

static void
clear_datasets (TrbNetworkPage *self)
{
  for (guint i = 0; i < self->dataset_rows->len; i++)
    adw_preferences_group_remove (self->dataset_group, g_ptr_array_index (self->dataset_rows, i));
  g_ptr_array_set_size (self->dataset_rows, 0);
  g_ptr_array_set_size (self->dataset_paths, 0);
}

static void
add_choice_row (TrbNetworkPage *self,
                const char     *name,
                const char     *path)
{
  g_autofree char *display_path = g_filename_display_name (path);
  GtkWidget *row = trb_choice_row_new (name, display_path);

  /* The whole path, over several lines at 360 px: the folder tells two copies apart. */
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  g_signal_connect (row, "use", G_CALLBACK (use_cb), self);
  adw_preferences_group_add (self->dataset_group, row);
  g_ptr_array_add (self->dataset_rows, row);
  g_ptr_array_add (self->dataset_paths, g_strdup (path));
}

/* The store announces each write, several for one dataset added: only the rows whose dataset
 * came or went are added or removed, and a renamed one is renamed, so that the others keep
 * their place and the keyboard focus. A dataset that comes back comes at the end. */
static void
fill_datasets (TrbNetworkPage *self)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  guint position;

  read_choices (self, names, paths, &position);
  self->choices_stale = FALSE;

  for (guint i = self->dataset_paths->len; i > 0; i--)
    if (!g_ptr_array_find_with_equal_func (paths, g_ptr_array_index (self->dataset_paths, i - 1),
                                           g_str_equal, NULL))
      {
        adw_preferences_group_remove (self->dataset_group,
                                      g_ptr_array_index (self->dataset_rows, i - 1));
        g_ptr_array_remove_index (self->dataset_rows, i - 1);
        g_ptr_array_remove_index (self->dataset_paths, i - 1);
      }
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      const char *name = gtk_string_list_get_string (names, i);
      guint shown;

      if (!g_ptr_array_find_with_equal_func (self->dataset_paths, path, g_str_equal, &shown))
        add_choice_row (self, name, path);
      else if (g_strcmp0 (adw_preferences_row_get_title (g_ptr_array_index (self->dataset_rows,
                                                                            shown)), name) != 0)
        adw_preferences_row_set_title (g_ptr_array_index (self->dataset_rows, shown), name);
    }
  g_ptr_array_find_with_equal_func (self->dataset_paths, g_ptr_array_index (paths, position),
                                    g_str_equal, &self->chosen);
  show_chosen (self);
}

/* Datasets were added, paused, resumed or withdrawn, in the Datasets area or by the
 * participation: the choices follow at once. While a change of data is checked the rows stay
 * as they are (its answer refers to one of them), and follow after. */
static void
refresh_datasets (TrbNetworkPage *self)
{
  if (self->participation == NULL)
    return;
  if (self->changing)
    {
      self->choices_stale = TRUE;
      return;
    }
  fill_datasets (self);
}

static void
store_changed_cb (TrbNetworkPage *self)
{
  refresh_datasets (self);
}

static void
task_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TrbNetworkPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) task = trb_client_json_finish (TRB_CLIENT (source), result, &error);
  g_autofree char *data = NULL;
  g_autofree char *leaves = NULL;
  g_autofree char *rewards = NULL;
  const char *description;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (task == NULL)
    {
      /* The page stays useful without it; the details are in the log. */
      g_message ("Could not read the task of %s: %s",
                 trb_participation_get_origin (self->participation), error->message);
      adw_preferences_group_set_description (self->about_group,
                                             _("The network does not answer right now, so "
                                               "what it says about itself cannot be shown. "
                                               "Other data can be chosen once it answers."));
      return;
    }
  description = trb_json_get_string (task, "description", NULL);
  if (description == NULL)
    description = trb_json_get_string (task, "title", _("Not described"));
  adw_preferences_group_set_description (self->about_group, description);

  data = trb_network_summary_dup_data (task);
  adw_action_row_set_subtitle (self->data_row, data);
  leaves = trb_network_summary_dup_leaves (task);
  adw_action_row_set_subtitle (self->leaves_row, leaves);
  adw_action_row_set_subtitle (self->privacy_row, trb_network_summary_get_privacy (task));
  rewards = trb_network_summary_dup_rewards (task);
  adw_action_row_set_subtitle (self->rewards_row, rewards);
  gtk_widget_set_visible (GTK_WIDGET (self->policy_group), TRUE);

  g_clear_object (&self->spec);
  self->spec = trb_network_summary_dup_spec (task);
}

static void
load_task (TrbNetworkPage *self)
{
  const char *url = trb_participation_manager_get_url (self->manager, self->participation);

  g_clear_object (&self->client);
  g_clear_object (&self->spec);
  gtk_widget_set_visible (GTK_WIDGET (self->policy_group), FALSE);
  adw_preferences_group_set_description (self->about_group,
                                         _("Reading what the network says about itself…"));
  if (url == NULL)
    return;
  self->client = trb_client_new (url);
  trb_client_get_task_async (self->client, trb_participation_get_task (self->participation),
                             self->cancellable, task_cb, g_object_ref (self));
}

/**
 * trb_network_page_set_participation:
 * @self: a page
 * @participation: (nullable): the joined network to show
 */
void
trb_network_page_set_participation (TrbNetworkPage   *self,
                                    TrbParticipation *participation)
{
  g_return_if_fail (TRB_IS_NETWORK_PAGE (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->participation != NULL)
    g_signal_handlers_disconnect_by_data (self->participation, self);
  g_set_object (&self->participation, participation);
  show_tamper (self);
  if (participation == NULL)
    return;

  self->cancellable = g_cancellable_new ();
  gtk_label_set_label (self->title_label,
                       trb_participation_manager_get_name (self->manager, participation));
  g_signal_connect_swapped (participation, "notify::status", G_CALLBACK (show_status), self);
  g_signal_connect_swapped (participation, "notify::round", G_CALLBACK (show_status), self);
  /* A participation that finds tampering stops: the banner says what it found. */
  g_signal_connect_swapped (participation, "notify::status", G_CALLBACK (show_tamper), self);
  show_status (self);
  show_device (self);
  self->changing = FALSE;
  clear_datasets (self);
  fill_datasets (self);
  set_dataset_message (self, NULL, FALSE);
  load_task (self);
}

/**
 * trb_network_page_get_participation:
 * @self: a page
 *
 * Returns: (transfer none) (nullable): the joined network shown
 */
TrbParticipation *
trb_network_page_get_participation (TrbNetworkPage *self)
{
  g_return_val_if_fail (TRB_IS_NETWORK_PAGE (self), NULL);
  return self->participation;
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  g_signal_emit (widget, signals[SIGNAL_BACK], 0);
}

static void
leave_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  TrbNetworkPage *self = TRB_NETWORK_PAGE (widget);

  if (self->participation != NULL)
    g_signal_emit (self, signals[SIGNAL_LEAVE], 0, self->participation);
}

static void
trb_network_page_dispose (GObject *object)
{
  TrbNetworkPage *self = TRB_NETWORK_PAGE (object);

  trb_network_page_set_participation (self, NULL);
  g_clear_object (&self->client);
  g_clear_object (&self->spec);
  g_clear_object (&self->settings);
  g_clear_object (&self->manager);
  g_clear_object (&self->history);
  g_clear_pointer (&self->dataset_paths, g_ptr_array_unref);
  g_clear_pointer (&self->dataset_rows, g_ptr_array_unref);
  adw_bin_set_child (ADW_BIN (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_NETWORK_PAGE);

  G_OBJECT_CLASS (trb_network_page_parent_class)->dispose (object);
}

static void
trb_network_page_class_init (TrbNetworkPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_network_page_dispose;

  /**
   * TrbNetworkPage::back:
   *
   * The person asked to go back to the list of networks.
   */
  signals[SIGNAL_BACK] = g_signal_new ("back", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * TrbNetworkPage::leave:
   * @participation: the network shown
   *
   * The person asked to leave the network (not yet confirmed).
   */
  signals[SIGNAL_LEAVE] = g_signal_new ("leave", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                        TRB_TYPE_PARTICIPATION);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-network-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkPage, about_group);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkPage, round_row);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkPage, dataset_group);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkPage, dataset_message);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkPage, device_row);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkPage, policy_group);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkPage, data_row);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkPage, leaves_row);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkPage, privacy_row);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkPage, rewards_row);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkPage, tamper_revealer);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkPage, tamper_title);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkPage, tamper_label);
  gtk_widget_class_install_action (widget_class, "network.save-evidence", NULL,
                                   save_evidence_action);
  gtk_widget_class_install_action (widget_class, "network.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "network.leave", NULL, leave_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "network.back",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "network.back", NULL);
}

static void
trb_network_page_init (TrbNetworkPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->dataset_paths = g_ptr_array_new_with_free_func (g_free);
  self->dataset_rows = g_ptr_array_new ();
  self->settings = g_settings_new (APP_ID);
  g_signal_connect_object (self->settings, "changed::compute-device", G_CALLBACK (show_device),
                           self, G_CONNECT_SWAPPED);
}

/**
 * trb_network_page_new:
 * @manager: the joined networks
 *
 * Returns: (transfer full): a page showing no network yet
 */
GtkWidget *
trb_network_page_new (TrbParticipationManager *manager)
{
  TrbNetworkPage *self;

  g_return_val_if_fail (TRB_IS_PARTICIPATION_MANAGER (manager), NULL);

  self = g_object_new (TRB_TYPE_NETWORK_PAGE, NULL);
  self->manager = g_object_ref (manager);
  g_signal_connect_object (trb_participation_manager_get_store (manager),
                           "changed::" TRB_STORE_CHANGE_DATASETS, G_CALLBACK (store_changed_cb),
                           self, G_CONNECT_SWAPPED);
  return GTK_WIDGET (self);
}
