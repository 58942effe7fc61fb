/* trb-wallet-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Wallet area: the chosen wallet's address with a copy button and a QR code, a gentle
 * banner until it is backed up, the list of wallets, and the create, import, back up, rename and
 * remove flows. Keyring work goes through TrbWalletManager, asynchronously.
 */

#define G_LOG_DOMAIN "trb-wallet-page"

#include "config.h"

#include "trb-wallet-page.h"

#include <glib/gi18n.h>

#include "trb-application.h"
#include "trb-window.h"
#include "ui/trb-qr-texture.h"
#include "ui/trb-wallet-row.h"
#include "wallet/trb-bip39.h"
#include "wallet/trb-wallet-error.h"
#include "wallet/trb-wallet-manager.h"

struct _TrbWalletPage
{
  AdwBin            parent_instance;

  GtkStack         *stack;
  GtkRevealer      *backup_revealer;
  AdwPreferencesGroup *wallet_group;
  GtkLabel         *address_label;
  AdwActionRow     *backup_row;
  GtkPicture       *qr_picture;
  GtkListBox       *wallet_list;

  TrbWalletManager *manager;
  TrbWallet        *shown;
  GCancellable     *cancellable;

  /* The backup flow: the phrase while it is shown or checked, and the words asked for. */
  TrbSecret        *backup_phrase;
  guint             backup_positions[TRB_WALLET_BACKUP_CHECKS];
  AdwEntryRow      *backup_entries[TRB_WALLET_BACKUP_CHECKS];
  AdwMessageDialog *backup_dialog;
};

G_DEFINE_FINAL_TYPE (TrbWalletPage, trb_wallet_page, ADW_TYPE_BIN)

static void update (TrbWalletPage *self);

static GtkWindow *
get_window (TrbWalletPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
show_toast (TrbWalletPage *self,
            const char    *title)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), TRB_TYPE_WINDOW);

  if (window != NULL)
    trb_window_add_toast (TRB_WINDOW (window), adw_toast_new (title));
}

static AdwMessageDialog *
new_dialog (TrbWalletPage *self,
            const char    *heading,
            const char    *body)
{
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (get_window (self), heading, body));
  return dialog;
}

static void
error_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   TrbWalletPage    *self)
{
  const char *retry = g_object_get_data (G_OBJECT (dialog), "retry-action");

  if (g_str_equal (response, "retry") && retry != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), retry, NULL);
}

