/* trb-history-alerts.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The History area's ledger alerts: a network that showed two histories of its ledger, or
 * otherwise could not be verified, with the evidence to export and the choice to keep taking
 * part. Rebuilt only when the set of halted networks changes.
 */

#define G_LOG_DOMAIN "trb-history-alerts"

#include "config.h"

#include "trb-history-alerts.h"

#include <glib/gi18n.h>

#include "participant/trb-participation-manager.h"
#include "trb-a11y.h"
#include "trb-application.h"
#include "trb-window.h"
#include "ui/trb-evidence.h"
#include "ui/trb-history-format.h"

struct _TrbHistoryAlerts
{
  GtkBox      parent_instance;

  TrbHistory *history;
  GHashTable *notified;  /* origins a notification was sent for */
  char       *shown;     /* the halted networks shown, one a line */
};

G_DEFINE_FINAL_TYPE (TrbHistoryAlerts, trb_history_alerts, GTK_TYPE_BOX)

enum
{
  SIGNAL_RESUMED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
export_evidence_clicked_cb (GtkButton        *button,
                            TrbHistoryAlerts *self)
{
  trb_evidence_save (GTK_WIDGET (self), self->history,
                     g_object_get_data (G_OBJECT (button), "origin"));
}

static void
resume_clicked_cb (GtkButton        *button,
                   TrbHistoryAlerts *self)
{
  g_autoptr(GError) error = NULL;
  const char *origin = g_object_get_data (G_OBJECT (button), "origin");
  GApplication *app = g_application_get_default ();

  if (!trb_history_resume (self->history, origin, &error))
    trb_window_report_problem (GTK_WIDGET (self),
                               _("Tributary could not take part in this network again"), error);
  else if (TRB_IS_APPLICATION (app))
    {
      TrbParticipationManager *participations =
        trb_application_get_participations (TRB_APPLICATION (app));
      TrbParticipation *participation =
        participations != NULL ? trb_participation_manager_lookup (participations, origin) : NULL;

      /* The loop stopped when it saw the inconsistency; the user's decision starts it again. */
      if (participation != NULL)
        trb_participation_start (participation);
    }
  g_signal_emit (self, signals[SIGNAL_RESUMED], 0);
}

static void
notify_alert (TrbHistoryAlerts *self,
              const char       *origin,
              const char       *name)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;
  g_autofree char *body = NULL;
  GApplication *app = g_application_get_default ();

  if (app == NULL || g_hash_table_contains (self->notified, origin))
    return;
  g_hash_table_add (self->notified, g_strdup (origin));
  id = g_strdup_printf ("ledger-alert-%s", origin);
  body = g_strdup_printf (_("“%s” showed two histories of its ledger that cannot both be true. "
                            "Tributary stopped taking part in it until you decide."), name);
  notification = g_notification_new (_("A Network Rewrote Its History"));
  g_notification_set_body (notification, body);
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_URGENT);
  g_notification_set_default_action_and_target (notification, "app.show-area", "s", "history");
  g_application_send_notification (app, id, notification);
}

