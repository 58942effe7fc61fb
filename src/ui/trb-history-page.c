/* trb-history-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The History area: rewards (totals, chart, entries, reconciliation, CSV export), provenance of
 * every model version, and ledger alerts. Everything shown comes from the local verified copy
 * of each network's ledger (TrbHistory); unverified entries are marked and never counted.
 */

#define G_LOG_DOMAIN "trb-history-page"

#include "config.h"

#include "trb-history-page.h"

#include <glib/gi18n.h>
#include <string.h>

#include "net/trb-protocol.h"
#include "participant/trb-history-item.h"
#include "participant/trb-history.h"
#include "participant/trb-participation-manager.h"
#include "participant/trb-rewards.h"
#include "trb-a11y.h"
#include "trb-application.h"
#include "trb-chart.h"
#include "trb-i18n.h"
#include "trb-window.h"
#include "ui/trb-dataset-choices.h"
#include "ui/trb-evidence.h"

struct _TrbHistoryPage
{
  AdwBin            parent_instance;

  GtkStack         *stack;
  GtkBox           *content_box;
  TrbStore         *store;
  GtkBox           *target;
  char             *section;

  /* Built once; a refresh touches only what changed in them. */
  GtkBox           *alerts_box;
  GtkStack         *sections;
  GtkBox           *summary_box;
  GtkBox           *reconcile_box;
  GtkWidget        *entries_group;
  GtkBox           *provenance_box;
  GListStore       *rewards;      /* TrbHistoryItem: reward entries, newest first */
  GHashTable       *groups;       /* "origin\ntask" → VersionGroup */
  char             *alerts_shown;
  char             *summary_shown;

  TrbHistory       *history;
  GSettings        *settings;
  GCancellable     *cancellable;
  GHashTable       *notified;
  TrbRewardsPeriod  period;
  guint             syncing;      /* networks being brought up to date */
  gboolean          events_connected;
  gboolean          sync_pending; /* asked for while syncing: sync again once done */
  guint             sync_source;  /* while shown: a rare sync besides the participation's events */
};

enum {
  PROP_0,
  PROP_STORE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TrbHistoryPage, trb_history_page, ADW_TYPE_BIN)

static void refresh (TrbHistoryPage *self);

static char *
format_time (gint64      time,
             const char *format)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (time);

  return when != NULL ? g_date_time_format (when, format) : g_strdup ("");
}

static char *
points_text (gint64 points)
{
  return trb_rewards_dup_points_text (points);
}

static void
clear_box (TrbHistoryPage *self,
           GtkBox         *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    {
      g_signal_handlers_disconnect_by_data (child, self);
      gtk_box_remove (box, child);
    }
}

/* A date and time as people read them, in their language: “7 December, 14:05”. */
static char *
format_when (gint64 time)
{
  /* Translators: a date and time, for example “7 December, 14:05”; see the strftime() style
   * codes of g_date_time_format(). */
  return format_time (time, _("%-d %B, %H:%M"));
}

static GtkWidget *
suffix_label (const char *text,
              const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  /* A long amount ("Erwartet 2 Punkte · Gutgeschrieben 2 Punkte") wraps rather than widening
   * the window past a phone's width. */
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 20);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_RIGHT);
  gtk_label_set_xalign (GTK_LABEL (label), 1.0);
  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

/* ---- ledger alerts ------------------------------------------------------------------------ */

static void
evidence_saved_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TrbHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    trb_window_report_problem (GTK_WIDGET (self), _("The file could not be saved"), error);
}

static void
evidence_chooser_response_cb (GtkNativeDialog *dialog,
                              int              response,
                              gpointer         user_data)
{
  TrbHistoryPage *self = TRB_HISTORY_PAGE (user_data);
  const char *origin = g_object_get_data (G_OBJECT (dialog), "origin");
  const char *csv = g_object_get_data (G_OBJECT (dialog), "csv");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GError) error = NULL;
      char *text;
      GBytes *bytes;

      text = csv != NULL ? g_strdup (csv)
                         : trb_history_export_evidence (self->history, origin, &error);
      if (text != NULL)
        {
          bytes = g_bytes_new_take (text, strlen (text));
          g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                               G_FILE_CREATE_REPLACE_DESTINATION,
                                               self->cancellable, evidence_saved_cb,
                                               g_object_ref (self));
          g_bytes_unref (bytes);
        }
      else if (error != NULL)
        trb_window_report_problem (GTK_WIDGET (self), _("The evidence could not be gathered"),
                                   error);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
