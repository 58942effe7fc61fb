/* trb-background.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "Keep contributing in the background": while the setting is on, the application is held, so
 * that closing the window does not end it, and it starts at login without a window
 * (--gapplication-service). Inside Flatpak the background portal grants both (libportal);
 * outside it an XDG autostart file is written to $XDG_CONFIG_HOME/autostart and removed again
 * when the setting is turned off.
 */

#define G_LOG_DOMAIN "trb-background"

#include "config.h"

#include "trb-background.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <libportal/portal.h>

#define SERVICE_OPTION "--gapplication-service"

struct _TrbBackground
{
  GObject       parent_instance;

  GApplication *application;
  GSettings    *settings;
  char         *exec_path;
  XdpPortal    *portal;
  GCancellable *cancellable;

  gboolean      enabled;
  gboolean      holding;
  /* What the background portal was last asked for, or FALSE after it refused. */
  gboolean      portal_enabled;
};

G_DEFINE_FINAL_TYPE (TrbBackground, trb_background, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ENABLED,
  N_PROPS
};

enum {
  PROBLEM,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/**
 * trb_background_quote_exec_argument:
 * @argument: one argument of a command line
 *
 * Quotes @argument for the Exec key of a desktop entry, as the Desktop Entry Specification
 * says: inside double quotes, a backslash goes before `"`, `` ` ``, `$` and `\`. The key file
 * layer adds its own escaping on top when the value is written with g_key_file_set_string().
 *
 * Returns: (transfer full): the quoted argument, or a copy when it needs no quotes
 */
char *
trb_background_quote_exec_argument (const char *argument)
{
  static const char reserved[] = " \t\n\"'\\><~|&;$*?#()`";
  GString *quoted;

  g_return_val_if_fail (argument != NULL, NULL);

  if (*argument != '\0' && strpbrk (argument, reserved) == NULL && strchr (argument, '=') == NULL
      && strchr (argument, '%') == NULL)
    return g_strdup (argument);

  quoted = g_string_new ("\"");
  for (const char *p = argument; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '`' || *p == '$' || *p == '\\')
        g_string_append_c (quoted, '\\');
      /* A percent sign starts a field code; a literal one is doubled. */
      if (*p == '%')
        g_string_append_c (quoted, '%');
      g_string_append_c (quoted, *p);
    }
  g_string_append_c (quoted, '"');
  return g_string_free (quoted, FALSE);
}

/**
 * trb_background_get_autostart_path:
 * @app_id: the application ID
 *
 * Returns: (transfer full): where the autostart file of @app_id lives
 */
char *
trb_background_get_autostart_path (const char *app_id)
{
  g_autofree char *name = NULL;

  g_return_val_if_fail (g_application_id_is_valid (app_id), NULL);

  name = g_strconcat (app_id, ".desktop", NULL);
  return g_build_filename (g_get_user_config_dir (), "autostart", name, NULL);
}

/**
 * trb_background_write_autostart:
 * @app_id: the application ID
 * @exec_path: the absolute path of the program to start
 * @error: return location for a #GError
 *
 * Writes the XDG autostart file that starts @exec_path without a window at login.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_background_write_autostart (const char  *app_id,
                                const char  *exec_path,
                                GError     **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *program = NULL;
  g_autofree char *exec = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_return_val_if_fail (g_application_id_is_valid (app_id), FALSE);
  g_return_val_if_fail (exec_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_path_is_absolute (exec_path) || !g_utf8_validate (exec_path, -1, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Tributary cannot start at login from where it is installed."));
      return FALSE;
    }

  path = trb_background_get_autostart_path (app_id);
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not set up starting at login: %s"), g_strerror (saved_errno));
      return FALSE;
    }

  program = trb_background_quote_exec_argument (exec_path);
  exec = g_strconcat (program, " " SERVICE_OPTION, NULL);

  g_key_file_set_string (key_file, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_TYPE,
                         G_KEY_FILE_DESKTOP_TYPE_APPLICATION);
  /* The name and comment show in the desktop's list of startup applications. */
  g_key_file_set_string (key_file, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_NAME,
                         _("Tributary"));
  g_key_file_set_string (key_file, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_COMMENT,
                         _("Keep contributing in the background"));
  g_key_file_set_string (key_file, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_ICON,
                         app_id);
  g_key_file_set_string (key_file, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_EXEC, exec);
  g_key_file_set_boolean (key_file, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_TERMINAL,
                          FALSE);
  g_key_file_set_boolean (key_file, G_KEY_FILE_DESKTOP_GROUP, "X-GNOME-Autostart-enabled", TRUE);

  contents = g_key_file_to_data (key_file, &length, NULL);
  if (!g_file_set_contents_full (path, contents, length, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                 error))
    {
      g_prefix_error (error, "%s ", _("Could not set up starting at login:"));
      return FALSE;
    }

  return TRUE;
}