/* Shows what went wrong in plain words; keyring problems offer to try again. */
static void
show_error (TrbWalletPage *self,
            const char    *heading,
            const GError  *error,
            const char    *retry_action)
{
  AdwMessageDialog *dialog;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  dialog = new_dialog (self, heading, error->message);
  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  if (retry_action != NULL)
    {
      adw_message_dialog_add_response (dialog, "retry", _("_Try Again"));
      adw_message_dialog_set_response_appearance (dialog, "retry", ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (dialog, "retry");
      g_object_set_data_full (G_OBJECT (dialog), "retry-action", g_strdup (retry_action),
                              g_free);
    }
  g_signal_connect_object (dialog, "response", G_CALLBACK (error_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Showing the wallets ------------------------------------------------------------------- */

static void
wallet_row_activated_cb (GtkListBox    *list,
                         GtkListBoxRow *row,
                         TrbWalletPage *self)
{
  TrbWallet *wallet = trb_wallet_row_get_wallet (TRB_WALLET_ROW (row));
  g_autoptr(GError) error = NULL;

  /* The rows follow their wallet's "is-default"; the rest of the page is updated here. */
  if (!trb_wallet_manager_set_default (self->manager, wallet, &error))
    show_error (self, _("Could Not Choose This Wallet"), error, NULL);
  update (self);
}

static GtkWidget *
create_wallet_row (gpointer item,
                   gpointer user_data)
{
  return trb_wallet_row_new (item);
}

static void
update (TrbWalletPage *self)
{
  TrbWallet *shown;
  g_autoptr(GdkTexture) texture = NULL;
  gboolean backed_up;

  if (self->manager == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  shown = trb_wallet_manager_get_default (self->manager);
  g_set_object (&self->shown, shown);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wallet.copy-address", shown != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wallet.back-up", shown != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wallet.rename", shown != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wallet.remove", shown != NULL);

  if (shown == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  adw_preferences_group_set_title (self->wallet_group, trb_wallet_get_label (shown));
  gtk_label_set_text (self->address_label, trb_wallet_get_address (shown));

  backed_up = trb_wallet_get_backed_up (shown);
  gtk_revealer_set_reveal_child (self->backup_revealer, !backed_up);
  adw_action_row_set_subtitle (self->backup_row,
                               backed_up ? _("Backed up: you wrote down its backup phrase")
                                         : _("Not backed up yet"));

  texture = trb_qr_texture_new (trb_wallet_get_address (shown));
  gtk_picture_set_paintable (self->qr_picture, GDK_PAINTABLE (texture));
  gtk_picture_set_alternative_text (self->qr_picture, trb_wallet_get_address (shown));

  gtk_stack_set_visible_child_name (self->stack, "wallet");
}

static void
wallets_changed_cb (GListModel    *model,
                    guint          position,
                    guint          removed,
                    guint          added,
                    TrbWalletPage *self)
{
  update (self);
}

/* Create and import --------------------------------------------------------------------- */

static void
wallet_added_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TrbWalletPage) self = user_data;
  g_autoptr(TrbWallet) wallet = NULL;
  g_autoptr(GError) error = NULL;
  gboolean imported = g_task_get_source_tag (G_TASK (result)) == trb_wallet_manager_import_async;
  g_autofree char *title = NULL;

  if (imported)
    wallet = trb_wallet_manager_import_finish (self->manager, result, &error);
  else
    wallet = trb_wallet_manager_create_finish (self->manager, result, &error);
  if (wallet == NULL)
    {
      if (imported)
        show_error (self, _("This Wallet Could Not Be Imported"), error, "wallet.import");
      else
        show_error (self, _("The Wallet Could Not Be Created"), error, "wallet.create");
      return;
    }

  /* Show the wallet just added. */
  trb_wallet_manager_set_default (self->manager, wallet, NULL);
  if (imported)
    trb_wallet_manager_mark_backed_up (self->manager, wallet, NULL);
  update (self);

  title = g_strdup_printf (imported ? _("Imported “%s”") : _("Created “%s”"),
                           trb_wallet_get_label (wallet));
  show_toast (self, title);
}

static void
label_changed_cb (GtkEditable      *editable,
                  AdwMessageDialog *dialog)
{
  TrbWalletPage *self = g_object_get_data (G_OBJECT (dialog), "page");
  TrbWallet *except = g_object_get_data (G_OBJECT (dialog), "wallet");
  const char *response = g_object_get_data (G_OBJECT (dialog), "label-response");
  gboolean ok;

  ok = trb_wallet_manager_check_label (self->manager, gtk_editable_get_text (editable), except,
                                       NULL);
  adw_message_dialog_set_response_enabled (dialog, response, ok);
  if (ok)
    gtk_widget_remove_css_class (GTK_WIDGET (editable), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (editable), "error");
}

static GtkWidget *
add_label_entry (TrbWalletPage    *self,
                 AdwMessageDialog *dialog,
                 GtkWidget        *list,
                 const char       *response,
                 const char       *initial)
{
  GtkWidget *entry = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (entry), _("Name"));
  gtk_editable_set_text (GTK_EDITABLE (entry), initial);
  g_object_set_data (G_OBJECT (dialog), "page", self);
  g_object_set_data (G_OBJECT (dialog), "label-response", (gpointer)response);
  g_signal_connect_object (entry, "changed", G_CALLBACK (label_changed_cb), dialog, 0);
  gtk_list_box_append (GTK_LIST_BOX (list), entry);
  return entry;
}

static GtkWidget *
new_boxed_list (void)
{
  GtkWidget *list = gtk_list_box_new ();

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  return list;
}

static void
create_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    TrbWalletPage    *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");

  if (!g_str_equal (response, "create"))
    return;
  trb_wallet_manager_create_async (self->manager, gtk_editable_get_text (entry),
                                   TRB_BIP39_DEFAULT_WORDS, self->cancellable, wallet_added_cb,
                                   g_object_ref (self));
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TrbWalletPage *self = TRB_WALLET_PAGE (widget);
  AdwMessageDialog *dialog;
  g_autofree char *suggestion = NULL;
  GtkWidget *list = new_boxed_list ();
  GtkWidget *entry;

  if (self->manager == NULL)
    return;

  dialog = new_dialog (self, _("Create Wallet"),
                       _("A new wallet gets a backup phrase of 24 words. Its key stays in your "
                         "keyring; back it up afterwards to keep your rewards safe."));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "create", _("C_reate"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "create", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "create");
  adw_message_dialog_set_close_response (dialog, "cancel");

  suggestion = trb_wallet_manager_suggest_label (self->manager);
  entry = add_label_entry (self, dialog, list, "create", suggestion);
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  adw_message_dialog_set_extra_child (dialog, list);
  g_signal_connect_object (dialog, "response", G_CALLBACK (create_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
phrase_changed_cb (GtkEditable      *editable,
                   AdwMessageDialog *dialog)
{
  adw_message_dialog_set_response_enabled (dialog, "import",
                                           *gtk_editable_get_text (editable) != '\0');
}

static void
import_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    TrbWalletPage    *self)
{
  GtkEditable *label = g_object_get_data (G_OBJECT (dialog), "entry");
  GtkEditable *phrase = g_object_get_data (G_OBJECT (dialog), "phrase");
  GtkEditable *passphrase = g_object_get_data (G_OBJECT (dialog), "passphrase");

  if (g_str_equal (response, "import"))
    trb_wallet_manager_import_async (self->manager, gtk_editable_get_text (label),
                                     gtk_editable_get_text (phrase),
                                     gtk_editable_get_text (passphrase), self->cancellable,
                                     wallet_added_cb, g_object_ref (self));
  /* The manager copied the phrase into locked memory; do not keep it in the entries. */
  gtk_editable_set_text (phrase, "");
  gtk_editable_set_text (passphrase, "");
}

static void
import_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TrbWalletPage *self = TRB_WALLET_PAGE (widget);
  AdwMessageDialog *dialog;
  g_autofree char *suggestion = NULL;
  GtkWidget *list = new_boxed_list ();
  GtkWidget *entry, *phrase, *passphrase;

  if (self->manager == NULL)
    return;

  dialog = new_dialog (self, _("Import a Wallet"),
                       _("Type the backup phrase of a wallet you already have, word by word, "
                         "separated by spaces. The same phrase shows the same address in common "
                         "Solana wallets."));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "import", _("_Import"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "import", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (dialog, "import", FALSE);
  adw_message_dialog_set_close_response (dialog, "cancel");

  suggestion = trb_wallet_manager_suggest_label (self->manager);
  entry = add_label_entry (self, dialog, list, "import", suggestion);
  g_object_set_data (G_OBJECT (dialog), "entry", entry);

  phrase = adw_password_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (phrase), _("Backup Phrase"));
  g_signal_connect_object (phrase, "changed", G_CALLBACK (phrase_changed_cb), dialog, 0);
  gtk_list_box_append (GTK_LIST_BOX (list), phrase);
  g_object_set_data (G_OBJECT (dialog), "phrase", phrase);

  passphrase = adw_password_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (passphrase),
                                 _("Passphrase (only if the wallet has one)"));
  gtk_list_box_append (GTK_LIST_BOX (list), passphrase);
  g_object_set_data (G_OBJECT (dialog), "passphrase", passphrase);

  adw_message_dialog_set_extra_child (dialog, list);
  g_signal_connect_object (dialog, "response", G_CALLBACK (import_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Copy ---------------------------------------------------------------------------------- */

static void
copy_address_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  TrbWalletPage *self = TRB_WALLET_PAGE (widget);

  if (self->shown == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), trb_wallet_get_address (self->shown));
  show_toast (self, _("Address copied"));
}

/* Back up ------------------------------------------------------------------------------- */

static void
clear_backup (TrbWalletPage *self)
{
  g_clear_pointer (&self->backup_phrase, trb_secret_free);
  for (guint i = 0; i < TRB_WALLET_BACKUP_CHECKS; i++)
    self->backup_entries[i] = NULL;
  self->backup_dialog = NULL;
}

static void
check_word_changed_cb (GtkEditable   *editable,
                       TrbWalletPage *self)
{
  gboolean all = TRUE;

  if (self->backup_phrase == NULL || self->backup_dialog == NULL)
    return;
  for (guint i = 0; i < TRB_WALLET_BACKUP_CHECKS; i++)
    {
      GtkEditable *entry = GTK_EDITABLE (self->backup_entries[i]);

      all &= trb_wallet_backup_check_word (self->backup_phrase, self->backup_positions[i],
                                           gtk_editable_get_text (entry));
    }
  adw_message_dialog_set_response_enabled (self->backup_dialog, "confirm", all);
}

static void
check_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   TrbWalletPage    *self)
{
  g_autoptr(GError) error = NULL;

  if (g_str_equal (response, "confirm") && self->shown != NULL)
    {
      if (!trb_wallet_manager_mark_backed_up (self->manager, self->shown, &error))
        show_error (self, _("Could Not Save the Backup State"), error, NULL);
      else
        show_toast (self, _("Wallet backed up"));
      update (self);
    }
  clear_backup (self);
}

static void
show_check_dialog (TrbWalletPage *self)
{
  AdwMessageDialog *dialog;
  GtkWidget *list = new_boxed_list ();
  guint n_words = trb_bip39_count_words (trb_secret_get_string (self->backup_phrase));

  dialog = new_dialog (self, _("Check Your Backup"),
                       _("Type these words from your backup phrase, as you wrote them down."));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "confirm", _("C_onfirm"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "confirm", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (dialog, "confirm", FALSE);
  adw_message_dialog_set_close_response (dialog, "cancel");

  trb_wallet_backup_pick_positions (n_words, self->backup_positions);
  for (guint i = 0; i < TRB_WALLET_BACKUP_CHECKS; i++)
    {
      GtkWidget *entry = adw_entry_row_new ();
      /* Translators: %u is the position of a word in the backup phrase */
      g_autofree char *title = g_strdup_printf (_("Word %u"), self->backup_positions[i] + 1);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (entry), title);
      g_signal_connect_object (entry, "changed", G_CALLBACK (check_word_changed_cb), self, 0);
      gtk_list_box_append (GTK_LIST_BOX (list), entry);
      self->backup_entries[i] = ADW_ENTRY_ROW (entry);
    }
  self->backup_dialog = dialog;
  adw_message_dialog_set_extra_child (dialog, list);
  g_signal_connect_object (dialog, "response", G_CALLBACK (check_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
words_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   TrbWalletPage    *self)
{
  if (g_str_equal (response, "written"))
    show_check_dialog (self);
  else
    clear_backup (self);
}

static void
phrase_revealed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TrbWalletPage) self = user_data;
  g_autoptr(GError) error = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *grid;
  guint n_words;

  clear_backup (self);
  self->backup_phrase = trb_wallet_manager_reveal_phrase_finish (self->manager, result, &error);
  if (self->backup_phrase == NULL)
    {
      show_error (self, _("The Backup Phrase Could Not Be Read"), error, "wallet.back-up");
      return;
    }

  dialog = new_dialog (self, _("Write Down These Words"),
                       _("Write them on paper, in this order, and keep the paper somewhere safe. "
                         "Anyone with these words can use this wallet; do not photograph or "
                         "share them."));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"),
                                    "written", _("I _Wrote Them Down"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "written", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (dialog, "cancel");

  grid = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (grid), 18);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_widget_set_halign (grid, GTK_ALIGN_CENTER);
  n_words = trb_bip39_count_words (trb_secret_get_string (self->backup_phrase));
  for (guint i = 0; i < n_words; i++)
    {
      g_autoptr(TrbSecret) word = trb_bip39_get_word (trb_secret_get_string (self->backup_phrase),
                                                      i);
      g_autofree char *text = g_strdup_printf ("%u. %s", i + 1, trb_secret_get_string (word));
      GtkWidget *label = gtk_label_new (text);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_add_css_class (label, "monospace");
      gtk_grid_attach (GTK_GRID (grid), label, i / ((n_words + 2) / 3), i % ((n_words + 2) / 3),
                       1, 1);
      memset (text, 0, strlen (text));
    }
  adw_message_dialog_set_extra_child (dialog, grid);
  g_signal_connect_object (dialog, "response", G_CALLBACK (words_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
confirm_backup_response_cb (AdwMessageDialog *dialog,
                            const char       *response,
                            TrbWalletPage    *self)
{
  if (!g_str_equal (response, "show") || self->shown == NULL)
    return;
  trb_wallet_manager_reveal_phrase_async (self->manager, self->shown, self->cancellable,
                                          phrase_revealed_cb, g_object_ref (self));
}

static void
back_up_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  TrbWalletPage *self = TRB_WALLET_PAGE (widget);
  AdwMessageDialog *dialog;

  if (self->shown == NULL)
    return;

  dialog = new_dialog (self, _("Back Up This Wallet?"),
                       _("You will see the wallet's backup phrase: the words that bring it back "
                         "on any computer. Make sure no one else can see your screen."));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "show", _("_Show Words"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "show", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_backup_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Rename and remove --------------------------------------------------------------------- */

static void
rename_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    TrbWalletPage    *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  TrbWallet *wallet = g_object_get_data (G_OBJECT (dialog), "wallet");
  g_autoptr(GError) error = NULL;

  if (!g_str_equal (response, "rename"))
    return;
  if (!trb_wallet_manager_rename (self->manager, wallet, gtk_editable_get_text (entry), &error))
    show_error (self, _("The Wallet Could Not Be Renamed"), error, NULL);
  update (self);
}

static void
rename_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TrbWalletPage *self = TRB_WALLET_PAGE (widget);
  AdwMessageDialog *dialog;
  GtkWidget *list = new_boxed_list ();
  GtkWidget *entry;

  if (self->shown == NULL)
    return;

  dialog = new_dialog (self, _("Rename Wallet"), NULL);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "rename", _("_Rename"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "rename", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "rename");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "wallet", g_object_ref (self->shown),
                          g_object_unref);
  entry = add_label_entry (self, dialog, list, "rename", trb_wallet_get_label (self->shown));
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  adw_message_dialog_set_extra_child (dialog, list);
  g_signal_connect_object (dialog, "response", G_CALLBACK (rename_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
removed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TrbWalletPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!trb_wallet_manager_remove_finish (self->manager, result, &error))
    show_error (self, _("The Wallet Could Not Be Removed"), error, "wallet.remove");
  else
    show_toast (self, _("Wallet removed"));
  update (self);
}

static void
remove_name_changed_cb (GtkEditable      *editable,
                        AdwMessageDialog *dialog)
{
  TrbWallet *wallet = g_object_get_data (G_OBJECT (dialog), "wallet");

  adw_message_dialog_set_response_enabled (dialog, "remove",
                                           g_str_equal (gtk_editable_get_text (editable),
                                                        trb_wallet_get_label (wallet)));
}

static void
remove_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    TrbWalletPage    *self)
{
  TrbWallet *wallet = g_object_get_data (G_OBJECT (dialog), "wallet");

  if (!g_str_equal (response, "remove"))
    return;
  trb_wallet_manager_remove_async (self->manager, wallet, self->cancellable, removed_cb,
                                   g_object_ref (self));
}

static void
remove_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TrbWalletPage *self = TRB_WALLET_PAGE (widget);
  AdwMessageDialog *dialog;
  GtkWidget *list = new_boxed_list ();
  GtkWidget *entry;
  g_autofree char *heading = NULL;
  const char *body;

  if (self->shown == NULL)
    return;

  heading = g_strdup_printf (_("Remove “%s”?"), trb_wallet_get_label (self->shown));
  if (trb_wallet_get_backed_up (self->shown))
    body = _("Its key is deleted from this computer. You can bring the wallet back with its "
             "backup phrase.");
  else
    body = _("This wallet was never backed up. Once removed, its key and every reward sent to it "
             "are lost for good, and no one can bring them back.");

  dialog = new_dialog (self, heading, body);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "remove", _("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_enabled (dialog, "remove", FALSE);
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "wallet", g_object_ref (self->shown),
                          g_object_unref);

  entry = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (entry),
                                 _("Type the wallet's name to remove it"));
  g_signal_connect_object (entry, "changed", G_CALLBACK (remove_name_changed_cb), dialog, 0);
  gtk_list_box_append (GTK_LIST_BOX (list), entry);
  adw_message_dialog_set_extra_child (dialog, list);
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Life cycle ---------------------------------------------------------------------------- */

/* The page shows the application's wallets, the ones joining a network creates and uses, so
 * that a wallet made while joining appears here at once. */
static void
open_manager (TrbWalletPage *self)
{
  GApplication *app = g_application_get_default ();

  /* No store of its own: without the application's (it could not be opened, and the window
   * says why), there are no wallets to show. */
  if (TRB_IS_APPLICATION (app) && trb_application_get_wallets (TRB_APPLICATION (app)) != NULL)
    self->manager = g_object_ref (trb_application_get_wallets (TRB_APPLICATION (app)));
  if (self->manager == NULL)
    {
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "wallet.create", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "wallet.import", FALSE);
      return;
    }
  /* The list is the manager's model: a wallet added or removed adds or removes its row. */
  gtk_list_box_bind_model (self->wallet_list, trb_wallet_manager_get_wallets (self->manager),
                           create_wallet_row, NULL, NULL);
  g_signal_connect_object (self->wallet_list, "row-activated",
                           G_CALLBACK (wallet_row_activated_cb), self, 0);
  g_signal_connect_object (trb_wallet_manager_get_wallets (self->manager), "items-changed",
                           G_CALLBACK (wallets_changed_cb), self, 0);
}