save_text (TrbHistoryPage *self,
           const char     *title,
           const char     *file_name,
           const char     *origin,
           const char     *csv)
{
  GtkFileChooserNative *dialog;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  dialog = gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), file_name);
  g_object_set_data_full (G_OBJECT (dialog), "origin", g_strdup (origin), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "csv", g_strdup (csv), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (evidence_chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
export_evidence_clicked_cb (GtkButton      *button,
                            TrbHistoryPage *self)
{
  trb_evidence_save (GTK_WIDGET (self), self->history,
                     g_object_get_data (G_OBJECT (button), "origin"));
}

static void
resume_clicked_cb (GtkButton      *button,
                   TrbHistoryPage *self)
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
  refresh (self);
}

static void
notify_alert (TrbHistoryPage *self,
              const char     *origin,
              const char     *name)
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

static void
add_alerts (TrbHistoryPage *self)
{
  g_auto(GStrv) halted = trb_history_list_halted (self->history);

  for (guint i = 0; halted != NULL && halted[i] != NULL; i++)
    {
      g_autofree char *name = trb_history_dup_network_name (self->history, halted[i]);
      TrbLedgerTamper kind = trb_history_get_tamper (self->history, halted[i]);
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
      g_object_set_data_full (G_OBJECT (export), "origin", g_strdup (halted[i]), g_free);
      g_object_set_data_full (G_OBJECT (resume), "origin", g_strdup (halted[i]), g_free);
      g_signal_connect (export, "clicked", G_CALLBACK (export_evidence_clicked_cb), self);
      g_signal_connect (resume, "clicked", G_CALLBACK (resume_clicked_cb), self);
      gtk_box_append (GTK_BOX (buttons), export);
      gtk_box_append (GTK_BOX (buttons), resume);
      gtk_box_append (GTK_BOX (box), heading);
      gtk_box_append (GTK_BOX (box), body);
      gtk_box_append (GTK_BOX (box), buttons);
      gtk_box_append (self->alerts_box, box);
      notify_alert (self, halted[i], name);
    }
}

/* ---- rewards ------------------------------------------------------------------------------ */

static void
period_changed_cb (GtkDropDown    *dropdown,
                   GParamSpec     *pspec,
                   TrbHistoryPage *self)
{
  TrbRewardsPeriod period = gtk_drop_down_get_selected (dropdown);

  if (period == self->period)
    return;
  self->period = period;
  refresh (self);
}

static void
export_csv_clicked_cb (GtkButton      *button,
                       TrbHistoryPage *self)
{
  g_autoptr(GPtrArray) records = trb_history_list_rewards (self->history, NULL);
  g_autofree char *csv = trb_rewards_to_csv (records);

  save_text (self, _("Export Rewards"), "rewards.csv", NULL, csv);
}

static GtkWidget *
make_chart (GPtrArray        *records,
            TrbRewardsPeriod  period)
{
  g_autoptr(GArray) buckets = trb_rewards_bucket (records, period, NULL);
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) summary = g_string_new (NULL);
  GtkWidget *chart = trb_chart_new (TRB_CHART_BARS);
  const char *format = period == TRB_REWARDS_PERIOD_MONTH ? "%b %Y" : "%d %b";
  double max = 0;

  for (guint i = 0; i < buckets->len; i++)
    {
      TrbRewardsBucket *b = &g_array_index (buckets, TrbRewardsBucket, i);
      double v = trb_points_to_double (b->points);
      g_autofree char *points = trb_rewards_dup_points_text (b->points);

      g_array_append_val (values, v);
      g_ptr_array_add (labels, format_time (b->start, format));
      max = MAX (max, v);
      g_string_append_printf (summary, "%s%s: %s", i > 0 ? "; " : "",
                              (char *) g_ptr_array_index (labels, i), points);
    }
  trb_chart_set_data (TRB_CHART (chart), (double *) values->data,
                      (const char **) labels->pdata, NULL, values->len, max * 1.1);
  {
    g_autofree char *text = g_strdup_printf (_("Verified rewards by period: %s"),
                                             summary->len > 0 ? summary->str : _("none"));

    trb_chart_set_summary (TRB_CHART (chart), text);
  }
  gtk_widget_set_size_request (chart, -1, 160);
  return chart;
}

static void
add_rewards (TrbHistoryPage *self,
             GPtrArray      *records)
{
  g_autoptr(GPtrArray) totals = trb_history_list_totals (self->history);
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *suffix = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  const char *periods[] = { N_("By Day"), N_("By Week"), N_("By Month"), NULL };
  const char *translated[4];
  GtkWidget *dropdown, *export, *frame;

  for (guint i = 0; i < 4; i++)
    translated[i] = periods[i] != NULL ? _(periods[i]) : NULL;
  dropdown = gtk_drop_down_new_from_strings (translated);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), self->period);
  gtk_widget_set_valign (dropdown, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (dropdown), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Chart period"), -1);
  g_signal_connect (dropdown, "notify::selected", G_CALLBACK (period_changed_cb), self);
  trb_a11y_fix_tree (dropdown);
  export = trb_a11y_button_new_with_mnemonic (_("E_xport…"));
  gtk_widget_set_valign (export, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (export, _("Save the reward entries as a spreadsheet (CSV)"));
  g_signal_connect (export, "clicked", G_CALLBACK (export_csv_clicked_cb), self);
  gtk_box_append (GTK_BOX (suffix), dropdown);
  gtk_box_append (GTK_BOX (suffix), export);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Rewards"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                         _("Counted only when verified in the network’s ledger"));

  for (guint i = 0; i < totals->len; i++)
    {
      TrbRewardTotal *t = g_ptr_array_index (totals, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *points = points_text (t->points);
      g_autofree char *subtitle = NULL;

      g_autofree char *rounds = g_strdup_printf (ngettext ("%u round rewarded",
                                                           "%u rounds rewarded", t->n_rewards),
                                                 t->n_rewards);
      /* Translators: %s is a wallet's address. */
      g_autofree char *wallet = g_strdup_printf (_("Paid to the wallet %s"), t->wallet);

      if (t->n_unverified > 0)
        /* Translators: the summary of verified entries, then the number of entries not counted. */
        subtitle = g_strdup_printf (ngettext ("%s · %u unverified entry not counted",
                                              "%s · %u unverified entries not counted",
                                              t->n_unverified), rounds, t->n_unverified);
      else
        subtitle = g_strdup (rounds);
      /* The wallet's address is for those who look for it, not the first thing to read. */
      gtk_widget_set_tooltip_text (row, wallet);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), t->network);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix_label (points, "heading"));
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }
  gtk_box_append (self->target, group);

  /* The chart's period and the export sit on their own line above the chart, not beside the
   * group's title: there they squeezed the title and its description into a narrow column on a
   * phone-sized window, and more so in languages with longer words. */
  gtk_widget_set_halign (suffix, GTK_ALIGN_END);
  gtk_box_append (self->target, suffix);

  frame = gtk_frame_new (NULL);
  if (records->len > 0)
    gtk_frame_set_child (GTK_FRAME (frame), make_chart (records, self->period));
  else
    {
      GtkWidget *empty = gtk_label_new (_("No verified rewards yet. They appear here once a "
                                          "round you contributed to has closed and its reward "
                                          "is in the network’s ledger."));

      gtk_label_set_wrap (GTK_LABEL (empty), TRUE);
      gtk_label_set_justify (GTK_LABEL (empty), GTK_JUSTIFY_CENTER);
      gtk_widget_add_css_class (empty, "dim-label");
      gtk_widget_set_margin_top (empty, 24);
      gtk_widget_set_margin_bottom (empty, 24);
      gtk_widget_set_margin_start (empty, 24);
      gtk_widget_set_margin_end (empty, 24);
      gtk_frame_set_child (GTK_FRAME (frame), empty);
    }
  gtk_widget_add_css_class (frame, "view");
  gtk_box_append (self->target, frame);
}