/**
 * trb_background_remove_autostart:
 * @app_id: the application ID
 * @error: return location for a #GError
 *
 * Removes the autostart file of @app_id; that there is none is fine.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_background_remove_autostart (const char  *app_id,
                                 GError     **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (g_application_id_is_valid (app_id), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  path = trb_background_get_autostart_path (app_id);
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not stop starting at login: %s"), g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

static void
report_problem (TrbBackground *self,
                const char    *message)
{
  g_debug ("%s", message);
  g_signal_emit (self, signals[PROBLEM], 0, message);
}

/* One request to the background portal. It does not keep the object alive: a request that a
 * newer one replaced may never be answered. */
typedef struct
{
  TrbBackground *self;
  GCancellable  *cancellable;
  gboolean       enabled;
} BackgroundRequest;

static void
background_request_free (BackgroundRequest *request)
{
  g_clear_weak_pointer (&request->self);
  g_clear_object (&request->cancellable);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BackgroundRequest, background_request_free)

static void
background_requested_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(BackgroundRequest) request = user_data;
  TrbBackground *self = request->self;
  g_autoptr(GError) error = NULL;

  if (xdp_portal_request_background_finish (XDP_PORTAL (object), result, &error))
    return;

  /* The portal answers a refusal with G_IO_ERROR_CANCELLED too, so only the request's own
   * cancellable tells that the app itself dropped it. */
  if (self == NULL || g_cancellable_is_cancelled (request->cancellable))
    return;

  if (error != NULL)
    g_debug ("The background portal said no: %s", error->message);

  /* Turning background running off needs no permission; whatever the answer, it is off. */
  if (!request->enabled)
    return;

  /* Refused: the switch goes back off, so that it shows what really happens, and the portal is
   * not asked again for that, which would only be refused once more. */
  self->portal_enabled = FALSE;
  report_problem (self, _("Tributary was not allowed to run in the background. You can allow "
                          "it in the Apps page of Settings."));
  g_settings_set_boolean (self->settings, "run-in-background", FALSE);
}

static void
request_portal (TrbBackground *self,
                gboolean       enabled)
{
  BackgroundRequest *request;
  GPtrArray *command;

  if (self->portal == NULL)
    self->portal = xdp_portal_new ();

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->portal_enabled = enabled;

  request = g_new0 (BackgroundRequest, 1);
  g_set_weak_pointer (&request->self, self);
  request->cancellable = g_object_ref (self->cancellable);
  request->enabled = enabled;

  /* Inside the sandbox the command is looked up in the app's own PATH. The portal takes the
   * array, counted by its length, without a terminating NULL. */
  command = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (command, g_strdup (PACKAGE_NAME));
  g_ptr_array_add (command, g_strdup (SERVICE_OPTION));

  xdp_portal_request_background (self->portal, NULL,
                                 (char *) _("Keep contributing to learning networks after the "
                                            "window is closed"),
                                 command,
                                 enabled ? XDP_BACKGROUND_FLAG_AUTOSTART
                                         : XDP_BACKGROUND_FLAG_NONE,
                                 self->cancellable, background_requested_cb, request);
}

/* Inside Flatpak only the portal can let the app run in the background and start it at login.
 * TRB_USE_BACKGROUND_PORTAL=1 takes that path outside it too, to try or test it. (Not
 * GTK_USE_PORTAL, which people set for other reasons, and which would move autostart of an app
 * installed on the host to the portal.) */
static gboolean
use_portal (void)
{
  return xdp_portal_running_under_flatpak () ||
         g_strcmp0 (g_getenv ("TRB_USE_BACKGROUND_PORTAL"), "1") == 0;
}

