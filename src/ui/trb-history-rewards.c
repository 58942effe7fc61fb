/* trb-history-rewards.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The History area's rewards: the totals per network with a chart by period and the CSV
 * export, the reward entries (a list model of TrbHistoryItem, updated in place), and what each
 * contributed round promised against what the ledger credited. Only verified entries count.
 */

#define G_LOG_DOMAIN "trb-history-rewards"

#include "config.h"

#include "trb-history-rewards.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "net/trb-protocol.h"
#include "participant/trb-history-item.h"
#include "participant/trb-rewards.h"
#include "trb-a11y.h"
#include "trb-chart.h"
#include "trb-window.h"
#include "ui/trb-history-format.h"

/* Reward entries shown at first; "Show Older Entries" shows as many again. */
#define ENTRIES_SHOWN 20

struct _TrbHistoryRewards
{
  GtkBox            parent_instance;

  TrbHistory       *history;
  GCancellable     *cancellable;
  TrbRewardsPeriod  period;

  /* Built once; an update touches only what changed in them. */
  GtkBox           *summary_box;
  GtkWidget        *entries_group;
  GtkBox           *reconcile_box;
  GtkBox           *target;         /* where add_rewards() and add_reconciliation() add */
  GListStore       *rewards;        /* TrbHistoryItem: reward entries, newest first */
  char             *summary_shown;  /* what the summary and the reconciliation show */
};

G_DEFINE_FINAL_TYPE (TrbHistoryRewards, trb_history_rewards, GTK_TYPE_BOX)

static void update_from_history (TrbHistoryRewards *self);

static void
csv_saved_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TrbHistoryRewards) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    trb_window_report_problem (GTK_WIDGET (self), _("The file could not be saved"), error);
}

static void
csv_chooser_response_cb (GtkNativeDialog *dialog,
                         int              response,
                         gpointer         user_data)
{
  TrbHistoryRewards *self = TRB_HISTORY_REWARDS (user_data);
  const char *csv = g_object_get_data (G_OBJECT (dialog), "csv");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GBytes) bytes = g_bytes_new (csv, strlen (csv));

      g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                           G_FILE_CREATE_REPLACE_DESTINATION, self->cancellable,
                                           csv_saved_cb, g_object_ref (self));
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
save_csv (TrbHistoryRewards *self,
          const char        *csv)
{
  GtkFileChooserNative *dialog;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  dialog = gtk_file_chooser_native_new (_("Export Rewards"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "rewards.csv");
  g_object_set_data_full (G_OBJECT (dialog), "csv", g_strdup (csv), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (csv_chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
period_changed_cb (GtkDropDown       *dropdown,
                   GParamSpec        *pspec,
                   TrbHistoryRewards *self)
{
  TrbRewardsPeriod period = gtk_drop_down_get_selected (dropdown);

  if (period == self->period)
    return;
  self->period = period;
  update_from_history (self);
}

static void
export_csv_clicked_cb (GtkButton         *button,
                       TrbHistoryRewards *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = trb_history_list_rewards (self->history, NULL, &error);
  g_autofree char *csv = NULL;

  if (records == NULL)
    {
      trb_window_report_problem (GTK_WIDGET (self), _("The rewards could not be read"), error);
      return;
    }
  csv = trb_rewards_to_csv (records);
  save_csv (self, csv);
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
      g_ptr_array_add (labels, trb_history_format_time (b->start, format));
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
add_rewards (TrbHistoryRewards *self,
             GPtrArray         *records,
             GPtrArray         *totals)
{
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
      g_autofree char *points = trb_rewards_dup_points_text (t->points);
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
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), trb_history_suffix_label (points, "heading"));
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
  g_autofree char *when = trb_history_format_when (r->time);
  g_autofree char *subtitle = NULL;
  g_autofree char *points = trb_rewards_dup_points_text (r->points);
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
                             trb_history_suffix_label (points, r->verified ? NULL : "dim-label"));
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
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), trb_history_suffix_label (_("Not verified"),
                                                                     "error"));
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
    }
  return row;
}

static void
add_reconciliation (TrbHistoryRewards *self,
                    GPtrArray         *items)
{
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
                                 trb_history_suffix_label (amounts, item->status == TRB_RECONCILE_PAID
                                                          ? "success" : "warning"));
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }
  gtk_box_append (self->target, group);
}

/* What the rewards summary and the reconciliation show, to rebuild them only when it changed. */
static char *
summary_fingerprint (TrbHistoryRewards *self,
                     GPtrArray         *reward_items,
                     GPtrArray         *reconciled)
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
update_from_history (TrbHistoryRewards *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) reconciled = NULL;

  if ((records = trb_history_list_rewards (self->history, NULL, &error)) == NULL ||
      (reconciled = trb_history_reconcile (self->history, NULL, &error)) == NULL)
    {
      trb_window_report_problem (GTK_WIDGET (self), _("The rewards could not be read"), error);
      return;
    }
  trb_history_rewards_update (self, records, reconciled);
}

