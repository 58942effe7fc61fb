/* trb-evidence.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The evidence of a tampered ledger, as the app shows and saves it: the banner's title for each
 * kind of tampering, and "Save the Evidence" (a file chooser, then the text of
 * trb_history_export_evidence()) for the network's page and the History area alike.
 */

#define G_LOG_DOMAIN "trb-evidence"

#include "config.h"

#include "trb-evidence.h"

#include <glib/gi18n.h>
#include <string.h>

#include "trb-window.h"

/**
 * trb_evidence_dup_title:
 * @kind: what was found
 * @network_name: the network's name
 *
 * Returns: (transfer full): the alert's title, in plain words
 */
char *
trb_evidence_dup_title (TrbLedgerTamper  kind,
                        const char      *network_name)
{
  switch (kind)
    {
    case TRB_LEDGER_TAMPER_KEY_CHANGED:
      return g_strdup_printf (_("“%s” changed its ledger key"), network_name);
    case TRB_LEDGER_TAMPER_EDITED_ENTRY:
      return g_strdup_printf (_("“%s” changed an entry of its ledger"), network_name);
    case TRB_LEDGER_TAMPER_SHRUNK:
      return g_strdup_printf (_("“%s” removed entries from its ledger"), network_name);
    case TRB_LEDGER_TAMPER_FORK:
    case TRB_LEDGER_TAMPER_NONE:
    default:
      return g_strdup_printf (_("“%s” showed two different histories"), network_name);
    }
}

typedef struct
{
  GtkWidget  *parent;
  TrbHistory *history;
  char       *origin;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_clear_object (&data->parent);
  g_clear_object (&data->history);
  g_free (data->origin);
  g_free (data);
}

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GtkWidget) parent = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    trb_window_report_problem (parent, _("The file could not be saved"), error);
}

static void
response_cb (GtkNativeDialog *dialog,
             int              response,
             gpointer         user_data)
{
  SaveData *data = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GError) error = NULL;
      char *text = trb_history_export_evidence (data->history, data->origin, &error);

      if (text != NULL && file != NULL)
        {
          g_autoptr(GBytes) bytes = g_bytes_new_take (text, strlen (text));

          g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                               G_FILE_CREATE_REPLACE_DESTINATION, NULL,
                                               saved_cb, g_object_ref (data->parent));
        }
      else
        {
          g_free (text);
          if (error != NULL)
            trb_window_report_problem (data->parent, _("The evidence could not be gathered"),
                                       error);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  save_data_free (data);
}

/**
 * trb_evidence_save:
 * @parent: the widget the file chooser belongs to
 * @history: the history that keeps the evidence
 * @origin: the network
 *
 * Asks where to save the evidence of the network's tampered ledger, then writes it there as
 * text that anyone can check.
 */
void
trb_evidence_save (GtkWidget  *parent,
                   TrbHistory *history,
                   const char *origin)
{
  GtkFileChooserNative *dialog;
  GtkRoot *root;
  SaveData *data;

  g_return_if_fail (GTK_IS_WIDGET (parent));
  g_return_if_fail (TRB_IS_HISTORY (history));
  g_return_if_fail (origin != NULL);

  root = gtk_widget_get_root (parent);
  dialog = gtk_file_chooser_native_new (_("Save the Evidence"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "ledger-evidence.txt");
  data = g_new0 (SaveData, 1);
  data->parent = g_object_ref (parent);
  data->history = g_object_ref (history);
  data->origin = g_strdup (origin);
  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), data);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}
