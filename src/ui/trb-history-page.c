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

#include "participant/trb-history.h"
#include "participant/trb-participation-manager.h"
#include "participant/trb-rewards.h"
#include "trb-application.h"
#include "trb-chart.h"
#include "trb-window.h"
#include "ui/trb-dataset-choices.h"

struct _TrbHistoryPage
{
  AdwBin            parent_instance;

  GtkStack         *stack;
  GtkBox           *content_box;
  GtkBox           *target;
  char             *section;

  TrbHistory       *history;
  GSettings        *settings;
  GCancellable     *cancellable;
  GHashTable       *notified;
  TrbRewardsPeriod  period;
  guint             syncing;      /* networks being brought up to date */
  guint             sync_source;  /* while shown: bring them up to date again now and then */
};

G_DEFINE_FINAL_TYPE (TrbHistoryPage, trb_history_page, ADW_TYPE_BIN)

static void refresh (TrbHistoryPage *self);

static char *
short_hash (const char *hash)
{
  return hash != NULL ? g_strdup_printf ("%.10s…", hash) : g_strdup (_("none"));
}

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
  g_autofree char *value = trb_rewards_format_points (points);

  /* Translators: an amount of reward points, for example “2.400 points”. */
  return g_strdup_printf (_("%s points"), value);
}

static void
clear_content (TrbHistoryPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->content_box))) != NULL)
    {
      g_signal_handlers_disconnect_by_data (child, self);
      gtk_box_remove (self->content_box, child);
    }
}

static GtkWidget *
suffix_label (const char *text,
              const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

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
  save_text (self, _("Save the Evidence"), "ledger-evidence.txt",
             g_object_get_data (G_OBJECT (button), "origin"), NULL);
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
      g_autofree char *title = g_strdup_printf (_("“%s” showed two different histories"), name);
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
      GtkWidget *heading = gtk_label_new (title);
      GtkWidget *body = gtk_label_new (_("This network signed two versions of its ledger that "
                                         "cannot both be true: someone may be rewriting which "
                                         "contributions went into its models. Tributary stopped "
                                         "taking part in it. Save the evidence and share it with "
                                         "the network’s community, then decide."));
      GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      GtkWidget *export = gtk_button_new_with_mnemonic (_("_Export Evidence…"));
      GtkWidget *resume = gtk_button_new_with_mnemonic (_("_Keep Taking Part"));

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
      gtk_box_append (self->content_box, box);
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
      double v = b->points / 1000.0;
      g_autofree char *points = trb_rewards_format_points (b->points);

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
  export = gtk_button_new_with_mnemonic (_("E_xport…"));
  gtk_widget_set_valign (export, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (export, _("Save the reward entries as a spreadsheet (CSV)"));
  g_signal_connect (export, "clicked", G_CALLBACK (export_csv_clicked_cb), self);
  gtk_box_append (GTK_BOX (suffix), dropdown);
  gtk_box_append (GTK_BOX (suffix), export);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Rewards"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                         _("Counted only when verified in the network’s ledger"));
  adw_preferences_group_set_header_suffix (ADW_PREFERENCES_GROUP (group), suffix);

  for (guint i = 0; i < totals->len; i++)
    {
      TrbRewardTotal *t = g_ptr_array_index (totals, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *points = points_text (t->points);
      g_autofree char *subtitle = NULL;

      if (t->n_unverified > 0)
        subtitle = g_strdup_printf (ngettext ("Wallet %.8s… · %u unverified entry not counted",
                                              "Wallet %.8s… · %u unverified entries not counted",
                                              t->n_unverified), t->wallet, t->n_unverified);
      else
        subtitle = g_strdup_printf (_("Wallet %.8s…"), t->wallet);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), t->network);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix_label (points, "heading"));
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }
  gtk_box_append (self->target, group);

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

