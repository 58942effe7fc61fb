/* trb-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The main window: five areas a contributor moves between (Networks, Datasets, Activity,
 * Wallet, History) in an AdwViewStack. The view switcher sits in the header bar when there is
 * room and moves to a bar at the bottom on narrow screens, down to 360 pixels wide.
 */

#define G_LOG_DOMAIN "trb-window"

#include "config.h"

#include "trb-window.h"

#include <glib/gi18n.h>

#include "participant/trb-error-text.h"
#include "participant/trb-participation-manager.h"
#include "store/trb-store.h"
#include "trb-activity-page.h"
#include "trb-application.h"
#include "trb-datasets-page.h"
#include "trb-history-page.h"
#include "trb-networks-page.h"
#include "trb-wallet-page.h"

struct _TrbWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;

  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar   *switcher_bar;
  AdwViewStack         *stack;
  AdwStatusPage        *store_error_page;
  TrbDatasetsPage      *datasets_page;
  TrbHistoryPage       *history_page;
  AdwToastOverlay      *toast_overlay;

  /* The close-window question was answered; the next close request goes through. */
  gboolean              close_confirmed;
};

G_DEFINE_FINAL_TYPE (TrbWindow, trb_window, ADW_TYPE_APPLICATION_WINDOW)

static const char * const areas[] = { "networks", "datasets", "activity", "wallet", "history" };

/* Closing the window while networks are joined would stop contributing unless the app keeps
 * running in the background, which is off by default. So the first time, the window asks which
 * of the two the person wants instead of stopping without a word; the answer is remembered in
 * run-in-background (the Background switch of Preferences changes it later) and the question
 * is not asked again. */
static gboolean
should_ask_before_closing (TrbWindow *self)
{
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));
  TrbParticipationManager *participations;

  if (self->close_confirmed || !TRB_IS_APPLICATION (application))
    return FALSE;
  if (g_settings_get_boolean (self->settings, "run-in-background") ||
      g_settings_get_boolean (self->settings, "asked-about-background"))
    return FALSE;

  participations = trb_application_get_participations (TRB_APPLICATION (application));
  return participations != NULL &&
         g_list_model_get_n_items (G_LIST_MODEL (participations)) > 0;
}

static void
close_question_answered_cb (TrbWindow        *self,
                            const char       *response,
                            AdwMessageDialog *dialog)
{
  GApplication *application = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  if (g_str_equal (response, "keep"))
    {
      /* TrbBackground follows the setting: it holds the application, so that it outlives the
       * window, and sets up starting at login (the portal inside Flatpak, an autostart file
       * outside it). */
      g_settings_set_boolean (self->settings, "run-in-background", TRUE);
      g_settings_set_boolean (self->settings, "asked-about-background", TRUE);
      self->close_confirmed = TRUE;
      gtk_window_close (GTK_WINDOW (self));
    }
  else if (g_str_equal (response, "stop"))
    {
      g_settings_set_boolean (self->settings, "run-in-background", FALSE);
      g_settings_set_boolean (self->settings, "asked-about-background", TRUE);
      self->close_confirmed = TRUE;
      /* Quit rather than only close: another window (Preferences) must not keep it running. */
      g_object_ref (application);
      gtk_window_close (GTK_WINDOW (self));
      g_application_quit (application);
      g_object_unref (application);
    }
}

static void
ask_before_closing (TrbWindow *self)
{
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Keep Contributing?"),
                                                       NULL));
  adw_message_dialog_set_body (dialog,
                               _("Tributary can keep training for the networks you joined "
                                 "after this window is closed, and start by itself when you "
                                 "log in. If you stop, your networks wait until you open "
                                 "Tributary again.\n\nYou can change this later in "
                                 "Preferences."));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "stop", _("_Stop Contributing"),
                                    "keep", _("_Keep Contributing"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "keep", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "keep");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (close_question_answered_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
trb_window_close_request (GtkWindow *window)
{
  TrbWindow *self = TRB_WINDOW (window);
  int width, height;

  if (should_ask_before_closing (self))
    {
      ask_before_closing (self);
      return TRUE;
    }

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));

  return GTK_WINDOW_CLASS (trb_window_parent_class)->close_request (window);
}

static void
show_area_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  trb_window_show_area (TRB_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
open_data_folder_cb (TrbWindow *self,
                     GtkButton *button)
{
  g_autofree char *path = trb_store_default_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GFile) folder = g_file_new_for_path (dir);
  g_autofree char *uri = g_file_get_uri (folder);

  g_app_info_launch_default_for_uri_async (uri, NULL, NULL, NULL, NULL);
}

static void
trb_window_dispose (GObject *object)
{
  TrbWindow *self = (TrbWindow *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), TRB_TYPE_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (trb_window_parent_class)->dispose (object);
}

static void
trb_window_class_init (TrbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = trb_window_dispose;
  window_class->close_request = trb_window_close_request;

  g_type_ensure (TRB_TYPE_ACTIVITY_PAGE);
  g_type_ensure (TRB_TYPE_DATASETS_PAGE);
  g_type_ensure (TRB_TYPE_HISTORY_PAGE);
  g_type_ensure (TRB_TYPE_NETWORKS_PAGE);
  g_type_ensure (TRB_TYPE_WALLET_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/trb-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, TrbWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, TrbWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, TrbWindow, store_error_page);
  gtk_widget_class_bind_template_child (widget_class, TrbWindow, datasets_page);
  gtk_widget_class_bind_template_child (widget_class, TrbWindow, history_page);
  gtk_widget_class_bind_template_callback (widget_class, open_data_folder_cb);
  gtk_widget_class_bind_template_child (widget_class, TrbWindow, toast_overlay);

  gtk_widget_class_install_action (widget_class, "win.show-area", "s", show_area_action);

  for (guint i = 0; i < G_N_ELEMENTS (areas); i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_ALT_MASK,
                                         "win.show-area", "s", areas[i]);
}

