/* trb-address-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "Add by Address": the person pastes a network's address or an invite link. Before the
 * network's page opens, the dialog asks the address what it is, within 10 s; a problem (text
 * that is no address, nothing answering, a web site that is no Tributary network) shows in
 * plain words under the entry, with what was typed kept and Try Again offered.
 */

#define G_LOG_DOMAIN "trb-address-dialog"

#include "config.h"

#include "trb-address-dialog.h"

#include <glib/gi18n.h>

#include "net/trb-client.h"
#include "participant/trb-invite.h"
#include "ui/trb-error-area.h"
#include "ui/trb-join-dialog.h"

struct _TrbAddressDialog
{
  AdwMessageDialog  parent_instance;

  GtkWindow        *parent;
  GtkEntry         *entry;
  GtkSpinner       *spinner;
  TrbErrorArea     *error_area;
  GCancellable     *cancellable;
  TrbClient        *client;
  char             *url;
};

G_DEFINE_FINAL_TYPE (TrbAddressDialog, trb_address_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
set_busy (TrbAddressDialog *self,
          gboolean          busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "open", !busy);
  gtk_editable_set_editable (GTK_EDITABLE (self->entry), !busy);
}

static void
show_problem (TrbAddressDialog *self,
              const GError     *error)
{
  set_busy (self, FALSE);
  trb_error_area_show_error (self->error_area, error);
  adw_message_dialog_set_response_label (ADW_MESSAGE_DIALOG (self), "open", _("_Try Again"));
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

static void
network_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TrbAddressDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) network = trb_client_json_finish (TRB_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (network == NULL)
    {
      show_problem (self, error);
      return;
    }
  /* A Tributary network answers: its page takes over, with Join. */
  trb_join_dialog_present (self->parent, self->url);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
check_address (TrbAddressDialog *self)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&self->url, g_free);
  self->url = trb_invite_parse (gtk_editable_get_text (GTK_EDITABLE (self->entry)), &error);
  if (self->url == NULL)
    {
      show_problem (self, error);
      return;
    }

  trb_error_area_clear (self->error_area);
  set_busy (self, TRUE);
  g_clear_object (&self->client);
  self->client = trb_client_new (self->url);
  trb_client_set_interactive (self->client);
  trb_client_get_network_async (self->client, self->cancellable, network_cb,
                                g_object_ref (self));
}

static void
response_cb (TrbAddressDialog *self,
             const char       *response)
{
  /* The dialog stays while the address is checked, and after a problem, with the text kept;
   * any other answer (Cancel, Escape) closes it. */
  if (g_str_equal (response, "open"))
    check_address (self);
  else
    gtk_window_destroy (GTK_WINDOW (self));
}

/* AdwMessageDialog closes itself before it says which response was chosen: closing is left to
 * response_cb() (and to a successful check), which knows. Connected after the class handler,
 * which turns Escape into the "cancel" response. */
static gboolean
close_request_cb (TrbAddressDialog *self)
{
  return TRUE;
}

static void
text_changed_cb (TrbAddressDialog *self)
{
  /* Something new to try: the problem shown was about the old text. */
  if (gtk_widget_get_visible (GTK_WIDGET (self->spinner)))
    return;
  trb_error_area_clear (self->error_area);
  adw_message_dialog_set_response_label (ADW_MESSAGE_DIALOG (self), "open", _("_Continue"));
}

static void
trb_address_dialog_dispose (GObject *object)
{
  TrbAddressDialog *self = TRB_ADDRESS_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  G_OBJECT_CLASS (trb_address_dialog_parent_class)->dispose (object);
}

static void
trb_address_dialog_finalize (GObject *object)
{
  g_free (TRB_ADDRESS_DIALOG (object)->url);
  G_OBJECT_CLASS (trb_address_dialog_parent_class)->finalize (object);
}

static void
trb_address_dialog_class_init (TrbAddressDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = trb_address_dialog_dispose;
  G_OBJECT_CLASS (klass)->finalize = trb_address_dialog_finalize;
}

static void
trb_address_dialog_init (TrbAddressDialog *self)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (self);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  self->cancellable = g_cancellable_new ();

  adw_message_dialog_set_heading (dialog, _("Add a Network"));
  adw_message_dialog_set_body (dialog, _("Paste the network’s address or the invite link you "
                                         "were given."));
  self->entry = GTK_ENTRY (gtk_entry_new ());
  gtk_entry_set_placeholder_text (self->entry, "https://… or tributary://join?…");
  gtk_entry_set_activates_default (self->entry, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Address or invite link"), -1);
  g_signal_connect_swapped (self->entry, "changed", G_CALLBACK (text_changed_cb), self);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->entry));

  self->spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->spinner), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Checking the address"), -1);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->spinner));

  self->error_area = TRB_ERROR_AREA (trb_error_area_new ());
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->error_area));
  adw_message_dialog_set_extra_child (dialog, box);

  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "open", _("_Continue"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "open", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "open");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (self, "response", G_CALLBACK (response_cb), NULL);
  g_signal_connect_after (self, "close-request", G_CALLBACK (close_request_cb), NULL);
}

/**
 * trb_address_dialog_present:
 * @parent: the main window
 *
 * Asks for a network's address or invite link, checks it, and opens the network's page.
 */
void
trb_address_dialog_present (GtkWindow *parent)
{
  trb_address_dialog_present_with_text (parent, NULL);
}

/**
 * trb_address_dialog_present_with_text:
 * @parent: the main window
 * @text: (nullable): an address or invite link to check at once, as if typed and confirmed
 *
 * For a link opened from elsewhere: what it holds is checked in the dialog, so that a problem
 * shows in full, next to the text, with Try Again.
 */
void
trb_address_dialog_present_with_text (GtkWindow  *parent,
                                      const char *text)
{
  TrbAddressDialog *self = g_object_new (TRB_TYPE_ADDRESS_DIALOG, "transient-for", parent,
                                         "modal", TRUE, "default-width", 420, NULL);

  self->parent = parent;
  gtk_window_present (GTK_WINDOW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
  if (text != NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->entry), text);
      check_address (self);
    }
}