static void
add_entries (TrbHistoryPage *self,
             GPtrArray      *records)
{
  GtkWidget *group = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Reward Entries"));
  for (guint i = records->len; i > 0; i--)
    {
      TrbRewardRecord *r = g_ptr_array_index (records, i - 1);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *title = g_strdup_printf (_("Round %" G_GINT64_FORMAT " of “%s”"),
                                                r->round, r->task);
      g_autofree char *when = format_time (r->time, "%x %H:%M");
      g_autofree char *subtitle = NULL;
      g_autofree char *points = points_text (r->points);
      GtkWidget *icon;

      if (r->verified)
        subtitle = g_strdup_printf (_("%s · %s · entry %" G_GUINT64_FORMAT " verified in the "
                                      "ledger"), r->network, when, r->leaf_index);
      else
        subtitle = g_strdup_printf ("%s · %s\n%s", r->network, when, r->problem);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 suffix_label (points, r->verified ? NULL : "dim-label"));
      if (r->verified)
        {
          icon = gtk_image_new_from_icon_name ("emblem-ok-symbolic");
          gtk_widget_add_css_class (icon, "success");
          gtk_widget_set_tooltip_text (icon, _("Verified"));
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
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }
  gtk_box_append (self->target, group);
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
      g_autofree char *title = g_strdup_printf (_("Round %" G_GINT64_FORMAT " of “%s”"),
                                                item->round, item->task);
      g_autofree char *expected = trb_rewards_format_points (item->expected);
      g_autofree char *credited = trb_rewards_format_points (item->credited);
      g_autofree char *amounts = g_strdup_printf (_("Expected %s · Credited %s"), expected,
                                                  credited);
      g_autofree char *subtitle = NULL;
      const char *dataset = item->dataset != NULL ? item->dataset : _("a dataset not recorded");

      if (item->reason != NULL)
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

typedef struct
{
  TrbHistoryPage *self;
  AdwActionRow   *row;
  GFile          *file;
} BenefitOp;

static void
benefit_op_free (BenefitOp *op)
{
  g_clear_object (&op->self);
  g_clear_object (&op->row);
  g_clear_object (&op->file);
  g_free (op);
}

static void
append_to_subtitle (AdwActionRow *row,
                    const char   *line)
{
  g_autofree char *text = g_strdup_printf ("%s\n%s", adw_action_row_get_subtitle (row), line);

  adw_action_row_set_subtitle (row, text);
}

/* Replaces the last line, which said what was under way, with how it ended. */
static void
end_subtitle_line (AdwActionRow *row,
                   const char   *line)
{
  const char *subtitle = adw_action_row_get_subtitle (row);
  const char *last = strrchr (subtitle, '\n');
  g_autofree char *head = last != NULL ? g_strndup (subtitle, last - subtitle) : NULL;
  g_autofree char *text = head != NULL ? g_strdup_printf ("%s\n%s", head, line) : g_strdup (line);

  adw_action_row_set_subtitle (row, text);
}

static void
model_saved_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  BenefitOp *op = user_data;
  g_autoptr(GError) error = NULL;

  if (g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    append_to_subtitle (op->row, _("Saved on this computer"));
  else
    append_to_subtitle (op->row, error->message);
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
      append_to_subtitle (op->row, error->message);
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

  if (accuracy >= 0)
    {
      g_autofree char *line = g_strdup_printf (_("On your data: accuracy %.1f %%"),
                                               accuracy * 100);

      end_subtitle_line (op->row, line);
    }
  else
    end_subtitle_line (op->row, error->message);
  benefit_op_free (op);
}

static void
start_evaluation (BenefitOp  *op,
                  GObject    *button,
                  const char *path)
{
  append_to_subtitle (op->row, _("Evaluating on your data…"));
  trb_history_evaluate_async (op->self->history, g_object_get_data (button, "origin"),
                              g_object_get_data (button, "task"),
                              g_object_get_data (button, "model"), path,
                              op->self->cancellable, evaluated_cb, op);
}

static void
benefit_chooser_response_cb (GtkNativeDialog *dialog,
                             int              response,
                             gpointer         user_data)
{
  BenefitOp *op = user_data;
  gboolean evaluate = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "evaluate"));
  GObject *button = g_object_get_data (G_OBJECT (dialog), "button");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      op->file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      if (evaluate)
        {
          g_autofree char *path = g_file_get_path (op->file);

          start_evaluation (op, button, path);
        }
      else
        trb_history_download_model_async (op->self->history, g_object_get_data (button,
                                                                                 "origin"),
                                          g_object_get_data (button, "model"),
                                          op->self->cancellable, model_downloaded_cb, op);
    }
  else
    benefit_op_free (op);
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

