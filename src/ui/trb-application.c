/* trb-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-application"

#include "config.h"

#include "trb-application.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "desktop/trb-background.h"
#include "desktop/trb-tray.h"
#include "participant/trb-scheduler.h"
#include "ui/trb-a11y.h"
#include "ui/trb-address-dialog.h"
#include "ui/trb-help.h"
#include "ui/trb-join-dialog.h"
#include "ui/trb-preferences-window.h"
#include "ui/trb-window.h"

struct _TrbApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  TrbScheduler   *scheduler;
  TrbBackground  *background;
  TrbTray        *tray;

  TrbStore                *store;
  GError                  *store_error;   /* why the local data could not be opened */
  TrbWalletManager        *wallets;
  TrbParticipationManager *participations;
  TrbDemoNode             *demo_node;
  TrbDemoNode             *hosted_node;

  GHashTable              *tallies;  /* network origin → NetworkTally */
};

/* What one network did today, summed up in its notification. */
typedef struct
{
  int     day;          /* year × 1000 + day of the year, local time */
  guint   rounds;
  gboolean counted;     /* rounds was read from the event log, which outlives the app */
  gint64  points;       /* thousandths, credited since the app started */
  gint64  points_seen;  /* the participation's credited points at its last reward event */
  char   *problem;      /* the last problem notified, not notified twice in a row */
} NetworkTally;

static void
network_tally_free (NetworkTally *tally)
{
  g_free (tally->problem);
  g_free (tally);
}

G_DEFINE_FINAL_TYPE (TrbApplication, trb_application, ADW_TYPE_APPLICATION)

static GtkWindow *
get_main_window (TrbApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    {
      if (TRB_IS_WINDOW (l->data))
        return l->data;
    }

  return NULL;
}

static void
trb_application_activate (GApplication *app)
{
  TrbApplication *self = TRB_APPLICATION (app);
  GtkWindow *window = get_main_window (self);

  if (window == NULL)
    window = GTK_WINDOW (trb_window_new (GTK_APPLICATION (app)));

  gtk_window_present (window);
}

static int
trb_application_handle_local_options (GApplication *app,
                                      GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("tributary %s\n", PACKAGE_VERSION);
      return 0;
    }

  return G_APPLICATION_CLASS (trb_application_parent_class)->handle_local_options (app, options);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  TrbApplication *self = user_data;
  TrbPreferencesWindow *window = trb_preferences_window_new (get_main_window (self));

  gtk_window_present (GTK_WINDOW (window));
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  static const char *developers[] = { "The Tributary developers", NULL };
  TrbApplication *self = user_data;
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", get_main_window (self),
                        "modal", TRUE,
                        "application-icon", APP_ID,
                        "application-name", _("Tributary"),
                        "developer-name", _("The Tributary developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("Help train shared machine-learning models without "
                                      "sharing your data."),
                        "website", "https://github.com/tributary/tributary",
                        "issue-url", "https://github.com/tributary/tributary/issues",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "copyright", "© 2026 The Tributary developers",
                        "developers", developers,
                        /* Translators: Replace "translator-credits" with your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  adw_about_window_add_legal_section (ADW_ABOUT_WINDOW (about),
                                      _("Demo Data"),
                                      "© Zalando SE",
                                      GTK_LICENSE_MIT_X11,
                                      NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
shortcuts_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  GtkWindow *window = get_main_window (TRB_APPLICATION (user_data));

  /* GtkApplication loads gtk/help-overlay.ui from the resource base path and gives each
   * window a win.show-help-overlay action. */
  if (window != NULL)
    gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
}

static void
help_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  GtkWindow *window = get_main_window (TRB_APPLICATION (user_data));

  trb_help_show (window, NULL);
}

static void
open_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  g_application_activate (G_APPLICATION (user_data));
}

static void
pause_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  trb_scheduler_pause (TRB_APPLICATION (user_data)->scheduler);
}

static void
resume_action (GSimpleAction *action,
               GVariant      *param,
               gpointer       user_data)
{
  trb_scheduler_resume (TRB_APPLICATION (user_data)->scheduler);
}