static GtkWidget *
create_reward_row (gpointer item,
                   gpointer user_data)
{
  TrbRewardRecord *r = trb_history_item_get_data (item);
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *title = NULL;
  g_autofree char *round = g_strdup_printf ("%" G_GINT64_FORMAT, r->round);
  g_autofree char *when = format_when (r->time);
  g_autofree char *subtitle = NULL;
  g_autofree char *points = points_text (r->points);
  g_autofree char *entry = NULL;
  GtkWidget *icon;

  /* Translators: the first %s is the round's number, the second the task's name. */
  title = g_strdup_printf (_("Round %s of “%s”"), round, r->task);
  if (r->verified)
    /* Translators: the date, the amount, then that the ledger confirms it. */
    subtitle = g_strdup_printf (_("%s · %s · verified in the ledger"), r->network, when);
  else
    subtitle = g_strdup_printf ("%s · %s\n%s", r->network, when, r->problem);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             suffix_label (points, r->verified ? NULL : "dim-label"));
  if (r->verified)
    {
      g_autofree char *index = g_strdup_printf ("%" G_GUINT64_FORMAT, r->leaf_index);

      /* The proof's detail, one hover away rather than in the row. */
      entry = g_strdup_printf (_("Verified: entry %s of the network’s ledger"), index);
      icon = gtk_image_new_from_icon_name ("emblem-ok-symbolic");
      gtk_widget_add_css_class (icon, "success");
      gtk_widget_set_tooltip_text (icon, entry);
      gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Verified"), -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), icon);
    }
  else
    {
      icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
      gtk_widget_add_css_class (icon, "error");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix_label (_("Not verified"),
                                                                     "error"));
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
    }
  return row;
}

static void
add_reconciliation (TrbHistoryPage *self)
{
  g_autoptr(GPtrArray) items = trb_history_reconcile (self->history, NULL);
  GtkWidget *group;

  if (items->len == 0)
    return;
  group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Rounds You Contributed To"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                         _("What the network’s reward policy promised, and what "
                                           "its ledger credited"));
  for (guint i = items->len; i > 0; i--)
    {
      TrbRoundReconciliation *item = g_ptr_array_index (items, i - 1);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *round = g_strdup_printf ("%" G_GINT64_FORMAT, item->round);
      /* Translators: the first %s is a round number, the second a task's name */
      g_autofree char *title = g_strdup_printf (_("Round %s of “%s”"), round, item->task);
      g_autofree char *expected = trb_rewards_dup_points_text (item->expected);
      g_autofree char *credited = trb_rewards_dup_points_text (item->credited);
      /* Translators: both are amounts of points: the expected one, then the one credited. */
      g_autofree char *amounts = g_strdup_printf (_("Expected %s · Credited %s"), expected,
                                                  credited);
      g_autofree char *subtitle = NULL;
      const char *dataset = item->dataset != NULL ? item->dataset : _("a dataset not recorded");

      if (item->reason != NULL)
        /* Translators: the first line is the date; the second says which dataset the update was
         * trained on. */
        subtitle = g_strdup_printf (_("%s\nTrained on %s"), item->reason, dataset);
      else
        subtitle = g_strdup_printf (_("Paid as promised · trained on %s"), dataset);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 suffix_label (amounts, item->status == TRB_RECONCILE_PAID
                                                          ? "success" : "warning"));
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }
  gtk_box_append (self->target, group);
}

/* ---- provenance --------------------------------------------------------------------------- */

/* The model versions of one task: a chart and a list bound to a store of items. */
typedef struct
{
  TrbHistoryPage *self;
  char           *origin;
  char           *task;
  GListStore     *store;
  GtkWidget      *group;
  GtkWidget      *chart;
} VersionGroup;

static void
version_group_free (VersionGroup *group)
{
  if (group->store != NULL)
    g_signal_handlers_disconnect_by_data (group->store, group);
  g_clear_object (&group->store);
  g_free (group->origin);
  g_free (group->task);
  g_free (group);
}

typedef struct
{
  TrbHistoryPage *self;
  GtkWidget      *row;
  GFile          *file;
  char           *origin;
  char           *task;
  char           *model;
  char           *dataset;
  char           *subtitle;
} BenefitOp;

static void
benefit_op_free (BenefitOp *op)
{
  g_clear_object (&op->self);
  g_clear_object (&op->row);
  g_clear_object (&op->file);
  g_free (op->origin);
  g_free (op->task);
  g_free (op->model);
  g_free (op->dataset);
  g_free (op->subtitle);
  g_free (op);
}