static void
trb_history_rewards_dispose (GObject *object)
{
  TrbHistoryRewards *self = TRB_HISTORY_REWARDS (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->history);
  g_clear_pointer (&self->summary_shown, g_free);

  G_OBJECT_CLASS (trb_history_rewards_parent_class)->dispose (object);
}

static void
trb_history_rewards_finalize (GObject *object)
{
  TrbHistoryRewards *self = TRB_HISTORY_REWARDS (object);

  /* The list bound to the store is gone with the children by now. */
  g_clear_object (&self->rewards);

  G_OBJECT_CLASS (trb_history_rewards_parent_class)->finalize (object);
}

static void
trb_history_rewards_class_init (TrbHistoryRewardsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = trb_history_rewards_dispose;
  object_class->finalize = trb_history_rewards_finalize;
}

static void
trb_history_rewards_init (TrbHistoryRewards *self)
{
  GtkWidget *list = gtk_list_box_new ();
  g_autoptr(GtkSliceListModel) shown = NULL;

  self->cancellable = g_cancellable_new ();
  self->period = TRB_REWARDS_PERIOD_DAY;
  self->rewards = g_list_store_new (TRB_TYPE_HISTORY_ITEM);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 24);

  self->summary_box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 24));
  self->reconcile_box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 24));
  self->entries_group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self->entries_group),
                                   _("Reward Entries"));
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  /* The newest entries, more on request: a row costs much more than its entry. */
  shown = gtk_slice_list_model_new (G_LIST_MODEL (g_object_ref (self->rewards)), 0,
                                    ENTRIES_SHOWN);
  gtk_list_box_bind_model (GTK_LIST_BOX (list), G_LIST_MODEL (shown), create_reward_row,
                           self, NULL);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->entries_group), list);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->entries_group),
                             trb_history_show_more_new (shown, _("Show _Older Entries")));
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->summary_box));
  gtk_box_append (GTK_BOX (self), self->entries_group);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->reconcile_box));
}

/**
 * trb_history_rewards_new:
 * @history: the verified copies of the networks' ledgers
 *
 * Returns: (transfer floating): the rewards of @history, empty until
 *   trb_history_rewards_update()
 */
GtkWidget *
trb_history_rewards_new (TrbHistory *history)
{
  TrbHistoryRewards *self = g_object_new (TRB_TYPE_HISTORY_REWARDS, NULL);

  g_return_val_if_fail (TRB_IS_HISTORY (history), NULL);

  self->history = g_object_ref (history);
  return GTK_WIDGET (self);
}

/**
 * trb_history_rewards_update:
 * @self: the rewards
 * @records: (element-type TrbRewardRecord): the reward records, from
 *   trb_history_list_rewards()
 * @reconciled: (element-type TrbRoundReconciliation): the contributed rounds, from
 *   trb_history_reconcile()
 *
 * Shows what @history holds now. Each part is touched only when what it shows changed: an
 * update that finds nothing new leaves every widget as it was; a new entry adds its row. When
 * the history cannot be read, what is shown stays and a toast says so.
 */
void
trb_history_rewards_update (TrbHistoryRewards *self,
                            GPtrArray         *records,
                            GPtrArray         *reconciled)
{
  g_autoptr(GPtrArray) reward_items = NULL;
  g_autoptr(GPtrArray) totals = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = NULL;

  g_return_if_fail (TRB_IS_HISTORY_REWARDS (self));

  if ((reward_items = trb_history_list_reward_items (self->history, &error)) == NULL ||
      (totals = trb_history_list_totals (self->history, &error)) == NULL)
    {
      trb_window_report_problem (GTK_WIDGET (self), _("The rewards could not be read"), error);
      return;
    }
  summary = summary_fingerprint (self, reward_items, reconciled);
  if (g_strcmp0 (summary, self->summary_shown) != 0)
    {
      trb_history_clear_box (self->summary_box, self);
      trb_history_clear_box (self->reconcile_box, self);
      self->target = self->summary_box;
      add_rewards (self, records, totals);
      self->target = self->reconcile_box;
      add_reconciliation (self, reconciled);
      self->target = NULL;
      g_free (self->summary_shown);
      self->summary_shown = g_steal_pointer (&summary);
    }
  trb_history_item_update_store (self->rewards, reward_items);
  gtk_widget_set_visible (self->entries_group, records->len > 0);
}