static void
pause_for_an_hour_action (GSimpleAction *action,
                          GVariant      *param,
                          gpointer       user_data)
{
  trb_scheduler_pause_for (TRB_APPLICATION (user_data)->scheduler, 60 * 60);
}

static void
pause_until_tomorrow_action (GSimpleAction *action,
                             GVariant      *param,
                             gpointer       user_data)
{
  trb_scheduler_pause_until_tomorrow (TRB_APPLICATION (user_data)->scheduler);
}

static void
pause_after_round_action (GSimpleAction *action,
                          GVariant      *param,
                          gpointer       user_data)
{
  trb_scheduler_pause_after_round (TRB_APPLICATION (user_data)->scheduler);
}

/* Pause and Resume are offered one at a time, and the tray shows the scheduler's reason. */
static void
scheduler_changed_cb (TrbApplication *self)
{
  TrbSchedulerDecision *decision = trb_scheduler_get_decision (self->scheduler);
  gboolean paused = trb_scheduler_is_paused (self->scheduler);
  GAction *action;

  action = g_action_map_lookup_action (G_ACTION_MAP (self), "pause");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), !paused);
  action = g_action_map_lookup_action (G_ACTION_MAP (self), "pause-after-round");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), !paused);
  action = g_action_map_lookup_action (G_ACTION_MAP (self), "resume");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), paused);

  if (self->tray != NULL)
    {
      trb_tray_set_status (self->tray, trb_scheduler_decision_get_message (decision));
      trb_tray_set_paused (self->tray, paused);
    }
}

/* The tray icon is there while the app keeps running in the background, the one time it is the
 * only way back to the app short of the app grid. */
static void
background_changed_cb (TrbApplication *self)
{
  GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (self));

  if (!trb_background_get_enabled (self->background) || connection == NULL)
    {
      g_clear_object (&self->tray);
      return;
    }

  if (self->tray == NULL)
    {
      g_autoptr(GError) error = NULL;

      self->tray = trb_tray_new (connection, G_ACTION_GROUP (self), APP_ID, &error);
      if (self->tray == NULL)
        g_debug ("No tray icon: %s", error->message);
      scheduler_changed_cb (self);
    }
}

static void
background_problem_cb (TrbApplication *self,
                       const char     *message)
{
  g_autoptr(GNotification) notification = g_notification_new (_("Background Contribution"));

  g_notification_set_body (notification, message);
  g_application_send_notification (G_APPLICATION (self), "background-problem", notification);
}

/* ---- participation ---------------------------------------------------------------------- */

/* Notifications follow GNOME's habits: nothing the focused window already shows, at most one
 * per network and round, replacing the one before (a stable ID per network), rewards summed
 * up for the day, and problems that need the person always. */

static char *
round_notification_id (const char *origin)
{
  return g_strconcat ("network:", origin, NULL);
}

static char *
problem_notification_id (const char *origin)
{
  return g_strconcat ("problem:", origin, NULL);
}

static gboolean
window_is_showing (TrbApplication *self)
{
  GtkWindow *window = get_main_window (self);

  return window != NULL && gtk_widget_get_visible (GTK_WIDGET (window)) &&
         gtk_window_is_active (window);
}

static NetworkTally *
lookup_tally (TrbApplication *self,
              const char     *origin)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  int day = g_date_time_get_year (now) * 1000 + g_date_time_get_day_of_year (now);
  NetworkTally *tally = g_hash_table_lookup (self->tallies, origin);

  if (tally == NULL)
    {
      tally = g_new0 (NetworkTally, 1);
      tally->day = day;
      g_hash_table_insert (self->tallies, g_strdup (origin), tally);
    }
  if (tally->day != day)
    {
      tally->day = day;
      tally->rounds = 0;
      tally->counted = FALSE;
      tally->points = 0;
    }
  return tally;
}