static void
trb_wallet_page_dispose (GObject *object)
{
  TrbWalletPage *self = (TrbWalletPage *)object;

  g_cancellable_cancel (self->cancellable);
  clear_backup (self);
  /* Let AdwBin unparent its child itself, or it would unparent it again once freed. */
  adw_bin_set_child (ADW_BIN (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_WALLET_PAGE);
  g_clear_object (&self->shown);
  g_clear_object (&self->manager);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (trb_wallet_page_parent_class)->dispose (object);
}

static void
trb_wallet_page_class_init (TrbWalletPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_wallet_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-wallet-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbWalletPage, stack);
  gtk_widget_class_bind_template_child (widget_class, TrbWalletPage, backup_revealer);
  gtk_widget_class_bind_template_child (widget_class, TrbWalletPage, wallet_group);
  gtk_widget_class_bind_template_child (widget_class, TrbWalletPage, address_label);
  gtk_widget_class_bind_template_child (widget_class, TrbWalletPage, backup_row);
  gtk_widget_class_bind_template_child (widget_class, TrbWalletPage, qr_picture);
  gtk_widget_class_bind_template_child (widget_class, TrbWalletPage, wallet_list);

  gtk_widget_class_install_action (widget_class, "wallet.create", NULL, create_action);
  gtk_widget_class_install_action (widget_class, "wallet.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "wallet.copy-address", NULL,
                                   copy_address_action);
  gtk_widget_class_install_action (widget_class, "wallet.back-up", NULL, back_up_action);
  gtk_widget_class_install_action (widget_class, "wallet.rename", NULL, rename_action);
  gtk_widget_class_install_action (widget_class, "wallet.remove", NULL, remove_action);
}

static void
trb_wallet_page_init (TrbWalletPage *self)
{
  PangoAttrList *attrs = pango_attr_list_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  /* An address broken over two lines must not gain a hyphen that is not part of it. */
  pango_attr_list_insert (attrs, pango_attr_insert_hyphens_new (FALSE));
  gtk_label_set_attributes (self->address_label, attrs);
  pango_attr_list_unref (attrs);

  self->cancellable = g_cancellable_new ();
  open_manager (self);
  update (self);
}