/* Says on the version's row what is under way; benefit_op_end() puts the row back. */
static void
benefit_op_begin (BenefitOp  *op,
                  const char *line)
{
  op->subtitle = g_strdup (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (op->row)));
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (op->row), line);
}

static void
benefit_op_end (BenefitOp *op)
{
  if (op->subtitle != NULL)
    adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (op->row), op->subtitle);
}

static void
show_toast (TrbHistoryPage *self,
            const char     *title)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwToast *toast;

  if (!TRB_IS_WINDOW (root))
    return;
  toast = adw_toast_new (title);
  trb_window_add_toast (TRB_WINDOW (root), toast);
}

static void
model_saved_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  BenefitOp *op = user_data;
  g_autoptr(GError) error = NULL;

  benefit_op_end (op);
  if (g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    show_toast (op->self, _("Model version saved"));
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    trb_window_report_problem (GTK_WIDGET (op->self), _("The model version could not be saved"),
                               error);
  benefit_op_free (op);
}

static void
model_downloaded_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  BenefitOp *op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = trb_history_download_model_finish (TRB_HISTORY (source), result,
                                                              &error);

  if (blob == NULL)
    {
      benefit_op_end (op);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        trb_window_report_problem (GTK_WIDGET (op->self),
                                   _("The model version could not be downloaded"), error);
      benefit_op_free (op);
      return;
    }
  g_file_replace_contents_bytes_async (op->file, blob, NULL, FALSE,
                                       G_FILE_CREATE_REPLACE_DESTINATION,
                                       op->self->cancellable, model_saved_cb, op);
}

static void
evaluated_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  BenefitOp *op = user_data;
  g_autoptr(GError) error = NULL;
  double accuracy = trb_history_evaluate_finish (TRB_HISTORY (source), result, &error);

  benefit_op_end (op);
  /* The result is kept in the store and shown from there, so that it stays until the person
   * removes it, across syncs and restarts. */
  if (accuracy >= 0 && op->self->history != NULL &&
      trb_history_save_evaluation (op->self->history, op->origin, op->task, op->model,
                                   op->dataset, accuracy, &error))
    refresh (op->self);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    trb_window_report_problem (GTK_WIDGET (op->self),
                               _("The model version could not be evaluated"), error);
  benefit_op_free (op);
}

static void
start_evaluation (BenefitOp  *op,
                  const char *path,
                  const char *dataset)
{
  g_autofree char *line = g_strdup_printf (_("Evaluating on “%s”…"), dataset);

  op->dataset = g_strdup (dataset);
  benefit_op_begin (op, line);
  trb_history_evaluate_async (op->self->history, op->origin, op->task, op->model, path,
                              op->self->cancellable, evaluated_cb, op);
}

static void
benefit_chooser_response_cb (GtkNativeDialog *dialog,
                             int              response,
                             gpointer         user_data)
{
  BenefitOp *op = user_data;
  gboolean evaluate = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "evaluate"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      op->file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      if (evaluate)
        {
          g_autofree char *path = g_file_get_path (op->file);
          g_autofree char *name = g_file_get_basename (op->file);

          start_evaluation (op, path, name);
        }
      else
        {
          benefit_op_begin (op, _("Downloading…"));
          trb_history_download_model_async (op->self->history, op->origin, op->model,
                                            op->self->cancellable, model_downloaded_cb, op);
        }
    }
  else
    benefit_op_free (op);
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

/* Picks a file: the model version's destination, or data that is not in the list. */
static void
choose_benefit_file (BenefitOp *op,
                     GtkWidget *button,
                     gboolean   evaluate)
{
  GtkRoot *root = gtk_widget_get_root (button);
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (evaluate ? _("Pick Your Data")
                                                 : _("Save the Model Version"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        evaluate ? GTK_FILE_CHOOSER_ACTION_OPEN
                                                 : GTK_FILE_CHOOSER_ACTION_SAVE,
                                        evaluate ? _("_Evaluate") : _("_Save"), _("_Cancel"));
  if (!evaluate)
    {
      g_autofree char *name = g_strdup_printf ("model-%.12s.safetensors", op->model);

      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
    }
  g_object_set_data (G_OBJECT (dialog), "evaluate", GINT_TO_POINTER (evaluate));
  g_signal_connect (dialog, "response", G_CALLBACK (benefit_chooser_response_cb), op);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
evaluate_dialog_response_cb (AdwMessageDialog *dialog,
                             const char       *response,
                             gpointer          user_data)
{
  BenefitOp *op = user_data;
  GtkWidget *button = g_object_get_data (G_OBJECT (dialog), "button");
  GPtrArray *paths = g_object_get_data (G_OBJECT (dialog), "paths");
  GPtrArray *checks = g_object_get_data (G_OBJECT (dialog), "checks");
  GtkStringList *names = g_object_get_data (G_OBJECT (dialog), "names");
  const char *path = NULL;
  const char *name = NULL;

  for (guint i = 0; i < checks->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (checks, i)))
      {
        path = g_ptr_array_index (paths, i);
        name = gtk_string_list_get_string (names, i);
      }

  if (g_str_equal (response, "evaluate") && path != NULL)
    start_evaluation (op, path, name);
  else if (g_str_equal (response, "other"))
    choose_benefit_file (op, button, TRUE);
  else
    benefit_op_free (op);
}

/* Evaluating: one of the data sets on this computer, or another file. */
static void
ask_evaluation_data (BenefitOp *op,
                     GtkWidget *button)
{
  GtkRoot *root = gtk_widget_get_root (button);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) checks = g_ptr_array_new ();
  AdwMessageDialog *dialog;
  GtkWidget *list = gtk_list_box_new ();
  GtkCheckButton *group = NULL;

  trb_dataset_choices_fill (op->self->store, names, paths);
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  for (guint i = 0; i < paths->len; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();

      gtk_check_button_set_group (GTK_CHECK_BUTTON (check), group);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), i == 0);
      group = GTK_CHECK_BUTTON (check);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     gtk_string_list_get_string (names, i));
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      gtk_list_box_append (GTK_LIST_BOX (list), row);
      g_ptr_array_add (checks, check);
    }

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                           : NULL,
                                                       _("Evaluate This Version"),
                                                       _("See how well this model version "
                                                         "recognises data on this computer. "
                                                         "Nothing is sent.")));
  adw_message_dialog_set_extra_child (dialog, list);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "other", _("_Other File…"),
                                    "evaluate", _("_Evaluate"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "evaluate", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "evaluate");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "button", g_object_ref (button), g_object_unref);
  g_object_set_data_full (G_OBJECT (dialog), "names", g_object_ref (names), g_object_unref);
  g_object_set_data_full (G_OBJECT (dialog), "paths", g_steal_pointer (&paths),
                          (GDestroyNotify) g_ptr_array_unref);
  g_object_set_data_full (G_OBJECT (dialog), "checks", g_steal_pointer (&checks),
                          (GDestroyNotify) g_ptr_array_unref);
  g_signal_connect (dialog, "response", G_CALLBACK (evaluate_dialog_response_cb), op);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
