/* trb-activity-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Activity area: the current training job with its progress and time left, each joined
 * network's state in plain words, and the event log from the store, filtered and copied.
 */

#define G_LOG_DOMAIN "trb-activity-page"

#include "config.h"

#include "trb-activity-page.h"

#include <glib/gi18n.h>

#include "trb-application.h"
#include "ui/trb-event-row.h"
#include "ui/trb-waiting-text.h"
#include "ui/trb-window.h"

#define MAX_EVENTS_SHOWN 200

struct _TrbActivityPage
{
  AdwBin                   parent_instance;

  GtkStack                *stack;
  AdwActionRow            *job_row;
  GtkProgressBar          *job_progress;
  GtkListBox              *networks_list;
  GtkListBox              *events_list;
  GtkSearchEntry          *filter_entry;
  GtkLabel                *events_placeholder;

  TrbParticipationManager *manager;
  GtkStringList           *events;  /* the log's lines, newest first */
  GtkStringFilter         *filter;  /* owned by `shown` */
  GtkFilterListModel      *shown;   /* the lines that match the filter, in the list's order */
  guint                    tick_id; /* while a countdown ("Retrying in 30 s") is on screen */
};

G_DEFINE_FINAL_TYPE (TrbActivityPage, trb_activity_page, ADW_TYPE_BIN)

static char *
format_event (TrbActivityPage             *self,
              const TrbParticipationEvent *event)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (event->time);
  g_autofree char *when = g_date_time_format (time, "%x %X");
  TrbParticipation *p = trb_participation_manager_lookup (self->manager, event->origin);
  const char *name = p != NULL ? trb_participation_manager_get_name (self->manager, p)
                               : event->origin;

  return g_strdup_printf ("%s — %s — %s", when, name, event->message);
}

/* The lines are kept unfiltered in `events`; the list shows them through `filter`. */
static void
reload_events (TrbActivityPage *self)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->events));

  if (self->manager != NULL)
    {
      events = trb_participation_manager_list_events (self->manager, NULL, MAX_EVENTS_SHOWN,
                                                      &error);
      if (events == NULL)
        {
          g_warning ("The activity could not be read: %s", error->message);
          return;
        }
      for (guint i = 0; i < events->len; i++)
        g_ptr_array_add (lines, format_event (self, g_ptr_array_index (events, i)));
    }
  g_ptr_array_add (lines, NULL);
  gtk_string_list_splice (self->events, 0, n, (const char * const *) lines->pdata);
}

/* A new event adds its line at the top; the rows of the others stay as they are. */
static void
event_cb (TrbParticipationManager *manager,
          TrbParticipation        *participation,
          const char              *kind,
          const char              *message,
          TrbActivityPage         *self)
{
  TrbParticipationEvent event = {
    .time = g_get_real_time () / G_USEC_PER_SEC,
    .origin = (char *) trb_participation_get_origin (participation),
    .kind = (char *) kind,
    .message = (char *) message,
  };
  g_autofree char *line = NULL;
  const char *lines[2] = { NULL, NULL };
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->events));

  /* The log shows what the store keeps, and a join is not kept there. */
  if (g_str_equal (kind, "joined"))
    return;
  line = format_event (self, &event);
  lines[0] = line;
  gtk_string_list_splice (self->events, 0, 0, lines);
  if (n + 1 > MAX_EVENTS_SHOWN)
    gtk_string_list_splice (self->events, MAX_EVENTS_SHOWN, n + 1 - MAX_EVENTS_SHOWN, NULL);
}

static GtkWidget *
create_event_row (gpointer item,
                  gpointer user_data)
{
  return trb_event_row_new (item);
}

static void
filter_changed_cb (TrbActivityPage *self)
{
  const char *filter = gtk_editable_get_text (GTK_EDITABLE (self->filter_entry));

  gtk_string_filter_set_search (self->filter, filter);
  gtk_label_set_label (self->events_placeholder, *filter != '\0' ? _("No events match")
                                                                 : _("Nothing happened yet"));
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  TrbActivityPage *self = TRB_ACTIVITY_PAGE (widget);
  g_autoptr(GString) text = g_string_new (NULL);
  GListModel *shown = G_LIST_MODEL (self->shown);
  GtkRoot *root;

  for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(GtkStringObject) line = g_list_model_get_item (shown, i);

      g_string_append_printf (text, "%s\n", gtk_string_object_get_string (line));
    }
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text->str);
  root = gtk_widget_get_root (widget);
  if (TRB_IS_WINDOW (root))
    trb_window_add_toast (TRB_WINDOW (root), adw_toast_new (_("Events copied")));
}

/* Why no network trains now. What the scheduler holds back holds back every network, so it
 * comes first ("Paused until 15:00"; once a network contributed, "Later rounds wait for the
 * rules in Preferences: …"); otherwise the first network that waits says why. */