/* Picks a file: the model version's destination, or data that is not in the list. */
static void
choose_benefit_file (BenefitOp *op,
                     GtkButton *button,
                     gboolean   evaluate)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (button));
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (evaluate ? _("Pick Your Data")
                                                 : _("Save the Model Version"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        evaluate ? GTK_FILE_CHOOSER_ACTION_OPEN
                                                 : GTK_FILE_CHOOSER_ACTION_SAVE,
                                        evaluate ? _("_Evaluate") : _("_Save"), _("_Cancel"));
  if (!evaluate)
    {
      g_autofree char *name = g_strdup_printf ("model-%.12s.safetensors",
                                               (char *) g_object_get_data (G_OBJECT (button),
                                                                           "model"));

      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
    }
  g_object_set_data (G_OBJECT (dialog), "evaluate", GINT_TO_POINTER (evaluate));
  g_object_set_data_full (G_OBJECT (dialog), "button", g_object_ref (button), g_object_unref);
  g_signal_connect (dialog, "response", G_CALLBACK (benefit_chooser_response_cb), op);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
evaluate_dialog_response_cb (AdwMessageDialog *dialog,
                             const char       *response,
                             gpointer          user_data)
{
  BenefitOp *op = user_data;
  GtkButton *button = g_object_get_data (G_OBJECT (dialog), "button");
  GPtrArray *paths = g_object_get_data (G_OBJECT (dialog), "paths");
  GPtrArray *checks = g_object_get_data (G_OBJECT (dialog), "checks");
  const char *path = NULL;

  for (guint i = 0; i < checks->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (checks, i)))
      path = g_ptr_array_index (paths, i);

  if (g_str_equal (response, "evaluate") && path != NULL)
    start_evaluation (op, G_OBJECT (button), path);
  else if (g_str_equal (response, "other"))
    choose_benefit_file (op, button, TRUE);
  else
    benefit_op_free (op);
}

/* Evaluating: one of the data sets on this computer, or another file. */
static void
ask_evaluation_data (BenefitOp *op,
                     GtkButton *button)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (button));
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) checks = g_ptr_array_new ();
  AdwMessageDialog *dialog;
  GtkWidget *list = gtk_list_box_new ();
  GtkCheckButton *group = NULL;

  trb_dataset_choices_fill (names, paths);
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
  g_object_set_data_full (G_OBJECT (dialog), "paths", g_steal_pointer (&paths),
                          (GDestroyNotify) g_ptr_array_unref);
  g_object_set_data_full (G_OBJECT (dialog), "checks", g_steal_pointer (&checks),
                          (GDestroyNotify) g_ptr_array_unref);
  g_signal_connect (dialog, "response", G_CALLBACK (evaluate_dialog_response_cb), op);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
benefit_clicked_cb (GtkButton      *button,
                    TrbHistoryPage *self)
{
  gboolean evaluate = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "evaluate"));
  BenefitOp *op = g_new0 (BenefitOp, 1);

  op->self = g_object_ref (self);
  op->row = g_object_ref (g_object_get_data (G_OBJECT (button), "row"));
  if (evaluate)
    ask_evaluation_data (op, button);
  else
    choose_benefit_file (op, button, FALSE);
}

static GtkWidget *
benefit_button (TrbHistoryPage  *self,
                GtkWidget       *row,
                TrbModelVersion *v,
                gboolean         evaluate)
{
  const char *label = evaluate ? _("Evaluate on My Data") : _("Download This Version");
  GtkWidget *button = gtk_button_new_from_icon_name (evaluate ? "system-run-symbolic"
                                                              : "document-save-symbolic");

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  g_object_set_data (G_OBJECT (button), "evaluate", GINT_TO_POINTER (evaluate));
  g_object_set_data (G_OBJECT (button), "row", row);
  g_object_set_data_full (G_OBJECT (button), "origin", g_strdup (v->origin), g_free);
  g_object_set_data_full (G_OBJECT (button), "task", g_strdup (v->task), g_free);
  g_object_set_data_full (G_OBJECT (button), "model", g_strdup (v->model), g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (benefit_clicked_cb), self);
  gtk_widget_set_sensitive (button, v->verified);
  return button;
}

