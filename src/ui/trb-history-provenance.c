/* trb-history-provenance.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The History area's provenance: for each task of each network, its model versions with a
 * chart of their accuracy, each version's proof under its details, and what a person can do
 * with a version (download it, evaluate it on their own data, nothing sent). Each task's group
 * is a list bound to a store of TrbHistoryItem that an update changes in place.
 */

#define G_LOG_DOMAIN "trb-history-provenance"

#include "config.h"

#include "trb-history-provenance.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "participant/trb-history-item.h"
#include "trb-chart.h"
#include "trb-i18n.h"
#include "trb-window.h"
#include "ui/trb-dataset-choices.h"
#include "ui/trb-history-format.h"

struct _TrbHistoryProvenance
{
  GtkBox        parent_instance;

  TrbHistory   *history;
  TrbStore     *store;        /* where the data sets to evaluate on are listed */
  GCancellable *cancellable;
  GCancellable *evaluating;   /* the evaluations under way; cancelled when the area is left */
  GHashTable   *groups;       /* "origin\ntask" → VersionGroup */
};

G_DEFINE_FINAL_TYPE (TrbHistoryProvenance, trb_history_provenance, GTK_TYPE_BOX)

/* Model versions shown at first in each task's list; "Show Older Versions" shows as many again. */
#define VERSIONS_SHOWN 20

/* The model versions of one task: a chart and a list bound to a store of items. */
typedef struct
{
  TrbHistoryProvenance *self;
  char                 *origin;
  char                 *task;
  GListStore           *store;
  GtkWidget            *group;
  GtkWidget            *chart;
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
  TrbHistoryProvenance *self;
  GtkWidget            *row;
  GFile                *file;
  char                 *origin;
  char                 *task;
  char                 *model;
  char                 *dataset;
  char                 *subtitle;
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
show_toast (TrbHistoryProvenance *self,
            const char           *title)
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
    trb_history_provenance_update (op->self);
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
  if (op->self->evaluating == NULL)
    op->self->evaluating = g_cancellable_new ();
  trb_history_evaluate_async (op->self->history, op->origin, op->task, op->model, path,
                              op->self->evaluating, evaluated_cb, op);
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
  TrbHistoryProvenance *self = TRB_HISTORY_PROVENANCE (user_data);
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
benefit_button (TrbHistoryProvenance *self,
                GtkWidget            *row,
                TrbHistoryItem       *item,
                gboolean             evaluate)
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
  g_autofree char *when = trb_history_format_when (v->time);
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
create_version_row (TrbHistoryProvenance *self,
                    TrbHistoryItem       *item)
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
  if (v->verified && v->recomputed)
    {
      /* Translators: two facts about a model version, joined. */
      g_autofree char *subtitle = g_strdup_printf (_("%s · %s"),
                                                   _("Verified in the network’s ledger"),
                                                   _("Recomputed on this computer"));

      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle);
    }
  else
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
  TrbHistoryProvenance *self = TRB_HISTORY_PROVENANCE (user_data);
  TrbEvaluationResult *result = g_object_get_data (G_OBJECT (button), "result");
  g_autoptr(GError) error = NULL;

  if (self->history == NULL)
    return;
  if (!trb_history_remove_evaluation (self->history, result->origin, result->model,
                                      result->dataset, &error))
    trb_window_report_problem (GTK_WIDGET (self), _("The result could not be removed"), error);
  trb_history_provenance_update (self);
}

static GtkWidget *
create_evaluation_row (TrbHistoryProvenance *self,
                       TrbHistoryItem       *item)
{
  TrbEvaluationResult *result = trb_history_item_get_data (item);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon = gtk_image_new_from_icon_name ("system-run-symbolic");
  GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_autofree char *accuracy = accuracy_text (result->accuracy);
  g_autofree char *when = trb_history_format_when (result->time);
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
ensure_group (TrbHistoryProvenance *self,
              const char           *origin,
              const char           *task)
{
  g_autofree char *key = g_strdup_printf ("%s\n%s", origin, task);
  VersionGroup *group = g_hash_table_lookup (self->groups, key);
  g_autofree char *title = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GtkSliceListModel) shown = NULL;
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
  /* A name that cannot be read now shows as the network's address. */
  name = trb_history_dup_network_name (self->history, origin, NULL);
  if (name == NULL)
    name = g_strdup (origin);
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
  /* The newest versions, more on request: a row costs much more than its entry. */
  shown = gtk_slice_list_model_new (G_LIST_MODEL (g_object_ref (group->store)), 0,
                                    VERSIONS_SHOWN);
  gtk_list_box_bind_model (GTK_LIST_BOX (list), G_LIST_MODEL (shown),
                           create_provenance_row, group, NULL);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group->group), list);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group->group),
                             trb_history_show_more_new (shown, _("Show _Older Versions")));
  g_signal_connect (group->store, "items-changed", G_CALLBACK (versions_changed_cb), group);
  update_chart (group);

  gtk_box_append (GTK_BOX (self), group->group);
  g_hash_table_insert (self->groups, g_steal_pointer (&key), group);
  return group;
}

