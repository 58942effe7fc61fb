/* trb-history-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The History area: ledger alerts (trb-history-alerts.c), rewards with their entries,
 * reconciliation and CSV export (trb-history-rewards.c), and the provenance of every model
 * version (trb-history-provenance.c). Everything shown comes from the local verified copy of
 * each network's ledger (TrbHistory); unverified entries are marked and never counted. This
 * file holds the parts together and keeps the history up to date: it syncs when the area is
 * shown and when a participation says a ledger may have grown, never on a timer.
 */

#define G_LOG_DOMAIN "trb-history-page"

#include "config.h"

#include "trb-history-page.h"

#include <glib/gi18n.h>

#include "participant/trb-history.h"
#include "participant/trb-participation-manager.h"
#include "trb-application.h"
#include "ui/trb-history-alerts.h"
#include "ui/trb-history-provenance.h"
#include "ui/trb-history-rewards.h"
#include "ui/trb-window.h"

struct _TrbHistoryPage
{
  AdwBin            parent_instance;

  GtkStack         *stack;
  GtkBox           *content_box;
  TrbStore         *store;
  char             *section;

  /* Built once, on the first refresh with something to show; each updates only what changed
   * in it. */
  TrbHistoryAlerts     *alerts;
  GtkStack             *sections;
  TrbHistoryRewards    *rewards;
  TrbHistoryProvenance *provenance;

  TrbHistory       *history;
  GSettings        *settings;
  GCancellable     *cancellable;
  guint             syncing;      /* networks being brought up to date */
  gboolean          events_connected;
  gboolean          sync_pending; /* asked for while syncing: sync again once done */
};

enum {
  PROP_0,
  PROP_STORE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TrbHistoryPage, trb_history_page, ADW_TYPE_BIN)

static void refresh (TrbHistoryPage *self);

static void
section_changed_cb (GtkStack       *sections,
                    GParamSpec     *pspec,
                    TrbHistoryPage *self)
{
  const char *name = gtk_stack_get_visible_child_name (sections);

  if (name != NULL && gtk_widget_get_parent (GTK_WIDGET (sections)) != NULL)
    {
      g_free (self->section);
      self->section = g_strdup (name);
    }
}

/* Builds the parts of the page that stay; what they show is updated by refresh(). */
static void
build_content (TrbHistoryPage *self)
{
  GtkWidget *switcher = gtk_stack_switcher_new ();

  self->alerts = TRB_HISTORY_ALERTS (trb_history_alerts_new (self->history));
  g_signal_connect_object (self->alerts, "resumed", G_CALLBACK (refresh), self,
                           G_CONNECT_SWAPPED);
  self->sections = GTK_STACK (gtk_stack_new ());
  gtk_stack_switcher_set_stack (GTK_STACK_SWITCHER (switcher), self->sections);
  gtk_widget_set_halign (switcher, GTK_ALIGN_CENTER);
  /* Neither size follows the section not shown: GTK measures the width of a hidden child at
   * its smallest height, where every wrapped line is unwrapped, and the window would grow to
   * that width (530 px for the rewards) whenever Provenance is shown. */
  gtk_stack_set_vhomogeneous (self->sections, FALSE);
  gtk_stack_set_hhomogeneous (self->sections, FALSE);
  gtk_stack_set_transition_type (self->sections, GTK_STACK_TRANSITION_TYPE_CROSSFADE);

  self->rewards = TRB_HISTORY_REWARDS (trb_history_rewards_new (self->history));
  gtk_stack_add_titled (self->sections, GTK_WIDGET (self->rewards), "rewards", _("Rewards"));
  self->provenance = TRB_HISTORY_PROVENANCE (trb_history_provenance_new (self->history, self->store));
  gtk_stack_add_titled (self->sections, GTK_WIDGET (self->provenance), "provenance",
                        _("Provenance"));
  g_signal_connect (self->sections, "notify::visible-child-name",
                    G_CALLBACK (section_changed_cb), self);

  gtk_box_append (self->content_box, GTK_WIDGET (self->alerts));
  gtk_box_append (self->content_box, switcher);
  gtk_box_append (self->content_box, GTK_WIDGET (self->sections));
}

static void
refresh (TrbHistoryPage *self)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) reconciled = NULL;
  g_auto(GStrv) halted = NULL;
  g_autoptr(GError) error = NULL;

  if (self->history == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  /* Unreadable is not empty: what is shown stays, and a toast says why it is not updated. */
  if ((records = trb_history_list_rewards (self->history, NULL, &error)) == NULL ||
      (reconciled = trb_history_reconcile (self->history, NULL, &error)) == NULL ||
      (halted = trb_history_list_halted (self->history, &error)) == NULL)
    {
      trb_window_report_problem (GTK_WIDGET (self), _("The history could not be read"), error);
      return;
    }
  if (records->len == 0 && reconciled->len == 0 && g_strv_length (halted) == 0)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  if (self->sections == NULL)
    build_content (self);

  /* Each part is touched only when what it shows changed: a sync that finds nothing new
   * leaves every widget as it was, with its expanded rows and the results shown. */
  trb_history_alerts_update (self->alerts, (const char * const *) halted);
  trb_history_rewards_update (self->rewards, records, reconciled);
  trb_history_provenance_update (self->provenance);

  if (self->section != NULL)
    gtk_stack_set_visible_child_name (self->sections, self->section);
  gtk_stack_set_visible_child_name (self->stack, "content");
}