static void
add_provenance (TrbHistoryPage *self,
                const char     *origin)
{
  g_autoptr(GPtrArray) versions = trb_history_list_versions (self->history, origin, NULL);
  g_autofree char *name = trb_history_dup_network_name (self->history, origin);
  guint start = 0;

  while (start < versions->len)
    {
      TrbModelVersion *first = g_ptr_array_index (versions, start);
      g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr(GArray) marked = g_array_new (FALSE, FALSE, sizeof (gboolean));
      g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GString) summary = g_string_new (NULL);
      g_autofree char *title = g_strdup_printf (_("Model Versions of “%s”"), first->task);
      GtkWidget *group = adw_preferences_group_new ();
      GtkWidget *chart = trb_chart_new (TRB_CHART_LINE);
      GtkWidget *frame = gtk_frame_new (NULL);
      guint end = start;

      while (end < versions->len &&
             g_str_equal (((TrbModelVersion *) g_ptr_array_index (versions, end))->task,
                          first->task))
        end++;

      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
      adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), name);
      for (guint i = start; i < end; i++)
        {
          TrbModelVersion *v = g_ptr_array_index (versions, i);
          double accuracy = v->has_accuracy ? v->accuracy * 100 : 0;
          gboolean mine = v->n_mine > 0;

          g_array_append_val (values, accuracy);
          g_array_append_val (marked, mine);
          g_ptr_array_add (labels, g_strdup_printf ("%" G_GINT64_FORMAT, v->round));
          g_string_append_printf (summary, _("%sround %" G_GINT64_FORMAT ": %.1f %%%s"),
                                  i > start ? "; " : "", v->round, accuracy,
                                  mine ? _(" (with your contribution)") : "");
        }
      trb_chart_set_data (TRB_CHART (chart), (double *) values->data,
                          (const char **) labels->pdata, (gboolean *) marked->data, values->len,
                          100);
      {
        g_autofree char *text = g_strdup_printf (_("Accuracy of each model version: %s"),
                                                 summary->str);

        trb_chart_set_summary (TRB_CHART (chart), text);
      }
      gtk_frame_set_child (GTK_FRAME (frame), chart);
      gtk_widget_add_css_class (frame, "view");
      gtk_widget_set_margin_bottom (frame, 12);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), frame);

      for (guint i = end; i > start; i--)
        {
          TrbModelVersion *v = g_ptr_array_index (versions, i - 1);
          GtkWidget *row = adw_action_row_new ();
          g_autofree char *model = short_hash (v->model);
          g_autofree char *parent = short_hash (v->parent);
          g_autofree char *row_title = g_strdup_printf (_("Round %" G_GINT64_FORMAT
                                                          " · version %s"), v->round, model);
          g_autofree char *accuracy = v->has_accuracy
                                        ? g_strdup_printf (_("accuracy %.1f %%"),
                                                           v->accuracy * 100)
                                        : g_strdup (_("accuracy not measured"));
          g_autofree char *line1 = g_strdup_printf (
            ngettext ("From %s · %u contribution · %s", "From %s · %u contributions · %s",
                      v->n_contributions), parent, v->n_contributions, accuracy);
          g_autofree char *line2 = NULL;
          g_autofree char *line3 = NULL;
          g_autofree char *subtitle = NULL;

          if (v->verified)
            {
              g_autofree char *cosigned = g_strdup_printf (
                ngettext ("cosigned by %u participant", "cosigned by %u participants",
                          v->n_cosigners), v->n_cosigners);

              g_autofree char *consistent = NULL;

              if (v->n_earlier_checkpoints == 0)
                consistent = g_strdup (_("the first checkpoint seen"));
              else
                consistent = g_strdup_printf (
                  ngettext ("consistent with %u earlier checkpoint",
                            "consistent with %u earlier checkpoints",
                            v->n_earlier_checkpoints), v->n_earlier_checkpoints);

              /* Translators: the second %s says how the checkpoint relates to earlier ones, the
               * third who cosigned it. */
              line2 = g_strdup_printf (_("Verified: included in the checkpoint of %"
                                         G_GUINT64_FORMAT " entries, %s, %s"), v->checkpoint_size,
                                       consistent, cosigned);
            }
          else
            line2 = g_strdup_printf (_("Not verified: %s"),
                                     v->problem != NULL ? v->problem : _("not checked yet"));
          if (v->n_mine > 0)
            line3 = g_strdup_printf (_("Your contribution, trained on %s"), v->my_datasets);
          subtitle = g_strjoin ("\n", line1, line2, line3, NULL);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), row_title);
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
          adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
          if (v->n_mine > 0)
            {
              GtkWidget *icon = gtk_image_new_from_icon_name ("starred-symbolic");

              gtk_widget_add_css_class (icon, "success");
              gtk_accessible_update_property (GTK_ACCESSIBLE (icon),
                                              GTK_ACCESSIBLE_PROPERTY_LABEL,
                                              _("Your contribution"), -1);
              adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
              adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                         suffix_label (_("Yours"), "success"));
            }
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), benefit_button (self, row, v, FALSE));
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), benefit_button (self, row, v, TRUE));
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
        }
      gtk_box_append (self->target, group);
      start = end;
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