benefit_clicked_cb (GtkButton *button,
                    gpointer   user_data)
{
  TrbHistoryPage *self = TRB_HISTORY_PAGE (user_data);
  TrbModelVersion *v = g_object_get_data (G_OBJECT (button), "version");
  gboolean evaluate = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "evaluate"));
  BenefitOp *op = g_new0 (BenefitOp, 1);

  op->self = g_object_ref (self);
  op->row = g_object_ref (g_object_get_data (G_OBJECT (button), "row"));
  op->origin = g_strdup (v->origin);
  op->task = g_strdup (v->task);
  op->model = g_strdup (v->model);
  if (evaluate)
    ask_evaluation_data (op, GTK_WIDGET (button));
  else
    choose_benefit_file (op, GTK_WIDGET (button), FALSE);
}

static GtkWidget *
benefit_button (TrbHistoryPage  *self,
                GtkWidget       *row,
                TrbHistoryItem  *item,
                gboolean         evaluate)
{
  TrbModelVersion *v = trb_history_item_get_data (item);
  const char *label = evaluate ? _("Evaluate on My Data") : _("Download This Version");
  GtkWidget *button = gtk_button_new_from_icon_name (evaluate ? "system-run-symbolic"
                                                              : "document-save-symbolic");

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  /* The row keeps its item, so the version outlives the button. */
  g_object_set_data_full (G_OBJECT (row), "item", g_object_ref (item), g_object_unref);
  g_object_set_data (G_OBJECT (button), "version", v);
  g_object_set_data (G_OBJECT (button), "evaluate", GINT_TO_POINTER (evaluate));
  g_object_set_data (G_OBJECT (button), "row", row);
  g_signal_connect_object (button, "clicked", G_CALLBACK (benefit_clicked_cb), self, 0);
  gtk_widget_set_sensitive (button, v->verified);
  return button;
}

/* A hash has no space to break at: its line may break anywhere, or the row would be as wide
 * as the hash and the page wider than a phone's 360 px. */
static void
break_subtitle_anywhere (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "subtitle"))
    gtk_label_set_wrap_mode (GTK_LABEL (widget), PANGO_WRAP_WORD_CHAR);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    break_subtitle_anywhere (child);
}

static void
add_detail (GtkWidget  *expander,
            const char *title,
            const char *value)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  break_subtitle_anywhere (row);
  gtk_widget_add_css_class (row, "property");
  adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), row);
}

static char *
accuracy_text (double accuracy)
{
  /* Translators: how accurate a model version is, for example “88 % accurate”. */
  return g_strdup_printf (_("%.0f %% accurate"), accuracy * 100);
}

/* The first line of a model version: what a person wants to know, in plain words. The hashes
 * and proofs are under its details.
 */
static char *
version_title (const TrbModelVersion *v)
{
  g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, v->round);
  g_autofree char *when = format_when (v->time);
  g_autofree char *accuracy = v->has_accuracy ? accuracy_text (v->accuracy) : NULL;
  /* Translators: a model version's number, for example “Version 7”. */
  g_autofree char *version = g_strdup_printf (_("Version %s"), number);
  GString *title = g_string_new (version);

  g_string_append_printf (title, " · %s", when);
  if (accuracy != NULL)
    g_string_append_printf (title, " · %s", accuracy);
  if (v->n_mine > 0)
    g_string_append_printf (title, " · %s", _("includes your work"));
  return g_string_free (title, FALSE);
}