/* The rounds contributed today, the one just logged included, from the event log. */
static guint
count_rounds_today (TrbApplication *self,
                    const char     *origin)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (now),
                                                         g_date_time_get_month (now),
                                                         g_date_time_get_day_of_month (now),
                                                         0, 0, 0);
  gint64 since = g_date_time_to_unix (midnight);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  guint rounds = 0;

  /* Unreadable, the count is only for the words of a notification: "1 round" then. */
  events = trb_participation_manager_list_events (self->participations, origin, 10000, &error);
  if (events == NULL)
    {
      g_debug ("The rounds of today could not be counted: %s", error->message);
      return 1;
    }
  for (guint i = 0; i < events->len; i++)
    {
      TrbParticipationEvent *event = g_ptr_array_index (events, i);

      if (event->time < since)
        break;
      if (g_strcmp0 (event->kind, "contributed") == 0)
        rounds++;
    }
  return MAX (rounds, 1);
}

static void
notify_problem (TrbApplication   *self,
                TrbParticipation *participation,
                const char       *name,
                const char       *message)
{
  const char *origin = trb_participation_get_origin (participation);
  NetworkTally *tally = lookup_tally (self, origin);
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = problem_notification_id (origin);
  g_autofree char *body = NULL;
  gboolean tampered = trb_participation_get_state (participation) ==
                      TRB_PARTICIPATION_STATE_STOPPED;

  /* A ledger that changed stops the network until the person decides: always said. Other
   * problems the loop retries by itself; the Activity area shows them while the window is in
   * front, and one that comes back each try is said once, until something changes. */
  if (!tampered && (window_is_showing (self) || g_strcmp0 (tally->problem, message) == 0))
    return;
  g_free (tally->problem);
  tally->problem = g_strdup (message);

  if (tampered)
    {
      notification = g_notification_new (_("Ledger Alert"));
      g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_URGENT);
    }
  else
    notification = g_notification_new (_("A Network Needs Attention"));
  /* Translators: the network's name, then what happened */
  body = g_strdup_printf (_("%s: %s"), name, message);
  g_notification_set_body (notification, body);
  g_notification_set_default_action_and_target (notification, "app.show-area", "s", "activity");
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

/* A round's training allocates and frees large buffers from several threads (the executor's,
 * the compute driver's, the trainer's). glibc keeps freed pages in per-thread arenas rather than
 * giving them back, so over an hour of rounds the app's resident memory grew by pages that held
 * no live data: with the heap itself flat, it rose from about 250 MB to 290 MB in a quarter of
 * an hour, and one malloc_trim() gave back 22 MB of it. A loop writes `uploading` once its
 * round's trainer and executor are gone (the loop runs on this thread, so the write is announced
 * while that is still its state): handing the pages back then keeps the resident size flat. */
static void
participation_written_cb (TrbApplication *self,
                          const char     *kind,
                          const char     *origin)
{
  TrbParticipation *participation;

  if (origin == NULL || self->participations == NULL)
    return;
  participation = trb_participation_manager_lookup (self->participations, origin);
  if (participation == NULL ||
      trb_participation_get_state (participation) != TRB_PARTICIPATION_STATE_UPLOADING)
    return;
#ifdef __GLIBC__
  malloc_trim (0);
#endif
}

static void
participation_event_cb (TrbApplication   *self,
                        TrbParticipation *participation,
                        const char       *kind,
                        const char       *message)
{
  const char *origin = trb_participation_get_origin (participation);
  const char *name = trb_participation_manager_get_name (self->participations, participation);
  NetworkTally *tally;
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;
  g_autofree char *body = NULL;

  if (origin == NULL)
    return;
  if (name == NULL)
    name = origin;
  tally = lookup_tally (self, origin);

  if (g_str_equal (kind, "problem"))
    {
      notify_problem (self, participation, name, message);
      return;
    }

  if (g_str_equal (kind, "reward"))
    {
      gint64 credited = trb_participation_get_credited_points (participation);

      /* The "contributed" event that ends the same round says it. */
      if (credited > tally->points_seen)
        tally->points += credited - tally->points_seen;
      tally->points_seen = credited;
      return;
    }

  if (!g_str_equal (kind, "contributed"))
    return;

  if (tally->counted)
    tally->rounds++;
  else
    {
      tally->rounds = count_rounds_today (self, origin);
      tally->counted = TRUE;
    }
  /* The problem went away: its notification goes too. */
  if (tally->problem != NULL)
    {
      g_autofree char *problem_id = problem_notification_id (origin);

      g_application_withdraw_notification (G_APPLICATION (self), problem_id);
      g_clear_pointer (&tally->problem, g_free);
    }

  if (window_is_showing (self))
    return;

  notification = g_notification_new (name);
  body = trb_participation_format_day_summary (tally->rounds, tally->points);
  g_notification_set_body (notification, body);
  /* Good news that needs nothing: in the message list, without a banner each round. */
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_LOW);
  g_notification_set_default_action_and_target (notification, "app.show-area", "s", "activity");
  id = round_notification_id (origin);
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