/* The alert for one halted network: what was found, and the person's two choices. */
static void
add_alert (TrbHistoryAlerts *self,
           const char       *origin,
           const char       *name,
           TrbLedgerTamper   kind)
{
  g_autofree char *title = trb_evidence_dup_title (kind, name);
  /* Translators: %s is a sentence saying what was found in the network's ledger. */
  g_autofree char *text = g_strdup_printf (_("%s Someone may be rewriting which "
                                             "contributions went into its models. Tributary "
                                             "stopped taking part in it. Save the evidence "
                                             "and share it with the network’s community, then "
                                             "decide."), trb_ledger_tamper_describe (kind));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *heading = gtk_label_new (title);
  GtkWidget *body = gtk_label_new (text);
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *export = trb_a11y_button_new_with_mnemonic (_("_Export Evidence…"));
  GtkWidget *resume = trb_a11y_button_new_with_mnemonic (_("_Keep Taking Part"));

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "ledger-alert");
  gtk_widget_set_margin_start (heading, 18);
  gtk_widget_set_margin_top (heading, 18);
  gtk_widget_set_margin_end (heading, 18);
  gtk_widget_set_margin_start (body, 18);
  gtk_widget_set_margin_end (body, 18);
  gtk_widget_set_margin_start (buttons, 18);
  gtk_widget_set_margin_bottom (buttons, 18);
  gtk_widget_add_css_class (heading, "title-3");
  gtk_widget_add_css_class (heading, "error");
  gtk_label_set_wrap (GTK_LABEL (heading), TRUE);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_label_set_wrap (GTK_LABEL (body), TRUE);
  gtk_label_set_xalign (GTK_LABEL (body), 0);
  gtk_widget_add_css_class (export, "suggested-action");
  gtk_widget_add_css_class (resume, "destructive-action");
  g_object_set_data_full (G_OBJECT (export), "origin", g_strdup (origin), g_free);
  g_object_set_data_full (G_OBJECT (resume), "origin", g_strdup (origin), g_free);
  g_signal_connect (export, "clicked", G_CALLBACK (export_evidence_clicked_cb), self);
  g_signal_connect (resume, "clicked", G_CALLBACK (resume_clicked_cb), self);
  gtk_box_append (GTK_BOX (buttons), export);
  gtk_box_append (GTK_BOX (buttons), resume);
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), body);
  gtk_box_append (GTK_BOX (box), buttons);
  gtk_box_append (GTK_BOX (self), box);
  notify_alert (self, origin, name);
}

/* Returns %FALSE, after saying so, when the history could not be read. */
static gboolean
add_alerts (TrbHistoryAlerts   *self,
            const char * const *halted)
{
  for (guint i = 0; halted != NULL && halted[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *name = trb_history_dup_network_name (self->history, halted[i], &error);
      TrbLedgerTamper kind = name != NULL
                               ? trb_history_get_tamper (self->history, halted[i], &error)
                               : TRB_LEDGER_TAMPER_NONE;

      if (error != NULL)
        {
          trb_window_report_problem (GTK_WIDGET (self), _("The history could not be read"),
                                     error);
          return FALSE;
        }
      add_alert (self, halted[i], name, kind);
    }
  return TRUE;
}

static void
trb_history_alerts_dispose (GObject *object)
{
  TrbHistoryAlerts *self = TRB_HISTORY_ALERTS (object);

  g_clear_object (&self->history);
  g_clear_pointer (&self->notified, g_hash_table_unref);
  g_clear_pointer (&self->shown, g_free);

  G_OBJECT_CLASS (trb_history_alerts_parent_class)->dispose (object);
}

static void
trb_history_alerts_class_init (TrbHistoryAlertsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = trb_history_alerts_dispose;

  /**
   * TrbHistoryAlerts::resumed:
   * @self: the alerts
   *
   * The person chose to keep taking part in a halted network.
   */
  signals[SIGNAL_RESUMED] = g_signal_new ("resumed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
trb_history_alerts_init (TrbHistoryAlerts *self)
{
  self->notified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 12);
}

/**
 * trb_history_alerts_new:
 * @history: the verified copies of the networks' ledgers
 *
 * Returns: (transfer floating): the alerts of @history's halted networks, empty until
 *   trb_history_alerts_update()
 */
GtkWidget *
trb_history_alerts_new (TrbHistory *history)
{
  TrbHistoryAlerts *self = g_object_new (TRB_TYPE_HISTORY_ALERTS, NULL);

  g_return_val_if_fail (TRB_IS_HISTORY (history), NULL);

  self->history = g_object_ref (history);
  return GTK_WIDGET (self);
}

/**
 * trb_history_alerts_update:
 * @self: the alerts
 * @halted: the networks the history halted, from trb_history_list_halted()
 *
 * Shows an alert for each of @halted; the alerts stay as they are, with their focus, when
 * @halted is what they already show.
 */
void
trb_history_alerts_update (TrbHistoryAlerts   *self,
                           const char * const *halted)
{
  g_autofree char *shown = NULL;

  g_return_if_fail (TRB_IS_HISTORY_ALERTS (self));

  shown = g_strjoinv ("\n", (char **) halted);
  if (g_strcmp0 (shown, self->shown) == 0)
    return;
  trb_history_clear_box (GTK_BOX (self), self);
  g_clear_pointer (&self->shown, g_free);
  /* Shown in part: the next update tries again. */
  if (add_alerts (self, halted))
    self->shown = g_steal_pointer (&shown);
}