static void
trb_window_init (TrbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

#if DEVELOPMENT_BUILD
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif
}

/* Without its local data the areas can do nothing: the window says why instead, and where the
 * file is. Nothing is written to the file. */
static void
show_store_error (TrbWindow    *self,
                  const GError *error)
{
  g_autofree char *path = trb_store_default_path ();
  g_autofree char *description = NULL;

  /* Translators: the first %s is the reason from the database, the second the file's path. */
  description = g_strdup_printf (_("The file in which Tributary keeps your networks, datasets "
                                   "and history could not be opened (“%s”). Tributary has not "
                                   "changed it. It is %s; if it is damaged, moving it out of "
                                   "its folder lets Tributary start afresh. The secret keys of "
                                   "your wallets are in the keyring, not in this file."),
                                 error->message, path);
  adw_status_page_set_description (self->store_error_page, description);
  gtk_widget_set_visible (GTK_WIDGET (self->stack), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->store_error_page), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->switcher_bar), FALSE);
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, FALSE);
}

TrbWindow *
trb_window_new (GtkApplication *application)
{
  TrbWindow *self;

  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);

  self = g_object_new (TRB_TYPE_WINDOW, "application", application, NULL);
  if (TRB_IS_APPLICATION (application) &&
      trb_application_get_store_error (TRB_APPLICATION (application)) != NULL)
    show_store_error (self, trb_application_get_store_error (TRB_APPLICATION (application)));
  else if (TRB_IS_APPLICATION (application))
    {
      /* One store for every area, the application's: a change made in one is seen in all. */
      TrbStore *store = trb_application_get_store (TRB_APPLICATION (application));

      trb_datasets_page_set_store (self->datasets_page, store);
      trb_history_page_set_store (self->history_page, store);
    }
  return self;
}

/**
 * trb_window_show_area:
 * @area: one of "networks", "datasets", "activity", "wallet", "history"
 *
 * Switches the window to @area. Unknown names are ignored with a warning.
 */
void
trb_window_show_area (TrbWindow  *self,
                      const char *area)
{
  g_return_if_fail (TRB_IS_WINDOW (self));
  g_return_if_fail (area != NULL);

  if (!g_strv_contains (areas, area))
    {
      g_warning ("No area named “%s”", area);
      return;
    }

  adw_view_stack_set_visible_child_name (self->stack, area);
}

/**
 * trb_window_add_toast:
 * @self: a #TrbWindow
 * @toast: (transfer full): a toast
 *
 * Shows @toast at the bottom of the window, its title wrapped over lines where it is too long
 * for the window's width rather than cut off.
 */
void
trb_window_add_toast (TrbWindow *self,
                      AdwToast  *toast)
{
  const char *title;

  g_return_if_fail (TRB_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  /* libadwaita 1.2 cuts a toast's title off with an ellipsis where it does not fit (a network's
   * name in a longer language at 360 px); a label that wraps shows it whole. The title is plain
   * text: a network names itself, and its name is no markup. */
  title = adw_toast_get_title (toast);
  if (adw_toast_get_custom_title (toast) == NULL && title != NULL && *title != '\0')
    {
      GtkWidget *label = gtk_label_new (title);

      g_object_set_data_full (G_OBJECT (toast), "title", g_strdup (title), g_free);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_set_hexpand (label, TRUE);
      adw_toast_set_custom_title (toast, label);
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
problem_details_cb (AdwToast  *toast,
                    GtkWindow *window)
{
  /* The title is kept aside where trb_window_add_toast() made it a label. */
  const char *what = g_object_get_data (G_OBJECT (toast), "title");
  const char *sentence = g_object_get_data (G_OBJECT (toast), "sentence");
  const char *details = g_object_get_data (G_OBJECT (toast), "details");
  GtkWidget *dialog = adw_message_dialog_new (window, what, sentence);

  if (details != NULL)
    {
      GtkWidget *expander = gtk_expander_new_with_mnemonic (_("_Details"));
      GtkWidget *label = gtk_label_new (details);

      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_expander_set_child (GTK_EXPANDER (expander), label);
      adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), expander);
    }
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

/**
 * trb_window_report_problem:
 * @inside: a widget in the window
 * @what: what failed, in a few plain words
 * @error: why
 *
 * Says in a toast of @inside's window that something the user asked for failed; its Details
 * button shows why, in plain words (trb_error_describe()). A toast's title is cut off when
 * long, so the reason never goes there (outside a #TrbWindow, it goes to the log).
 */
void
trb_window_report_problem (GtkWidget    *inside,
                           const char   *what,
                           const GError *error)
{
  GtkRoot *root;
  AdwToast *toast;
  g_autofree char *details = NULL;
  g_autofree char *sentence = NULL;

  g_return_if_fail (GTK_IS_WIDGET (inside));
  g_return_if_fail (what != NULL && error != NULL);

  root = gtk_widget_get_root (inside);
  sentence = trb_error_describe (error, &details);
  if (!TRB_IS_WINDOW (root))
    {
      g_warning ("%s: %s", what, error->message);
      return;
    }
  toast = adw_toast_new (what);
  adw_toast_set_button_label (toast, _("Details"));
  adw_toast_set_timeout (toast, 10);
  g_object_set_data_full (G_OBJECT (toast), "sentence", g_steal_pointer (&sentence), g_free);
  g_object_set_data_full (G_OBJECT (toast), "details", g_steal_pointer (&details), g_free);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (problem_details_cb), root, 0);
  trb_window_add_toast (TRB_WINDOW (root), toast);
}