/* Once the window is in front, it shows what the round summaries said. */
static void
window_active_changed_cb (GtkWindow      *window,
                          GParamSpec     *pspec,
                          TrbApplication *self)
{
  GHashTableIter iter;
  const char *origin;

  if (!gtk_window_is_active (window) || !TRB_IS_WINDOW (window))
    return;

  g_hash_table_iter_init (&iter, self->tallies);
  while (g_hash_table_iter_next (&iter, (gpointer *) &origin, NULL))
    {
      g_autofree char *id = round_notification_id (origin);

      g_application_withdraw_notification (G_APPLICATION (self), id);
    }
}

static void
window_added_cb (TrbApplication *self,
                 GtkWindow      *window)
{
  g_signal_connect_object (window, "notify::is-active", G_CALLBACK (window_active_changed_cb),
                           self, 0);
}

/* A device picked in Preferences trains from the next round on: the round under way keeps
 * the executor it started with. */
static void
compute_device_changed_cb (TrbApplication *self)
{
  g_autofree char *device = g_settings_get_string (self->settings, "compute-device");

  if (self->participations != NULL)
    trb_participation_manager_set_device (self->participations, device);
}

static void
participations_loaded_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!trb_participation_manager_load_finish (TRB_PARTICIPATION_MANAGER (source), result,
                                              &error))
    g_warning ("The joined networks could not be loaded: %s", error->message);
}

/* Asked to stop (logout, kill): quit properly, so that the demo node stops too. */
static gboolean
terminate_cb (gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
  return G_SOURCE_REMOVE;
}

static void
start_participation (TrbApplication *self)
{
  g_autofree char *path = trb_store_default_path ();
  g_autofree char *demo_dir = NULL;
  g_autoptr(GError) error = NULL;

  g_unix_signal_add (SIGTERM, terminate_cb, self);
  demo_dir = g_build_filename (g_get_user_data_dir (), "tributary", "demo-node", NULL);
  /* The same demo that `build-aux/dev run` starts: `tributary-node demo`'s defaults are made
   * for one person trying it alone. */
  self->demo_node = trb_demo_node_new (demo_dir, NULL);

  self->store = trb_store_new_for_path (path, &error);
  if (self->store != NULL)
    self->wallets = trb_wallet_manager_new (self->store, &error);
  if (self->wallets != NULL)
    self->participations = trb_participation_manager_new (self->store, self->wallets,
                                                          self->scheduler, &error);
  if (self->participations == NULL)
    {
      g_warning ("Taking part in networks is not possible: %s", error->message);
      self->store_error = g_steal_pointer (&error);
      return;
    }
  {
    g_autofree char *device = g_settings_get_string (self->settings, "compute-device");

    trb_participation_manager_set_device (self->participations, device);
    trb_participation_manager_set_cosign (self->participations,
                                          g_settings_get_boolean (self->settings,
                                                                  "witness-checkpoints"));
  }
  g_signal_connect_object (self->settings, "changed::compute-device",
                           G_CALLBACK (compute_device_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->participations, "event", G_CALLBACK (participation_event_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "changed::" TRB_STORE_CHANGE_PARTICIPATION,
                           G_CALLBACK (participation_written_cb), self, G_CONNECT_SWAPPED);
  trb_participation_manager_load_async (self->participations, NULL, participations_loaded_cb,
                                        NULL);
}

static void
show_area_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  TrbApplication *self = TRB_APPLICATION (user_data);
  GtkWindow *window = get_main_window (self);

  if (window == NULL)
    window = GTK_WINDOW (trb_window_new (GTK_APPLICATION (self)));
  trb_window_show_area (TRB_WINDOW (window), g_variant_get_string (param, NULL));
  gtk_window_present (window);
}

/* tributary://join?url=https%3A%2F%2F… : the network's page, ready to join. */
static void
trb_application_open (GApplication  *app,
                      GFile        **files,
                      int            n_files,
                      const char    *hint)
{
  TrbApplication *self = TRB_APPLICATION (app);

  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);
      g_autoptr(GError) error = NULL;
      g_autofree char *url = trb_join_dialog_parse_invite (uri, &error);
      GtkWindow *window;

      g_application_activate (app);
      window = get_main_window (self);
      if (url == NULL)
        {
          /* Said in full next to the link, where it can be corrected: a toast would cut it. */
          if (window != NULL)
            {
              trb_window_show_area (TRB_WINDOW (window), "networks");
              trb_address_dialog_present_with_text (window, uri);
            }
          continue;
        }
      if (window != NULL)
        {
          trb_window_show_area (TRB_WINDOW (window), "networks");
          trb_join_dialog_present (window, url);
        }
    }
}