static void
refresh (TrbHistoryPage *self)
{
  g_autoptr(GPtrArray) records = NULL;
  g_auto(GStrv) origins = NULL;
  g_auto(GStrv) halted = NULL;
  g_autoptr(GPtrArray) items = NULL;
  GtkWidget *sections, *switcher;

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
  clear_content (self);
  add_alerts (self);

  /* Two sections, each a page of a stack with a switcher above. */
  sections = gtk_stack_new ();
  switcher = gtk_stack_switcher_new ();
  gtk_stack_switcher_set_stack (GTK_STACK_SWITCHER (switcher), GTK_STACK (sections));
  gtk_widget_set_halign (switcher, GTK_ALIGN_CENTER);
  gtk_stack_set_vhomogeneous (GTK_STACK (sections), FALSE);
  gtk_stack_set_transition_type (GTK_STACK (sections), GTK_STACK_TRANSITION_TYPE_CROSSFADE);

  self->target = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 24));
  add_rewards (self, records);
  if (records->len > 0)
    add_entries (self, records);
  add_reconciliation (self);
  gtk_stack_add_titled (GTK_STACK (sections), GTK_WIDGET (self->target), "rewards",
                        _("Rewards"));

  self->target = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 24));
  for (guint i = 0; origins[i] != NULL; i++)
    add_provenance (self, origins[i]);
  gtk_stack_add_titled (GTK_STACK (sections), GTK_WIDGET (self->target), "provenance",
                        _("Provenance"));
  self->target = NULL;

  gtk_stack_set_visible_child_name (GTK_STACK (sections), self->section);
  g_signal_connect (sections, "notify::visible-child-name", G_CALLBACK (section_changed_cb),
                    self);
  gtk_box_append (self->content_box, switcher);
  gtk_box_append (self->content_box, sections);
  gtk_stack_set_visible_child_name (self->stack, "content");
}

static void
history_changed_cb (TrbHistory     *history,
                    TrbHistoryPage *self)
{
  refresh (self);
}

/* While the page is shown the ledgers are read again now and then, so that rounds that close
 * and rewards that are credited appear without leaving the page. */
#define RESYNC_SECONDS 30

static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TrbHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!trb_history_sync_finish (TRB_HISTORY (source), result, &error))
    g_debug ("History not brought up to date: %s", error->message);
  if (self->syncing > 0)
    self->syncing--;
}

static void
sync_all (TrbHistoryPage *self)
{
  g_auto(GStrv) origins = NULL;
  gboolean witness;

  if (self->history == NULL || self->syncing > 0)
    return;
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
page_mapped_cb (TrbHistoryPage *self)
{
  refresh (self);
  sync_all (self);
  if (self->sync_source == 0)
    self->sync_source = g_timeout_add_seconds (RESYNC_SECONDS, resync_cb, self);
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
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->notified, g_hash_table_unref);
  g_clear_pointer (&self->section, g_free);
  /* Let AdwBin unparent its child itself, or it would unparent it again once freed. */
  adw_bin_set_child (ADW_BIN (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_HISTORY_PAGE);

  G_OBJECT_CLASS (trb_history_page_parent_class)->dispose (object);
}

static void
trb_history_page_class_init (TrbHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_history_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbHistoryPage, stack);
  gtk_widget_class_bind_template_child (widget_class, TrbHistoryPage, content_box);
}

static void
trb_history_page_init (TrbHistoryPage *self)
{
  g_autofree char *path = trb_store_default_path ();
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(GError) error = NULL;
  GSettingsSchema *schema;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->notified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->period = TRB_REWARDS_PERIOD_DAY;
  self->section = g_strdup ("rewards");

  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (), APP_ID,
                                            TRUE);
  if (schema != NULL)
    {
      self->settings = g_settings_new (APP_ID);
      g_settings_schema_unref (schema);
    }

  store = trb_store_new_for_path (path, &error);
  if (store != NULL)
    self->history = trb_history_new (store, &error);
  if (self->history == NULL)
    g_warning ("Could not open the history: %s", error->message);
  else
    g_signal_connect (self->history, "changed", G_CALLBACK (history_changed_cb), self);
  g_signal_connect (self, "map", G_CALLBACK (page_mapped_cb), NULL);
  g_signal_connect (self, "unmap", G_CALLBACK (page_unmapped_cb), NULL);
  refresh (self);
}