static char *
dup_nothing_training_reason (TrbActivityPage *self)
{
  GApplication *app = g_application_get_default ();
  TrbScheduler *scheduler = TRB_IS_APPLICATION (app) ?
                            trb_application_get_scheduler (TRB_APPLICATION (app)) : NULL;
  TrbSchedulerDecision *decision = scheduler ? trb_scheduler_get_decision (scheduler) : NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->manager));

  if (decision != NULL && !trb_scheduler_decision_may_start (decision))
    {
      TrbWaiting waiting = { TRB_WAITING_SCHEDULER, trb_scheduler_decision_get_reason (decision),
                             trb_scheduler_decision_get_until (decision), -1, -1, -1, FALSE };

      for (guint i = 0; i < n && !waiting.later_rounds; i++)
        {
          g_autoptr(TrbParticipation) p = g_list_model_get_item (G_LIST_MODEL (self->manager),
                                                                 i);

          waiting.later_rounds = trb_participation_get_last_contributed (p) > 0 &&
                                 !trb_participation_get_round_now (p);
        }
      return trb_waiting_text_format (&waiting, now, NULL);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TrbParticipation) p = g_list_model_get_item (G_LIST_MODEL (self->manager), i);
      g_autofree char *why = NULL;
      TrbWaiting waiting;

      trb_participation_get_waiting (p, &waiting);
      why = trb_waiting_text_format (&waiting, now, trb_participation_get_problem (p));
      if (why == NULL)
        continue;
      if (n == 1)
        return g_steal_pointer (&why);
      /* Translators: "<network name>: <why it waits>" */
      return g_strdup_printf (_("%s: %s"), trb_participation_manager_get_name (self->manager, p),
                              why);
    }
  return NULL;
}

static void
update_job (TrbActivityPage *self)
{
  TrbParticipation *active = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->manager));

  /* The one training, else the first that is busy with a round. */
  for (guint i = 0; i < n && active == NULL; i++)
    {
      g_autoptr(TrbParticipation) p = g_list_model_get_item (G_LIST_MODEL (self->manager), i);
      TrbParticipationState state = trb_participation_get_state (p);

      if (state >= TRB_PARTICIPATION_STATE_DOWNLOADING &&
          state <= TRB_PARTICIPATION_STATE_CONFIRMING)
        active = p;
    }
  if (active == NULL)
    {
      g_autofree char *why = dup_nothing_training_reason (self);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->job_row),
                                     _("Nothing is training right now"));
      /* Why nothing happens and until when, such as "Paused until 15:30". */
      adw_action_row_set_subtitle (self->job_row, why != NULL ? why : "");
      gtk_widget_set_visible (GTK_WIDGET (self->job_progress), FALSE);
      return;
    }
  {
    g_autofree char *status = trb_participation_dup_status (active);
    const char *vulkan_name = NULL;
    g_autofree char *round = g_strdup_printf ("%" G_GINT64_FORMAT,
                                              trb_participation_get_round (active));
    /* Translators: the first %s is a network's name, the second a round number */
    g_autofree char *title = g_strdup_printf (_("%s, round %s"),
                                              trb_participation_manager_get_name (self->manager,
                                                                                  active),
                                              round);

    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->job_row), title);
    /* Where the job runs, on a line of its own: the processor or the graphics card. */
    if (trb_participation_get_job_device (active, &vulkan_name))
      {
        g_autofree char *where = NULL;
        g_autofree char *both = NULL;

        if (vulkan_name != NULL)
          /* Translators: "Training on llvmpipe (LLVM 15.0.6, 256 bits)", a graphics card's name */
          where = g_strdup_printf (_("Training on %s"), vulkan_name);
        else
          where = g_strdup (_("Training on the processor"));
        both = g_strdup_printf ("%s\n%s", status, where);
        adw_action_row_set_subtitle (self->job_row, both);
      }
    else
      adw_action_row_set_subtitle (self->job_row, status);
    gtk_progress_bar_set_fraction (self->job_progress, trb_participation_get_progress (active));
    gtk_widget_set_visible (GTK_WIDGET (self->job_progress),
                            trb_participation_get_state (active) ==
                            TRB_PARTICIPATION_STATE_TRAINING);
  }
}

static void update_ticking (TrbActivityPage *self);

static void
status_changed_cb (TrbParticipation *p,
                   GParamSpec       *pspec,
                   AdwActionRow     *row)
{
  TrbActivityPage *self = g_object_get_data (G_OBJECT (row), "page");
  g_autofree char *status = trb_waiting_text_dup_status (p);

  adw_action_row_set_subtitle (row, status);
  update_job (self);
  update_ticking (self);
}

/* Counts down "Retrying in 30 s" while a network waits to try again, and nothing otherwise. */
static gboolean
tick_cb (gpointer user_data)
{
  TrbActivityPage *self = user_data;

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->networks_list));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    {
      TrbParticipation *p = g_object_get_data (G_OBJECT (row), "participation");
      g_autofree char *status = NULL;

      if (p == NULL)
        continue;
      status = trb_waiting_text_dup_status (p);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), status);
    }
  update_job (self);
  /* Armed again only while the countdown goes on and the page is shown. */
  self->tick_id = 0;
  update_ticking (self);
  return G_SOURCE_REMOVE;
}