static const GActionEntry app_actions[] = {
  { "show-area", show_area_action, "s" },
  { "quit", quit_action },
  { "open", open_action },
  { "pause", pause_action },
  { "resume", resume_action },
  { "pause-for-an-hour", pause_for_an_hour_action },
  { "pause-until-tomorrow", pause_until_tomorrow_action },
  { "pause-after-round", pause_after_round_action },
  { "preferences", preferences_action },
  { "about", about_action },
  { "shortcuts", shortcuts_action },
  { "help", help_action },
};

static void
trb_application_startup (GApplication *app)
{
  TrbApplication *self = TRB_APPLICATION (app);
  static const struct {
    const char *action;
    const char *accels[2];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "app.shortcuts", { "<Control>question", NULL } },
    { "app.help", { "F1", NULL } },
    { "window.close", { "<Control>w", NULL } },
  };

  G_APPLICATION_CLASS (trb_application_parent_class)->startup (app);
  trb_a11y_init ();

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions),
                                   app);
  g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), NULL);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action,
                                           accels[i].accels);

  /* The scheduler and background mode live as long as the app, window or not. */
  self->settings = g_settings_new (APP_ID);
  self->scheduler = trb_scheduler_new_for_system (self->settings);
  g_signal_connect_object (self->scheduler, "notify::decision",
                           G_CALLBACK (scheduler_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->scheduler, "notify::pause-after-round",
                           G_CALLBACK (scheduler_changed_cb), self, G_CONNECT_SWAPPED);
  scheduler_changed_cb (self);

  self->background = trb_background_new (app, self->settings, NULL);
  g_signal_connect_object (self->background, "notify::enabled",
                           G_CALLBACK (background_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->background, "problem",
                           G_CALLBACK (background_problem_cb), self, G_CONNECT_SWAPPED);
  background_changed_cb (self);

  start_participation (self);
}

static void
trb_application_shutdown (GApplication *app)
{
  TrbApplication *self = TRB_APPLICATION (app);

  g_clear_object (&self->participations);
  if (self->demo_node != NULL)
    trb_demo_node_stop (self->demo_node);
  g_clear_object (&self->demo_node);
  if (self->hosted_node != NULL)
    trb_demo_node_stop (self->hosted_node);
  g_clear_object (&self->hosted_node);
  g_clear_object (&self->wallets);
  g_clear_object (&self->store);
  g_clear_error (&self->store_error);
  g_clear_object (&self->tray);
  g_clear_object (&self->background);
  g_clear_object (&self->scheduler);
  g_clear_object (&self->settings);

  G_APPLICATION_CLASS (trb_application_parent_class)->shutdown (app);
}

static void
trb_application_finalize (GObject *object)
{
  TrbApplication *self = TRB_APPLICATION (object);

  g_clear_pointer (&self->tallies, g_hash_table_unref);

  G_OBJECT_CLASS (trb_application_parent_class)->finalize (object);
}

static void
trb_application_class_init (TrbApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = trb_application_finalize;

  app_class->activate = trb_application_activate;
  app_class->open = trb_application_open;
  app_class->startup = trb_application_startup;
  app_class->shutdown = trb_application_shutdown;
  app_class->handle_local_options = trb_application_handle_local_options;
}

static void
trb_application_init (TrbApplication *self)
{
  self->tallies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) network_tally_free);
  static const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and quit"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Help train shared machine-learning models "
                                              "without sharing your data."));
}

