/* trb-join-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A network's page in plain words (who runs it, what it trains, what data it needs, rewards,
 * privacy, what leaves this computer and about how much per round, its key's fingerprint) with
 * the choice of wallet and data, and Join. For the demo network the defaults are ready, so that
 * joining is one click on "Join the Demo Network" and one on "Join".
 */

#define G_LOG_DOMAIN "trb-join-dialog"

#include "config.h"

#include "trb-join-dialog.h"

#include <glib/gi18n.h>

#include "compute/trb-model-spec.h"
#include "datasets/trb-dataset-registry.h"
#include "ui/trb-dataset-choices.h"
#include "ui/trb-text-row.h"
#include "net/trb-client.h"
#include "participant/trb-invite.h"
#include "participant/trb-participation-manager.h"
#include "participant/trb-network-summary.h"
#include "trb-application.h"
#include "ui/trb-error-area.h"
#include "ui/trb-window.h"
#include "wallet/trb-bip39.h"
#include "trb-json.h"

struct _TrbJoinDialog
{
  AdwMessageDialog  parent_instance;

  GCancellable     *cancellable;
  char             *url;
  gboolean          demo;
  TrbClient        *client;
  GtkWindow        *parent;
  gboolean          joining;
  gboolean          retry;      /* "Join" reads "Try Again": the page could not be read */

  GtkBox           *box;
  AdwPreferencesGroup *about;
  GListStore       *facts;      /* TrbTextItem, shown in about */
  TrbErrorArea     *error_area;
  AdwComboRow      *wallet_row;
  AdwComboRow      *dataset_row;
  AdwPreferencesGroup *invitation_group;
  AdwEntryRow      *invitation_row;
  gboolean          needs_invitation;
  GtkSpinner       *spinner;
  GPtrArray        *dataset_paths;
  GPtrArray        *wallet_list;
  TrbModelSpec     *spec;       /* the task's model, to check the chosen data against */
};

G_DEFINE_FINAL_TYPE (TrbJoinDialog, trb_join_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
trb_join_dialog_dispose (GObject *object)
{
  TrbJoinDialog *self = TRB_JOIN_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_pointer (&self->dataset_paths, g_ptr_array_unref);
  g_clear_pointer (&self->wallet_list, g_ptr_array_unref);
  g_clear_object (&self->spec);
  g_clear_object (&self->facts);
  G_OBJECT_CLASS (trb_join_dialog_parent_class)->dispose (object);
}

static void
trb_join_dialog_finalize (GObject *object)
{
  g_free (TRB_JOIN_DIALOG (object)->url);
  G_OBJECT_CLASS (trb_join_dialog_parent_class)->finalize (object);
}

static void
trb_join_dialog_class_init (TrbJoinDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = trb_join_dialog_dispose;
  G_OBJECT_CLASS (klass)->finalize = trb_join_dialog_finalize;
}

static void
trb_join_dialog_init (TrbJoinDialog *self)
{
  self->cancellable = g_cancellable_new ();
  self->dataset_paths = g_ptr_array_new_with_free_func (g_free);
  self->wallet_list = g_ptr_array_new_with_free_func (g_object_unref);
  self->facts = g_list_store_new (TRB_TYPE_TEXT_ITEM);
}

/**
 * trb_join_dialog_parse_invite:
 * @text: an invite link or a network's address
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the network's address
 */
char *
trb_join_dialog_parse_invite (const char  *text,
                              GError     **error)
{
  return trb_invite_parse (text, error);
}

/* What the network says about itself, one fact a row: the value is what matters. */
static GtkWidget *
create_fact_row (gpointer item,
                 gpointer user_data)
{
  GtkWidget *row = trb_text_row_new (TRB_TEXT_ITEM (item));

  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  gtk_widget_add_css_class (row, "property");
  return row;
}

static void
add_info_row (TrbJoinDialog *self,
              const char    *title,
              const char    *value)
{
  g_autoptr(TrbTextItem) fact = trb_text_item_new (title, value, NULL);

  g_list_store_append (self->facts, fact);
}

static void
show_error (TrbJoinDialog *self,
            const char    *message)
{
  if (self->joining)
    {
      self->joining = FALSE;
      adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "join", TRUE);
    }
  gtk_spinner_stop (self->spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), message);
}