static GtkWidget *
create_version_row (TrbHistoryPage *self,
                    TrbHistoryItem *item)
{
  TrbModelVersion *v = trb_history_item_get_data (item);
  GtkWidget *row = adw_expander_row_new ();
  g_autofree char *title = version_title (v);
  g_autofree char *contributions = g_strdup_printf (ngettext ("%u contribution",
                                                              "%u contributions",
                                                              v->n_contributions),
                                                    v->n_contributions);
  g_autofree char *proof = NULL;
  g_autofree char *entry = g_strdup_printf ("%" G_GUINT64_FORMAT, v->leaf_index);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row),
                                 v->verified ? _("Verified in the network’s ledger")
                                             : _("Not verified"));
  if (v->n_mine > 0)
    {
      GtkWidget *icon = gtk_image_new_from_icon_name ("starred-symbolic");

      gtk_widget_add_css_class (icon, "success");
      gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Your contribution"), -1);
      adw_expander_row_add_prefix (ADW_EXPANDER_ROW (row), icon);
    }
  adw_expander_row_add_action (ADW_EXPANDER_ROW (row), benefit_button (self, row, item, FALSE));
  adw_expander_row_add_action (ADW_EXPANDER_ROW (row), benefit_button (self, row, item, TRUE));

  /* Details, one click away. */
  if (v->verified)
    {
      g_autofree char *cosigned = g_strdup_printf (
        ngettext ("cosigned by %u participant", "cosigned by %u participants",
                  v->n_cosigners), v->n_cosigners);
      g_autofree char *consistent = NULL;
      g_autofree char *size = trb_format_count ((gint64) MIN (v->checkpoint_size, G_MAXINT64));

      if (v->n_earlier_checkpoints == 0)
        consistent = g_strdup (_("the first checkpoint seen"));
      else
        consistent = g_strdup_printf (
          ngettext ("consistent with %u earlier checkpoint",
                    "consistent with %u earlier checkpoints",
                    v->n_earlier_checkpoints), v->n_earlier_checkpoints);
      proof = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            /* Translators: the first %s is a number of entries,
                                             * which chooses the plural form, the second says how
                                             * the checkpoint relates to earlier ones, the third
                                             * who cosigned it. */
                                            "Included in the checkpoint of %s entry, %s, %s",
                                            "Included in the checkpoint of %s entries, %s, %s",
                                            (gulong) MIN (v->checkpoint_size, G_MAXLONG)),
                               size, consistent, cosigned);
    }
  else
    proof = g_strdup_printf (_("Not verified: %s"),
                             v->problem != NULL ? v->problem : _("not checked yet"));
  if (v->n_mine > 0)
    add_detail (row, _("Your Contribution"), v->my_datasets);
  add_detail (row, _("Contributions"), contributions);
  add_detail (row, _("Proof"), proof);
  add_detail (row, _("Model Version"), v->model);
  add_detail (row, _("Built From"), v->parent != NULL ? v->parent : _("none"));
  add_detail (row, _("Ledger Entry"), entry);
  return row;
}

static void
remove_result_clicked_cb (GtkButton *button,
                          gpointer   user_data)
{
  TrbHistoryPage *self = TRB_HISTORY_PAGE (user_data);
  TrbEvaluationResult *result = g_object_get_data (G_OBJECT (button), "result");
  g_autoptr(GError) error = NULL;

  if (self->history == NULL)
    return;
  if (!trb_history_remove_evaluation (self->history, result->origin, result->model,
                                      result->dataset, &error))
    trb_window_report_problem (GTK_WIDGET (self), _("The result could not be removed"), error);
  refresh (self);
}

static GtkWidget *
create_evaluation_row (TrbHistoryPage *self,
                       TrbHistoryItem *item)
{
  TrbEvaluationResult *result = trb_history_item_get_data (item);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon = gtk_image_new_from_icon_name ("system-run-symbolic");
  GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_autofree char *accuracy = accuracy_text (result->accuracy);
  g_autofree char *when = format_when (result->time);
  /* Translators: the first %s is the name of the person's data, the second how accurate the
   * model version was on it, for example “On “Clothing photos”: 88 % accurate”. */
  g_autofree char *title = g_strdup_printf (_("On “%s”: %s"), result->dataset, accuracy);
  /* Translators: %s is a date and time. */
  g_autofree char *subtitle = g_strdup_printf (_("Evaluated on your data on %s · nothing was "
                                                 "sent"), when);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  /* Indented under the version it belongs to. */
  gtk_widget_set_margin_start (icon, 24);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
  gtk_widget_add_css_class (row, "evaluation-result");
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, _("Remove This Result"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Remove This Result"), -1);
  g_object_set_data_full (G_OBJECT (remove), "item", g_object_ref (item), g_object_unref);
  g_object_set_data (G_OBJECT (remove), "result", result);
  g_signal_connect_object (remove, "clicked", G_CALLBACK (remove_result_clicked_cb), self, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
  return row;
}

static GtkWidget *
create_provenance_row (gpointer item,
                       gpointer user_data)
{
  VersionGroup *group = user_data;

  if (trb_history_item_get_kind (item) == TRB_HISTORY_ITEM_EVALUATION)
    return create_evaluation_row (group->self, item);
  return create_version_row (group->self, item);
}

/* The chart shows every version of the task, oldest first. */
static void
update_chart (VersionGroup *group)
{
  GListModel *model = G_LIST_MODEL (group->store);
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) marked = g_array_new (FALSE, FALSE, sizeof (gboolean));
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) summary = g_string_new (NULL);
  g_autofree char *text = NULL;

  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(TrbHistoryItem) item = g_list_model_get_item (model, i - 1);
      TrbModelVersion *v;
      double accuracy;
      gboolean mine;

      if (trb_history_item_get_kind (item) != TRB_HISTORY_ITEM_VERSION)
        continue;
      v = trb_history_item_get_data (item);
      accuracy = v->has_accuracy ? v->accuracy * 100 : 0;
      mine = v->n_mine > 0;
      g_array_append_val (values, accuracy);
      g_array_append_val (marked, mine);
      g_ptr_array_add (labels, g_strdup_printf ("%" G_GINT64_FORMAT, v->round));
      if (summary->len > 0)
        g_string_append (summary, "; ");
      if (mine)
        /* Translators: one model version in the chart's summary: the round's number and the
         * model's accuracy in percent, e.g. "round 3: 81.2 % (with your contribution)". */
        g_string_append_printf (summary, _("round %lld: %.1f %% (with your contribution)"),
                                (long long) v->round, accuracy);
      else
        /* Translators: one model version in the chart's summary: the round's number and the
         * model's accuracy in percent, e.g. "round 3: 81.2 %". */
        g_string_append_printf (summary, _("round %lld: %.1f %%"), (long long) v->round,
                                accuracy);
    }
  trb_chart_set_data (TRB_CHART (group->chart), (double *) values->data,
                      (const char **) labels->pdata, (gboolean *) marked->data, values->len, 100);
  text = g_strdup_printf (_("Accuracy of each model version: %s"), summary->str);
  trb_chart_set_summary (TRB_CHART (group->chart), text);
}