/**
 * trb_application_get_scheduler:
 * @self: a #TrbApplication
 *
 * Returns: (transfer none) (nullable): the scheduler, once the application has started
 */
TrbScheduler *
trb_application_get_scheduler (TrbApplication *self)
{
  g_return_val_if_fail (TRB_IS_APPLICATION (self), NULL);

  return self->scheduler;
}

/**
 * trb_application_get_participations:
 * @self: a #TrbApplication
 *
 * Returns: (transfer none) (nullable): the joined networks, once the application has started
 */
TrbParticipationManager *
trb_application_get_participations (TrbApplication *self)
{
  g_return_val_if_fail (TRB_IS_APPLICATION (self), NULL);
  return self->participations;
}

/**
 * trb_application_get_store:
 * @self: a #TrbApplication
 *
 * The one store of the application, shared by every area and the participation loops; the
 * window hands it to its pages. Changes are announced by TrbStore::changed.
 *
 * Returns: (transfer none) (nullable): the store, or %NULL when it could not be opened
 *   (trb_application_get_store_error())
 */
TrbStore *
trb_application_get_store (TrbApplication *self)
{
  g_return_val_if_fail (TRB_IS_APPLICATION (self), NULL);
  return self->store;
}

/**
 * trb_application_get_store_error:
 * @self: a #TrbApplication
 *
 * Returns: (transfer none) (nullable): why the local data (networks, datasets, wallets'
 *   records, history) could not be opened at startup, or %NULL when it was
 */
const GError *
trb_application_get_store_error (TrbApplication *self)
{
  g_return_val_if_fail (TRB_IS_APPLICATION (self), NULL);
  return self->store_error;
}

/**
 * trb_application_get_wallets:
 * @self: a #TrbApplication
 *
 * Returns: (transfer none) (nullable): the wallets the participation uses
 */
TrbWalletManager *
trb_application_get_wallets (TrbApplication *self)
{
  g_return_val_if_fail (TRB_IS_APPLICATION (self), NULL);
  return self->wallets;
}

/**
 * trb_application_get_demo_node:
 * @self: a #TrbApplication
 *
 * Returns: (transfer none) (nullable): the built-in demo network, started on demand and
 *   stopped on quit
 */
TrbDemoNode *
trb_application_get_demo_node (TrbApplication *self)
{
  g_return_val_if_fail (TRB_IS_APPLICATION (self), NULL);
  return self->demo_node;
}

/**
 * trb_application_get_hosted_node:
 * @self: a #TrbApplication
 *
 * Returns: (transfer none) (nullable): the network hosted from Preferences, reachable from the
 *   local network; stopped on quit
 */
TrbDemoNode *
trb_application_get_hosted_node (TrbApplication *self)
{
  g_return_val_if_fail (TRB_IS_APPLICATION (self), NULL);

  if (self->hosted_node == NULL && self->store != NULL)
    {
      static const char * const args[] = { "--listen", "0.0.0.0:0", "--min-updates", "1",
                                           NULL };
      g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "tributary",
                                               "hosted-network", NULL);

      self->hosted_node = trb_demo_node_new (dir, args);
      /* Its own network, whatever demo node `build-aux/dev run` may have started. */
      trb_demo_node_set_own_process (self->hosted_node, TRUE);
    }
  return self->hosted_node;
}

TrbApplication *
trb_application_new (void)
{
  return g_object_new (TRB_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", RESOURCE_BASE_PATH,
                       NULL);
}