/* A problem while joining: told in plain words in the dialog, whose choices stay as they were. */
static void
show_join_error (TrbJoinDialog *self,
                 const GError  *error)
{
  show_error (self, "");
  trb_error_area_show_error (self->error_area, error);
  /* A refused invitation code (the words come from the contributor): the code is what to fix. */
  if (self->needs_invitation &&
      trb_client_error_get_problem (error) != NULL &&
      g_str_has_prefix (trb_client_error_get_problem (error), "invitation-"))
    gtk_widget_grab_focus (GTK_WIDGET (self->invitation_row));
}

static const char *
invitation_code (TrbJoinDialog *self)
{
  return self->needs_invitation ? gtk_editable_get_text (GTK_EDITABLE (self->invitation_row))
                                : NULL;
}

/* A network that accepts participants by invitation only says so in GET /v1/network; the
 * code is then asked for among the choices. */
static void
show_join_policy (TrbJoinDialog *self,
                  JsonObject    *network)
{
  JsonNode *join = json_object_get_member (network, "join");
  const char *policy = NULL;

  if (join != NULL && JSON_NODE_HOLDS_OBJECT (join))
    policy = trb_json_get_string (json_node_get_object (join), "policy", NULL);
  self->needs_invitation = g_strcmp0 (policy, "invitation") == 0;
  gtk_widget_set_visible (GTK_WIDGET (self->invitation_group), self->needs_invitation);
}

/* The network's page could not be read: say why, and offer to read it again. */
static void
show_load_error (TrbJoinDialog *self,
                 const GError  *error)
{
  show_error (self, "");
  trb_error_area_show_error (self->error_area, error);
  self->retry = TRUE;
  adw_message_dialog_set_response_label (ADW_MESSAGE_DIALOG (self), "join", _("_Try Again"));
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "join", TRUE);
}

static void
task_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  TrbJoinDialog *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) task = trb_client_json_finish (TRB_CLIENT (source), result, &error);
  g_autofree char *data_text = NULL;
  g_autofree char *rewards = NULL;
  g_autofree char *leaves = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (task == NULL)
    {
      show_load_error (self, error);
      g_object_unref (self);
      return;
    }

  g_set_object (&self->spec, trb_network_summary_dup_spec (task));
  add_info_row (self, _("What it trains"),
                trb_json_get_string (task, "title", _("Not described")));
  data_text = trb_network_summary_dup_data (task);
  add_info_row (self, _("What data it needs"), data_text);
  rewards = trb_network_summary_dup_rewards (task);
  add_info_row (self, _("Rewards"), rewards);
  add_info_row (self, _("Privacy"), trb_network_summary_get_privacy (task));
  leaves = trb_network_summary_dup_leaves (task);
  add_info_row (self, _("What leaves this computer"), leaves);

  gtk_spinner_stop (self->spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->about), TRUE);
  /* Nothing usable on disk (the demo pictures missing, nothing added): no Join that would fail. */
  if (self->dataset_paths->len == 0)
    trb_error_area_show_message (self->error_area,
                                 _("There is no data on this computer to learn from yet. Add a "
                                   "dataset in the Datasets area, then join."), NULL);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "join",
                                           self->dataset_paths->len > 0);
  g_object_unref (self);
}

static void
network_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  TrbJoinDialog *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) network = trb_client_json_finish (TRB_CLIENT (source), result, &error);
  g_autofree char *fingerprint = NULL;
  g_autofree char *grouped = NULL;
  const char *key;
  JsonNode *tasks;
  GString *text;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (network == NULL)
    {
      show_load_error (self, error);
      g_object_unref (self);
      return;
    }
  adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self),
                                  trb_json_get_string (network, "name", _("A Network")));
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self),
                               self->demo
                                 ? _("A small network on this computer, to try Tributary out. "
                                     "It learns to recognise clothing in pictures.")
                                 : "");
  add_info_row (self, _("Who runs it"),
                trb_json_get_string (network, "origin", "?"));
  show_join_policy (self, network);

  key = trb_json_get_string (network, "ledger_key", "");
  fingerprint = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  text = g_string_new (NULL);
  for (guint i = 0; i < 32; i += 4)
    {
      if (i > 0)
        g_string_append_c (text, ' ');
      g_string_append_len (text, fingerprint + i, 4);
    }
  grouped = g_string_free (text, FALSE);
  add_info_row (self, _("Network key fingerprint"), grouped);

  tasks = json_object_get_member (network, "tasks");
  if (tasks == NULL || !JSON_NODE_HOLDS_ARRAY (tasks) ||
      json_array_get_length (json_node_get_array (tasks)) == 0)
    {
      show_error (self, _("This network has nothing to train yet."));
      g_object_unref (self);
      return;
    }
  trb_client_get_task_async (self->client,
                             json_array_get_string_element (json_node_get_array (tasks), 0),
                             self->cancellable, task_cb, self);
}