static void
history_changed_cb (TrbHistory     *history,
                    TrbHistoryPage *self)
{
  refresh (self);
}

static void sync_all (TrbHistoryPage *self);

static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TrbHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!trb_history_sync_finish (TRB_HISTORY (source), result, &error))
    g_debug ("History not brought up to date: %s", error->message);
  else
    g_debug ("History brought up to date");
  if (self->syncing > 0)
    self->syncing--;
  /* An event that came while syncing may concern entries the sync had already passed. */
  if (self->syncing == 0 && self->sync_pending && !g_cancellable_is_cancelled (self->cancellable))
    sync_all (self);
}

static void
sync_all (TrbHistoryPage *self)
{
  g_auto(GStrv) origins = NULL;
  g_autoptr(GError) error = NULL;
  gboolean witness;

  if (self->history == NULL)
    return;
  if (self->syncing > 0)
    {
      self->sync_pending = TRUE;
      return;
    }
  self->sync_pending = FALSE;
  witness = self->settings != NULL && g_settings_get_boolean (self->settings,
                                                              "witness-checkpoints");
  origins = trb_history_list_origins (self->history, &error);
  if (origins == NULL)
    {
      g_debug ("History not brought up to date: %s", error->message);
      return;
    }
  for (guint i = 0; origins[i] != NULL; i++)
    {
      /* Whether halted cannot be read: no sync, as for a halted network (the safe answer). */
      if (trb_history_is_halted (self->history, origins[i], &error))
        {
          if (error != NULL)
            g_debug ("History of %s not brought up to date: %s", origins[i], error->message);
          g_clear_error (&error);
          continue;
        }
      self->syncing++;
      trb_history_sync_async (self->history, origins[i], NULL, witness, self->cancellable,
                              sync_done_cb, g_object_ref (self));
    }
}

static void
participation_event_cb (TrbParticipationManager *participations,
                        TrbParticipation        *participation,
                        const char              *kind,
                        const char              *message,
                        TrbHistoryPage          *self)
{
  /* Only events that can add to a ledger: a round that closed or opened, a contribution, a
   * reward. */
  if (gtk_widget_get_mapped (GTK_WIDGET (self)) &&
      (g_str_equal (kind, "round") || g_str_equal (kind, "contributed") ||
       g_str_equal (kind, "reward")))
    sync_all (self);
}

/* The page syncs when it is shown and on the participation's events (a round closed, a reward
 * came); between them it does nothing at all, with no timer: what a network this computer left
 * did meanwhile is caught the next time the page is shown. */
static void
page_mapped_cb (TrbHistoryPage *self)
{
  GApplication *app = g_application_get_default ();

  refresh (self);
  sync_all (self);
  if (!self->events_connected && TRB_IS_APPLICATION (app) &&
      trb_application_get_participations (TRB_APPLICATION (app)) != NULL)
    {
      g_signal_connect_object (trb_application_get_participations (TRB_APPLICATION (app)),
                               "event", G_CALLBACK (participation_event_cb), self, 0);
      self->events_connected = TRUE;
    }
}

static void
trb_history_page_dispose (GObject *object)
{
  TrbHistoryPage *self = TRB_HISTORY_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->history != NULL)
    g_signal_handlers_disconnect_by_data (self->history, self);
  g_clear_object (&self->history);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->section, g_free);
  /* Let AdwBin unparent its child itself, or it would unparent it again once freed. */
  adw_bin_set_child (ADW_BIN (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_HISTORY_PAGE);

  G_OBJECT_CLASS (trb_history_page_parent_class)->dispose (object);
}

/**
 * trb_history_page_set_store:
 * @store: the application's store
 *
 * Shows the history kept in @store. Set once, by the window.
 */
void
trb_history_page_set_store (TrbHistoryPage *self,
                            TrbStore       *store)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (TRB_IS_HISTORY_PAGE (self));
  g_return_if_fail (!store || TRB_IS_STORE (store));
  g_return_if_fail (self->store == NULL);

  if (store == NULL)
    return;
  self->store = g_object_ref (store);
  self->history = trb_history_new (store, &error);
  if (self->history == NULL)
    g_warning ("Could not open the history: %s", error->message);
  else
    g_signal_connect (self->history, "changed", G_CALLBACK (history_changed_cb), self);
  refresh (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

static void
trb_history_page_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TrbHistoryPage *self = (TrbHistoryPage *) object;

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_history_page_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  TrbHistoryPage *self = (TrbHistoryPage *) object;

  switch (prop_id)
    {
    case PROP_STORE:
      trb_history_page_set_store (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_history_page_class_init (TrbHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_history_page_dispose;
  object_class->get_property = trb_history_page_get_property;
  object_class->set_property = trb_history_page_set_property;

  /**
   * TrbHistoryPage:store:
   *
   * The application's store, handed over by the window; the page is empty until then.
   */
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, TRB_TYPE_STORE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbHistoryPage, stack);
  gtk_widget_class_bind_template_child (widget_class, TrbHistoryPage, content_box);
}

static void
trb_history_page_init (TrbHistoryPage *self)
{
  GSettingsSchema *schema;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->section = g_strdup ("rewards");

  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (), APP_ID,
                                            TRUE);
  if (schema != NULL)
    {
      self->settings = g_settings_new (APP_ID);
      g_settings_schema_unref (schema);
    }

  /* Empty until the window hands the store over (trb_history_page_set_store()). */
  g_signal_connect (self, "map", G_CALLBACK (page_mapped_cb), NULL);
  refresh (self);
}