/* The countdown is the one thing on this page that changes by itself: the page wakes up each
 * second only while it is on screen and a network counts down to its next try. Otherwise
 * nothing runs until the objects underneath say that something changed. */
static void
update_ticking (TrbActivityPage *self)
{
  gboolean counting = FALSE;
  guint n = self->manager != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->manager)) : 0;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (guint i = 0; i < n && !counting && gtk_widget_get_mapped (GTK_WIDGET (self)); i++)
    {
      g_autoptr(TrbParticipation) p = g_list_model_get_item (G_LIST_MODEL (self->manager), i);
      TrbWaiting waiting;

      trb_participation_get_waiting (p, &waiting);
      counting = trb_participation_get_state (p) == TRB_PARTICIPATION_STATE_PROBLEM &&
                 waiting.kind == TRB_WAITING_RETRY && waiting.until >= now;
    }
  if (counting && self->tick_id == 0)
    self->tick_id = g_timeout_add_seconds (1, tick_cb, self);
  else if (!counting)
    g_clear_handle_id (&self->tick_id, g_source_remove);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  TrbActivityPage *self = user_data;
  TrbParticipation *p = item;
  GtkWidget *row = adw_action_row_new ();

  /* Names and problems come from the network: never markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 trb_participation_manager_get_name (self->manager, p));
  g_object_set_data (G_OBJECT (row), "page", self);
  g_object_set_data_full (G_OBJECT (row), "participation", g_object_ref (p), g_object_unref);
  g_signal_connect_object (p, "notify::status", G_CALLBACK (status_changed_cb), row, 0);
  status_changed_cb (p, NULL, ADW_ACTION_ROW (row));
  return row;
}

static void
items_changed_cb (TrbActivityPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->manager));

  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
  update_job (self);
  update_ticking (self);
  reload_events (self);
}

static void
trb_activity_page_dispose (GObject *object)
{
  TrbActivityPage *self = TRB_ACTIVITY_PAGE (object);

  /* Let AdwBin unparent its child itself, or it would unparent it again once freed. */
  adw_bin_set_child (ADW_BIN (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_ACTIVITY_PAGE);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_object (&self->manager);
  g_clear_object (&self->shown);
  g_clear_object (&self->events);

  G_OBJECT_CLASS (trb_activity_page_parent_class)->dispose (object);
}

static void
trb_activity_page_class_init (TrbActivityPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_activity_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-activity-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbActivityPage, stack);
  gtk_widget_class_bind_template_child (widget_class, TrbActivityPage, job_row);
  gtk_widget_class_bind_template_child (widget_class, TrbActivityPage, job_progress);
  gtk_widget_class_bind_template_child (widget_class, TrbActivityPage, networks_list);
  gtk_widget_class_bind_template_child (widget_class, TrbActivityPage, events_list);
  gtk_widget_class_bind_template_child (widget_class, TrbActivityPage, filter_entry);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
  gtk_widget_class_install_action (widget_class, "activity.copy", NULL, copy_action);
}

static void
trb_activity_page_init (TrbActivityPage *self)
{
  GApplication *app = g_application_get_default ();
  TrbParticipationManager *manager = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->events = gtk_string_list_new (NULL);
  self->filter = gtk_string_filter_new (gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL,
                                                                     "string"));
  gtk_string_filter_set_match_mode (self->filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
  gtk_string_filter_set_ignore_case (self->filter, TRUE);
  self->shown = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->events)),
                                           GTK_FILTER (self->filter));
  gtk_list_box_bind_model (self->events_list, G_LIST_MODEL (self->shown), create_event_row, NULL,
                           NULL);
  self->events_placeholder = GTK_LABEL (gtk_label_new (_("Nothing happened yet")));
  gtk_widget_add_css_class (GTK_WIDGET (self->events_placeholder), "dim-label");
  gtk_widget_set_margin_top (GTK_WIDGET (self->events_placeholder), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->events_placeholder), 12);
  gtk_list_box_set_placeholder (self->events_list, GTK_WIDGET (self->events_placeholder));
  g_signal_connect (self, "map", G_CALLBACK (update_ticking), NULL);
  g_signal_connect (self, "unmap", G_CALLBACK (update_ticking), NULL);

  if (TRB_IS_APPLICATION (app))
    manager = trb_application_get_participations (TRB_APPLICATION (app));
  if (manager == NULL)
    {
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "activity.copy", FALSE);
      return;
    }
  self->manager = g_object_ref (manager);
  gtk_list_box_bind_model (self->networks_list, G_LIST_MODEL (manager), create_row, self, NULL);
  g_signal_connect_object (manager, "items-changed", G_CALLBACK (items_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (manager, "event", G_CALLBACK (event_cb), self, 0);
  if (trb_application_get_scheduler (TRB_APPLICATION (app)) != NULL)
    g_signal_connect_object (trb_application_get_scheduler (TRB_APPLICATION (app)),
                             "notify::decision", G_CALLBACK (update_job), self,
                             G_CONNECT_SWAPPED);
  items_changed_cb (self);
}