static void
versions_changed_cb (GListModel   *model,
                     guint         position,
                     guint         removed,
                     guint         added,
                     VersionGroup *group)
{
  update_chart (group);
}

static VersionGroup *
ensure_group (TrbHistoryPage *self,
              const char     *origin,
              const char     *task)
{
  g_autofree char *key = g_strdup_printf ("%s\n%s", origin, task);
  VersionGroup *group = g_hash_table_lookup (self->groups, key);
  g_autofree char *title = NULL;
  g_autofree char *name = NULL;
  GtkWidget *frame, *list;

  if (group != NULL)
    return group;
  group = g_new0 (VersionGroup, 1);
  group->self = self;
  group->origin = g_strdup (origin);
  group->task = g_strdup (task);
  group->store = g_list_store_new (TRB_TYPE_HISTORY_ITEM);
  group->group = adw_preferences_group_new ();
  group->chart = trb_chart_new (TRB_CHART_LINE);
  title = g_strdup_printf (_("Model Versions of “%s”"), task);
  name = trb_history_dup_network_name (self->history, origin);
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group->group), title);
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group->group), name);

  frame = gtk_frame_new (NULL);
  gtk_frame_set_child (GTK_FRAME (frame), group->chart);
  gtk_widget_add_css_class (frame, "view");
  gtk_widget_set_margin_bottom (frame, 12);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group->group), frame);

  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_list_box_bind_model (GTK_LIST_BOX (list), G_LIST_MODEL (group->store),
                           create_provenance_row, group, NULL);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group->group), list);
  g_signal_connect (group->store, "items-changed", G_CALLBACK (versions_changed_cb), group);
  update_chart (group);

  gtk_box_append (self->provenance_box, group->group);
  g_hash_table_insert (self->groups, g_steal_pointer (&key), group);
  return group;
}

static void
update_provenance (TrbHistoryPage *self,
                   const char     *origin)
{
  g_autoptr(GPtrArray) versions = trb_history_list_versions (self->history, origin, NULL);
  const char *task = NULL;

  /* Versions come by task: each task its group, its store updated in place. */
  for (guint i = 0; i < versions->len; i++)
    {
      TrbModelVersion *v = g_ptr_array_index (versions, i);
      g_autoptr(GPtrArray) items = NULL;
      VersionGroup *group;

      if (g_strcmp0 (task, v->task) == 0)
        continue;
      task = v->task;
      group = ensure_group (self, origin, task);
      items = trb_history_list_version_items (self->history, origin, task);
      trb_history_item_update_store (group->store, items);
    }
}

/* A network this computer no longer has a history of takes its groups with it. */
static void
remove_left_networks (TrbHistoryPage     *self,
                      const char * const *origins)
{
  GHashTableIter iter;
  VersionGroup *group;

  g_hash_table_iter_init (&iter, self->groups);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &group))
    if (!g_strv_contains (origins, group->origin))
      {
        gtk_box_remove (self->provenance_box, group->group);
        g_hash_table_iter_remove (&iter);
      }
}

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
  GtkWidget *rewards = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  GtkWidget *list = gtk_list_box_new ();

  self->alerts_box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 12));
  self->sections = GTK_STACK (gtk_stack_new ());
  gtk_stack_switcher_set_stack (GTK_STACK_SWITCHER (switcher), self->sections);
  gtk_widget_set_halign (switcher, GTK_ALIGN_CENTER);
  /* Neither size follows the section not shown: GTK measures the width of a hidden child at
   * its smallest height, where every wrapped line is unwrapped, and the window would grow to
   * that width (530 px for the rewards) whenever Provenance is shown. */
  gtk_stack_set_vhomogeneous (self->sections, FALSE);
  gtk_stack_set_hhomogeneous (self->sections, FALSE);
  gtk_stack_set_transition_type (self->sections, GTK_STACK_TRANSITION_TYPE_CROSSFADE);

  self->summary_box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 24));
  self->reconcile_box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 24));
  self->entries_group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self->entries_group),
                                   _("Reward Entries"));
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_list_box_bind_model (GTK_LIST_BOX (list), G_LIST_MODEL (self->rewards), create_reward_row,
                           self, NULL);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->entries_group), list);
  gtk_box_append (GTK_BOX (rewards), GTK_WIDGET (self->summary_box));
  gtk_box_append (GTK_BOX (rewards), self->entries_group);
  gtk_box_append (GTK_BOX (rewards), GTK_WIDGET (self->reconcile_box));
  gtk_stack_add_titled (self->sections, rewards, "rewards", _("Rewards"));

  self->provenance_box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 24));
  gtk_stack_add_titled (self->sections, GTK_WIDGET (self->provenance_box), "provenance",
                        _("Provenance"));
  g_signal_connect (self->sections, "notify::visible-child-name",
                    G_CALLBACK (section_changed_cb), self);

  gtk_box_append (self->content_box, GTK_WIDGET (self->alerts_box));
  gtk_box_append (self->content_box, switcher);
  gtk_box_append (self->content_box, GTK_WIDGET (self->sections));
}