static void
set_holding (TrbBackground *self,
             gboolean       holding)
{
  if (self->holding == holding || self->application == NULL)
    return;

  self->holding = holding;
  if (holding)
    g_application_hold (self->application);
  else
    g_application_release (self->application);
}

static void
apply (TrbBackground *self)
{
  const char *app_id = g_application_get_application_id (self->application);
  gboolean enabled = g_settings_get_boolean (self->settings, "run-in-background");
  g_autoptr(GError) error = NULL;

  set_holding (self, enabled);

  if (use_portal ())
    {
      /* At start the portal is asked only when background running is on, so that nobody who
       * never turned it on sees its dialog; afterwards every change goes to it, as turning it
       * off must also remove the autostart entry the portal made. */
      if (enabled != self->portal_enabled)
        request_portal (self, enabled);
    }
  else if (enabled)
    {
      if (!trb_background_write_autostart (app_id, self->exec_path, &error))
        report_problem (self, error->message);
    }
  else
    {
      if (!trb_background_remove_autostart (app_id, &error))
        report_problem (self, error->message);
    }

  if (self->enabled != enabled)
    {
      self->enabled = enabled;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
    }
}

static void
setting_changed_cb (TrbBackground *self)
{
  apply (self);
}

static void
trb_background_dispose (GObject *object)
{
  TrbBackground *self = TRB_BACKGROUND (object);

  g_cancellable_cancel (self->cancellable);
  set_holding (self, FALSE);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->application);
  g_clear_object (&self->portal);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (trb_background_parent_class)->dispose (object);
}

static void
trb_background_finalize (GObject *object)
{
  TrbBackground *self = TRB_BACKGROUND (object);

  g_free (self->exec_path);

  G_OBJECT_CLASS (trb_background_parent_class)->finalize (object);
}

static void
trb_background_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TrbBackground *self = TRB_BACKGROUND (object);

  switch (prop_id)
    {
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_background_class_init (TrbBackgroundClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = trb_background_dispose;
  object_class->finalize = trb_background_finalize;
  object_class->get_property = trb_background_get_property;

  /**
   * TrbBackground:enabled:
   *
   * Whether the app keeps running in the background.
   */
  properties[PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TrbBackground::problem:
   * @self: a #TrbBackground
   * @message: what went wrong, in plain words
   *
   * Emitted when background running or starting at login could not be set up.
   */
  signals[PROBLEM] = g_signal_new ("problem", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
trb_background_init (TrbBackground *self)
{
  self->cancellable = g_cancellable_new ();
}

/**
 * trb_background_new:
 * @application: the application to hold while running in the background
 * @settings: the app's settings, with `run-in-background`
 * @exec_path: (nullable): the program to start at login, or %NULL for this one
 *
 * Follows the `run-in-background` setting from now on, starting with its current value.
 *
 * Returns: (transfer full): a new #TrbBackground
 */
TrbBackground *
trb_background_new (GApplication *application,
                    GSettings    *settings,
                    const char   *exec_path)
{
  TrbBackground *self;

  g_return_val_if_fail (G_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (g_application_get_application_id (application) != NULL, NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (TRB_TYPE_BACKGROUND, NULL);
  self->application = g_object_ref (application);
  self->settings = g_object_ref (settings);
  if (exec_path != NULL)
    self->exec_path = g_strdup (exec_path);
  else
    self->exec_path = g_file_read_link ("/proc/self/exe", NULL);
  if (self->exec_path == NULL)
    self->exec_path = g_strdup (PACKAGE_NAME);

  g_signal_connect_swapped (settings, "changed::run-in-background",
                            G_CALLBACK (setting_changed_cb), self);
  apply (self);
  return self;
}

/**
 * trb_background_get_enabled:
 * @self: a #TrbBackground
 *
 * Returns: whether the app keeps running in the background
 */
gboolean
trb_background_get_enabled (TrbBackground *self)
{
  g_return_val_if_fail (TRB_IS_BACKGROUND (self), FALSE);

  return self->enabled;
}

/**
 * trb_background_get_holding:
 * @self: a #TrbBackground
 *
 * Returns: whether the application is held, so that closing its last window does not end it
 */
gboolean
trb_background_get_holding (TrbBackground *self)
{
  g_return_val_if_fail (TRB_IS_BACKGROUND (self), FALSE);

  return self->holding;
}