static void
load_network (TrbJoinDialog *self)
{
  g_clear_object (&self->client);
  self->client = trb_client_new (self->url);
  /* A person is waiting: a dead address is reported within 10 s, with Try Again. */
  trb_client_set_interactive (self->client);
  trb_client_get_network_async (self->client, self->cancellable, network_cb,
                                g_object_ref (self));
}

static void
demo_started_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TrbJoinDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  g_free (self->url);
  self->url = trb_demo_node_start_finish (TRB_DEMO_NODE (source), result, &error);
  if (self->url == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_load_error (self, error);
      return;
    }
  load_network (self);
}

/* ---- joining ------------------------------------------------------------------------------ */

static void
joined_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TrbJoinDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbParticipation) p = NULL;
  g_autofree char *title = NULL;

  p = trb_participation_manager_join_finish (TRB_PARTICIPATION_MANAGER (source), result, &error);
  if (p == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_join_error (self, error);
      return;
    }
  if (TRB_IS_WINDOW (self->parent))
    {
      title = g_strdup_printf (_("Joined “%s”"), trb_participation_manager_get_name (
                                 TRB_PARTICIPATION_MANAGER (source), p));
      trb_window_add_toast (TRB_WINDOW (self->parent), adw_toast_new (title));
      trb_window_show_area (TRB_WINDOW (self->parent), "activity");
    }
  self->joining = FALSE;
  gtk_window_destroy (GTK_WINDOW (self));
}

typedef struct
{
  TrbJoinDialog *dialog;
  TrbWallet     *wallet;
  char          *path;
} JoinStep;

static void
join_step_free (JoinStep *step)
{
  g_object_unref (step->dialog);
  g_object_unref (step->wallet);
  g_free (step->path);
  g_free (step);
}

static void
data_checked_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  JoinStep *step = user_data;
  TrbJoinDialog *self = step->dialog;
  g_autoptr(GError) error = NULL;
  TrbApplication *app = TRB_APPLICATION (g_application_get_default ());

  if (!trb_participation_check_dataset_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          show_error (self, "");
          trb_error_area_show_message (self->error_area, error->message, NULL);
        }
      join_step_free (step);
      return;
    }
  trb_participation_manager_join_with_invitation_async (trb_application_get_participations (app),
                                                        self->url, step->wallet, step->path,
                                                        invitation_code (self),
                                                        self->cancellable, joined_cb,
                                                        g_object_ref (self));
  join_step_free (step);
}

static void
join_with_wallet (TrbJoinDialog *self,
                  TrbWallet     *wallet)
{
  TrbApplication *app = TRB_APPLICATION (g_application_get_default ());
  guint dataset = adw_combo_row_get_selected (self->dataset_row);

  if (dataset >= self->dataset_paths->len)
    {
      self->joining = FALSE;
      trb_error_area_show_message (self->error_area,
                                   _("Pick the data to learn from, then join."), NULL);
      adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "join", TRUE);
      return;
    }

  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), _("Joining…"));
  if (self->spec == NULL)
    {
      trb_participation_manager_join_with_invitation_async (
        trb_application_get_participations (app), self->url, wallet,
        g_ptr_array_index (self->dataset_paths, dataset), invitation_code (self),
        self->cancellable, joined_cb, g_object_ref (self));
      return;
    }
  /* The same check as when a joined network's data is changed on its page: nothing is joined
   * with data the network cannot learn from. */
  {
    JoinStep *step = g_new0 (JoinStep, 1);

    step->dialog = g_object_ref (self);
    step->wallet = g_object_ref (wallet);
    step->path = g_strdup (g_ptr_array_index (self->dataset_paths, dataset));
    trb_participation_check_dataset_async (step->path, self->spec, self->cancellable,
                                           data_checked_cb, step);
  }
}