/* What the rewards summary and the reconciliation show, to rebuild them only when it changed. */
static char *
summary_fingerprint (TrbHistoryPage *self,
                     GPtrArray      *reward_items,
                     GPtrArray      *reconciled)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "%d\n", self->period);
  for (guint i = 0; i < reward_items->len; i++)
    g_string_append_printf (text, "%s\n",
                            trb_history_item_get_fingerprint (g_ptr_array_index (reward_items,
                                                                                 i)));
  for (guint i = 0; i < reconciled->len; i++)
    {
      TrbRoundReconciliation *item = g_ptr_array_index (reconciled, i);

      g_string_append_printf (text, "%s|%s|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT "|%"
                              G_GINT64_FORMAT "|%d|%s|%s\n", item->origin, item->task,
                              item->round, item->expected, item->credited, item->status,
                              item->reason ? item->reason : "",
                              item->dataset ? item->dataset : "");
    }
  return g_string_free (text, FALSE);
}

static void
refresh (TrbHistoryPage *self)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) reward_items = NULL;
  g_auto(GStrv) origins = NULL;
  g_auto(GStrv) halted = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *alerts = NULL;
  g_autofree char *summary = NULL;

  if (self->history == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  records = trb_history_list_rewards (self->history, NULL);
  items = trb_history_reconcile (self->history, NULL);
  origins = trb_history_list_origins (self->history);
  halted = trb_history_list_halted (self->history);
  if (records->len == 0 && items->len == 0 && g_strv_length (halted) == 0)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  if (self->sections == NULL)
    build_content (self);

  /* Each part is touched only when what it shows changed: a sync that finds nothing new
   * leaves every widget as it was, with its expanded rows and the results shown. */
  alerts = g_strjoinv ("\n", halted);
  if (g_strcmp0 (alerts, self->alerts_shown) != 0)
    {
      clear_box (self, self->alerts_box);
      add_alerts (self);
      g_free (self->alerts_shown);
      self->alerts_shown = g_steal_pointer (&alerts);
    }

  reward_items = trb_history_list_reward_items (self->history);
  summary = summary_fingerprint (self, reward_items, items);
  if (g_strcmp0 (summary, self->summary_shown) != 0)
    {
      clear_box (self, self->summary_box);
      clear_box (self, self->reconcile_box);
      self->target = self->summary_box;
      add_rewards (self, records);
      self->target = self->reconcile_box;
      add_reconciliation (self);
      self->target = NULL;
      g_free (self->summary_shown);
      self->summary_shown = g_steal_pointer (&summary);
    }
  trb_history_item_update_store (self->rewards, reward_items);
  gtk_widget_set_visible (self->entries_group, records->len > 0);

  for (guint i = 0; origins[i] != NULL; i++)
    update_provenance (self, origins[i]);
  remove_left_networks (self, (const char * const *) origins);

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

/* Syncs come with the participation's events (a round closed, a reward came); this rare one
 * only catches what those missed, such as rounds of a network this computer left. Between
 * them the page does nothing at all. */
#define RESYNC_SECONDS (15 * 60)

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
  origins = trb_history_list_origins (self->history);
  for (guint i = 0; origins[i] != NULL; i++)
    if (!trb_history_is_halted (self->history, origins[i]))
      {
        self->syncing++;
        trb_history_sync_async (self->history, origins[i], NULL, witness, self->cancellable,
                                sync_done_cb, g_object_ref (self));
      }
}

static gboolean
resync_cb (gpointer user_data)
{
  sync_all (TRB_HISTORY_PAGE (user_data));
  return G_SOURCE_CONTINUE;
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

static void
page_mapped_cb (TrbHistoryPage *self)
{
  GApplication *app = g_application_get_default ();

  refresh (self);
  sync_all (self);
  if (self->sync_source == 0)
    self->sync_source = g_timeout_add_seconds (RESYNC_SECONDS, resync_cb, self);
  if (!self->events_connected && TRB_IS_APPLICATION (app) &&
      trb_application_get_participations (TRB_APPLICATION (app)) != NULL)
    {
      g_signal_connect_object (trb_application_get_participations (TRB_APPLICATION (app)),
                               "event", G_CALLBACK (participation_event_cb), self, 0);
      self->events_connected = TRUE;
    }
}

static void
page_unmapped_cb (TrbHistoryPage *self)
{
  g_clear_handle_id (&self->sync_source, g_source_remove);
}

static void
trb_history_page_dispose (GObject *object)
{
  TrbHistoryPage *self = TRB_HISTORY_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->sync_source, g_source_remove);
  if (self->history != NULL)
    g_signal_handlers_disconnect_by_data (self->history, self);
  g_clear_object (&self->history);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->notified, g_hash_table_unref);
  g_clear_pointer (&self->section, g_free);
  g_clear_pointer (&self->alerts_shown, g_free);
  g_clear_pointer (&self->summary_shown, g_free);
  /* Let AdwBin unparent its child itself, or it would unparent it again once freed. */
  adw_bin_set_child (ADW_BIN (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_HISTORY_PAGE);
  g_clear_pointer (&self->groups, g_hash_table_unref);
  g_clear_object (&self->rewards);

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
  self->notified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) version_group_free);
  self->rewards = g_list_store_new (TRB_TYPE_HISTORY_ITEM);
  self->period = TRB_REWARDS_PERIOD_DAY;
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
  g_signal_connect (self, "unmap", G_CALLBACK (page_unmapped_cb), NULL);
  refresh (self);
}