static gboolean
update_provenance (TrbHistoryProvenance  *self,
                   const char            *origin,
                   GError               **error)
{
  g_autoptr(GPtrArray) versions = trb_history_list_versions (self->history, origin, NULL, error);
  const char *task = NULL;

  if (versions == NULL)
    return FALSE;
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
      items = trb_history_list_version_items (self->history, origin, task, error);
      if (items == NULL)
        return FALSE;
      trb_history_item_update_store (group->store, items);
    }
  return TRUE;
}

/* A network this computer no longer has a history of takes its groups with it. */
static void
remove_left_networks (TrbHistoryProvenance *self,
                      const char * const   *origins)
{
  GHashTableIter iter;
  VersionGroup *group;

  g_hash_table_iter_init (&iter, self->groups);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &group))
    if (!g_strv_contains (origins, group->origin))
      {
        gtk_box_remove (GTK_BOX (self), group->group);
        g_hash_table_iter_remove (&iter);
      }
}

/* An evaluation takes the processor for minutes: a person who leaves the area, closes the
 * window or quits no longer waits for it, so it stops (within a batch) and nothing is kept. */
static void
trb_history_provenance_unmap (GtkWidget *widget)
{
  TrbHistoryProvenance *self = TRB_HISTORY_PROVENANCE (widget);

  if (self->evaluating != NULL)
    {
      g_cancellable_cancel (self->evaluating);
      g_clear_object (&self->evaluating);
    }
  GTK_WIDGET_CLASS (trb_history_provenance_parent_class)->unmap (widget);
}

static void
trb_history_provenance_dispose (GObject *object)
{
  TrbHistoryProvenance *self = TRB_HISTORY_PROVENANCE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->evaluating != NULL)
    g_cancellable_cancel (self->evaluating);
  g_clear_object (&self->evaluating);
  g_clear_object (&self->history);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (trb_history_provenance_parent_class)->dispose (object);
}

static void
trb_history_provenance_finalize (GObject *object)
{
  TrbHistoryProvenance *self = TRB_HISTORY_PROVENANCE (object);

  /* The lists bound to the groups' stores are gone with the children by now. */
  g_clear_pointer (&self->groups, g_hash_table_unref);

  G_OBJECT_CLASS (trb_history_provenance_parent_class)->finalize (object);
}

static void
trb_history_provenance_class_init (TrbHistoryProvenanceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_history_provenance_dispose;
  object_class->finalize = trb_history_provenance_finalize;
  widget_class->unmap = trb_history_provenance_unmap;
}

static void
trb_history_provenance_init (TrbHistoryProvenance *self)
{
  self->cancellable = g_cancellable_new ();
  self->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) version_group_free);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 24);
}

/**
 * trb_history_provenance_new:
 * @history: the verified copies of the networks' ledgers
 * @store: the application's store, which lists the data sets to evaluate a version on
 *
 * Returns: (transfer floating): the provenance of @history's model versions, empty until
 *   trb_history_provenance_update()
 */
GtkWidget *
trb_history_provenance_new (TrbHistory *history,
                            TrbStore   *store)
{
  TrbHistoryProvenance *self = g_object_new (TRB_TYPE_HISTORY_PROVENANCE, NULL);

  g_return_val_if_fail (TRB_IS_HISTORY (history), NULL);
  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  self->history = g_object_ref (history);
  self->store = g_object_ref (store);
  return GTK_WIDGET (self);
}

/**
 * trb_history_provenance_update:
 * @self: the provenance
 *
 * Shows what the history holds now: each task's store is updated in place, so that a version
 * that did not change keeps its row, expanded or not; a network the history no longer has
 * takes its groups with it.
 */
void
trb_history_provenance_update (TrbHistoryProvenance *self)
{
  g_auto(GStrv) origins = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (TRB_IS_HISTORY_PROVENANCE (self));

  if (self->history == NULL)
    return;
  origins = trb_history_list_origins (self->history, &error);
  for (guint i = 0; origins != NULL && origins[i] != NULL && error == NULL; i++)
    update_provenance (self, origins[i], &error);
  /* What is shown stays as it was; the toast says it may be out of date. */
  if (error != NULL)
    {
      trb_window_report_problem (GTK_WIDGET (self), _("The model versions could not be read"),
                                 error);
      return;
    }
  remove_left_networks (self, (const char * const *) origins);
}