static void
wallet_created_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TrbJoinDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbWallet) wallet = NULL;

  wallet = trb_wallet_manager_create_finish (TRB_WALLET_MANAGER (source), result, &error);
  if (wallet == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_join_error (self, error);
      return;
    }
  trb_wallet_manager_set_default (TRB_WALLET_MANAGER (source), wallet, NULL);
  join_with_wallet (self, wallet);
}

static void
start_loading (TrbJoinDialog *self);

/* Try Again: read the network's page afresh, in a dialog that stays open. */
static void
reload (TrbJoinDialog *self)
{
  self->retry = FALSE;
  adw_message_dialog_set_response_label (ADW_MESSAGE_DIALOG (self), "join", _("_Join"));
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "join", FALSE);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self),
                               _("Reading what the network says about itself…"));
  g_list_store_remove_all (self->facts);
  gtk_widget_set_visible (GTK_WIDGET (self->about), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), TRUE);
  gtk_spinner_start (self->spinner);
  start_loading (self);
}

static void
response_cb (TrbJoinDialog *self,
             const char    *response)
{
  TrbApplication *app = TRB_APPLICATION (g_application_get_default ());
  TrbWalletManager *wallets = trb_application_get_wallets (app);
  guint chosen = adw_combo_row_get_selected (self->wallet_row);
  g_autofree char *code = g_strdup (invitation_code (self));

  if (!g_str_equal (response, "join"))
    {
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }

  trb_error_area_clear (self->error_area);
  if (self->retry)
    {
      reload (self);
      return;
    }

  if (self->needs_invitation && *g_strstrip (code) == '\0')
    {
      trb_error_area_show_message (self->error_area,
                                   _("Type the invitation code you were given, then join."),
                                   NULL);
      gtk_widget_grab_focus (GTK_WIDGET (self->invitation_row));
      return;
    }

  /* Keep the dialog open while joining: the result or the problem shows there. */
  self->joining = TRUE;
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "join", FALSE);
  if (chosen < self->wallet_list->len)
    join_with_wallet (self, g_ptr_array_index (self->wallet_list, chosen));
  else
    {
      g_autofree char *label = trb_wallet_manager_suggest_label (wallets);

      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), _("Creating a wallet…"));
      trb_wallet_manager_create_async (wallets, label, TRB_BIP39_DEFAULT_WORDS,
                                       self->cancellable, wallet_created_cb,
                                       g_object_ref (self));
    }
}

/* AdwMessageDialog closes itself before it says which response was chosen, so closing is left
 * to response_cb(), which knows: Join and Try Again keep the dialog, where the result or the
 * problem then shows, and any other answer (Cancel, Escape) closes it. Connected after the
 * class handler, which turns Escape into the "cancel" response. */
static gboolean
close_request_cb (TrbJoinDialog *self)
{
  return TRUE;
}

static void
fill_choices (TrbJoinDialog *self)
{
  TrbApplication *app = TRB_APPLICATION (g_application_get_default ());
  TrbWalletManager *wallets = trb_application_get_wallets (app);
  g_autoptr(GtkStringList) wallet_names = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) dataset_names = gtk_string_list_new (NULL);
  TrbWallet *preferred = wallets != NULL ? trb_wallet_manager_get_default (wallets) : NULL;
  guint selected = 0;

  if (wallets != NULL)
    {
      GListModel *list = trb_wallet_manager_get_wallets (wallets);

      for (guint i = 0; i < g_list_model_get_n_items (list); i++)
        {
          TrbWallet *wallet = g_list_model_get_item (list, i);

          if (wallet == preferred)
            selected = i;
          gtk_string_list_append (wallet_names, trb_wallet_get_label (wallet));
          g_ptr_array_add (self->wallet_list, wallet);
        }
    }
  gtk_string_list_append (wallet_names, _("A new wallet, created for you"));
  adw_combo_row_set_model (self->wallet_row, G_LIST_MODEL (wallet_names));
  adw_combo_row_set_selected (self->wallet_row, selected);

  trb_dataset_choices_fill (trb_application_get_store (app), dataset_names, self->dataset_paths);
  adw_combo_row_set_model (self->dataset_row, G_LIST_MODEL (dataset_names));
}

/**
 * trb_join_dialog_present:
 * @parent: the main window
 * @url: (nullable): the network's address; %NULL for the built-in demo network
 *
 * Shows a network's page with Join.
 */
void
trb_join_dialog_present (GtkWindow  *parent,
                         const char *url)
{
  TrbApplication *app = TRB_APPLICATION (g_application_get_default ());
  TrbJoinDialog *self;
  GtkWidget *box, *choices, *scrolled, *facts;
  int width = 480;

  /* Room for the network's description, but never wider than the window it comes from: a
   * message dialog keeps its default width, and would not fit a phone's screen. */
  if (parent != NULL && gtk_widget_get_width (GTK_WIDGET (parent)) > 0)
    width = MIN (width, gtk_widget_get_width (GTK_WIDGET (parent)));
  self = g_object_new (TRB_TYPE_JOIN_DIALOG, "transient-for", parent, "modal", TRUE,
                       "heading", url == NULL ? _("Demo Network") : _("Network"),
                       "body", _("Reading what the network says about itself…"),
                       "default-width", width, NULL);
  self->parent = parent;
  self->demo = url == NULL;
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (self), "cancel", _("_Cancel"),
                                    "join", _("_Join"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self), "join",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (self), "join");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (self), "cancel");
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "join", FALSE);
  g_signal_connect (self, "response", G_CALLBACK (response_cb), NULL);
  g_signal_connect_after (self, "close-request", G_CALLBACK (close_request_cb), NULL);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  self->box = GTK_BOX (box);
  self->spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_spinner_start (self->spinner);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->spinner));
  self->error_area = TRB_ERROR_AREA (trb_error_area_new ());
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->error_area));
  /* First, under the problems, as it is the one thing to type: shown for a network that
   * accepts participants by invitation only. */
  self->invitation_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->invitation_group, _("Invitation"));
  adw_preferences_group_set_description (self->invitation_group,
                                         _("This network accepts new participants by invitation "
                                           "only. Type the invitation code that the person who "
                                           "runs it gave you."));
  self->invitation_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->invitation_row),
                                 _("Invitation code"));
  adw_preferences_group_add (self->invitation_group, GTK_WIDGET (self->invitation_row));
  gtk_widget_set_visible (GTK_WIDGET (self->invitation_group), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->invitation_group));
  self->about = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  gtk_widget_set_visible (GTK_WIDGET (self->about), FALSE);
  facts = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (facts), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (facts, "boxed-list");
  gtk_list_box_bind_model (GTK_LIST_BOX (facts), G_LIST_MODEL (self->facts), create_fact_row,
                           NULL, NULL);
  adw_preferences_group_add (self->about, facts);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->about));

  choices = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (choices), _("Your Choices"));
  self->wallet_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->wallet_row),
                                 _("Wallet for rewards"));
  self->dataset_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->dataset_row), _("Data to learn from"));
  /* The choices under the titles, wrapped: beside them, libadwaita 1.2 cuts them off at 20
   * letters ("A new wallet, created…"). */
  adw_combo_row_set_use_subtitle (self->wallet_row, TRUE);
  adw_combo_row_set_use_subtitle (self->dataset_row, TRUE);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (choices), GTK_WIDGET (self->wallet_row));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (choices), GTK_WIDGET (self->dataset_row));
  gtk_box_append (GTK_BOX (box), choices);

  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), 360);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 480);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), box);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self), scrolled);

  fill_choices (self);
  gtk_window_present (GTK_WINDOW (self));

  if (trb_application_get_participations (app) == NULL)
    {
      show_error (self, _("Taking part in networks is not possible: the local store could not "
                          "be opened."));
      return;
    }
  self->url = g_strdup (url);
  start_loading (self);
}

static void
start_loading (TrbJoinDialog *self)
{
  TrbApplication *app = TRB_APPLICATION (g_application_get_default ());

  if (!self->demo)
    load_network (self);
  else
    trb_demo_node_start_async (trb_application_get_demo_node (app), self->cancellable,
                               demo_started_cb, g_object_ref (self));
}
