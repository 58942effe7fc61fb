/* trb-demo-node.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A tributary-node the app runs itself on 127.0.0.1 (any free port): the built-in demo network,
 * and the networks hosted from Preferences. `TRB_DEMO_URL` names a demo node already running.
 */

#define G_LOG_DOMAIN "trb-demo-node"

#include "config.h"

#include "trb-demo-node.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>

#define START_TIMEOUT_S 60

struct _TrbDemoNode
{
  GObject       parent_instance;

  char         *data_dir;
  GStrv         extra_args;
  GSubprocess  *process;
  char         *url;
  gboolean      own_process;
  char         *listen;
};

G_DEFINE_FINAL_TYPE (TrbDemoNode, trb_demo_node, G_TYPE_OBJECT)

static void
trb_demo_node_dispose (GObject *object)
{
  trb_demo_node_stop (TRB_DEMO_NODE (object));
  G_OBJECT_CLASS (trb_demo_node_parent_class)->dispose (object);
}

static void
trb_demo_node_finalize (GObject *object)
{
  TrbDemoNode *self = TRB_DEMO_NODE (object);

  g_free (self->data_dir);
  g_free (self->listen);
  g_strfreev (self->extra_args);
  g_free (self->url);
  G_OBJECT_CLASS (trb_demo_node_parent_class)->finalize (object);
}

static void
trb_demo_node_class_init (TrbDemoNodeClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = trb_demo_node_dispose;
  G_OBJECT_CLASS (klass)->finalize = trb_demo_node_finalize;
}

static void
trb_demo_node_init (TrbDemoNode *self)
{
}

/**
 * trb_demo_node_find_binary:
 *
 * `TRB_NODE_BINARY` if set; else tributary-node in the build folder (src/node/ beside the
 * app's src/ui/), else beside the running program (the bindir).
 *
 * Returns: (transfer full): a path
 */
char *
trb_demo_node_find_binary (void)
{
  const char *env = g_getenv ("TRB_NODE_BINARY");
  g_autofree char *self_path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *in_build = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  self_path = g_file_read_link ("/proc/self/exe", NULL);
  if (self_path == NULL)
    return g_strdup ("tributary-node");
  dir = g_path_get_dirname (self_path);
  in_build = g_build_filename (dir, "..", "node", "tributary-node", NULL);
  if (g_file_test (in_build, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&in_build);
  return g_build_filename (dir, "tributary-node", NULL);
}

/**
 * trb_demo_node_new:
 * @data_dir: the node's data folder
 * @extra_args: (nullable): more arguments of `tributary-node demo`
 *
 * Returns: (transfer full): a node, not started
 */
TrbDemoNode *
trb_demo_node_new (const char         *data_dir,
                   const char * const *extra_args)
{
  TrbDemoNode *self;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (TRB_TYPE_DEMO_NODE, NULL);
  self->data_dir = g_strdup (data_dir);
  self->extra_args = g_strdupv ((char **) extra_args);
  return self;
}

typedef struct
{
  char   *url_file;
  gint64  deadline;
  guint   timeout_id;
} StartData;

static void
start_data_free (StartData *data)
{
  g_clear_handle_id (&data->timeout_id, g_source_remove);
  g_free (data->url_file);
  g_free (data);
}

static gboolean
poll_url_cb (gpointer user_data)
{
  GTask *task = user_data;
  TrbDemoNode *self = g_task_get_source_object (task);
  StartData *data = g_task_get_task_data (task);
  g_autofree char *contents = NULL;

  if (g_task_return_error_if_cancelled (task))
    goto done;
  if (self->process == NULL || g_subprocess_get_identifier (self->process) == NULL ||
      g_get_monotonic_time () > data->deadline)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                               _("The demo network could not be started."));
      goto done;
    }
  if (!g_file_get_contents (data->url_file, &contents, NULL, NULL) ||
      !g_str_has_suffix (contents, "\n"))
    return G_SOURCE_CONTINUE;
  g_strstrip (contents);
  g_free (self->url);
  self->url = g_strdup (contents);
  g_task_return_pointer (task, g_steal_pointer (&contents), g_free);

done:
  data->timeout_id = 0;
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/* The node ends with the app, even when the app is killed. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/**
 * trb_demo_node_start_async:
 * @self: a node
 * @cancellable: (nullable): a cancellable
 * @callback: called with the URL it serves
 * @user_data: data for @callback
 *
 * Starts `tributary-node demo` on 127.0.0.1, port 0, or takes `TRB_DEMO_URL`.
 */
void
trb_demo_node_start_async (TrbDemoNode         *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  const char *env_url = g_getenv ("TRB_DEMO_URL");
  StartData *data;

  g_return_if_fail (TRB_IS_DEMO_NODE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_demo_node_start_async);

  if (self->url != NULL)
    {
      g_task_return_pointer (task, g_strdup (self->url), g_free);
      return;
    }
  if (env_url != NULL && *env_url != '\0' && !self->own_process)
    {
      self->url = g_strdup (env_url);
      g_task_return_pointer (task, g_strdup (env_url), g_free);
      return;
    }

  data = g_new0 (StartData, 1);
  data->url_file = g_build_filename (self->data_dir, "url", NULL);
  data->deadline = g_get_monotonic_time () + START_TIMEOUT_S * G_USEC_PER_SEC;
  g_task_set_task_data (task, data, (GDestroyNotify) start_data_free);
  g_mkdir_with_parents (self->data_dir, 0700);
  g_unlink (data->url_file);

  g_ptr_array_add (argv, trb_demo_node_find_binary ());
  g_ptr_array_add (argv, g_strdup ("demo"));
  g_ptr_array_add (argv, g_strdup ("--data"));
  g_ptr_array_add (argv, g_build_filename (self->data_dir, "network", NULL));
  g_ptr_array_add (argv, g_strdup ("--listen"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1:0"));
  g_ptr_array_add (argv, g_strdup ("--url-file"));
  g_ptr_array_add (argv, g_strdup (data->url_file));
  for (guint i = 0; self->extra_args != NULL && self->extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (self->extra_args[i]));
  /* The last --listen counts. */
  if (self->listen != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--listen"));
      g_ptr_array_add (argv, g_strdup (self->listen));
    }
  g_ptr_array_add (argv, NULL);

  {
    g_autoptr(GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);

    g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
    self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                  &error);
  }
  if (self->process == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("The demo network could not be started: %s"), error->message);
      return;
    }
  data->timeout_id = g_timeout_add (50, poll_url_cb, g_object_ref (task));
}

char *
trb_demo_node_start_finish (TrbDemoNode   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * trb_demo_node_set_own_process:
 * @self: a node, not started
 * @own_process: whether it always runs a tributary-node of its own
 *
 * A network hosted for others runs its own node even where `TRB_DEMO_URL` names a demo node
 * that is already running.
 */
void
trb_demo_node_set_own_process (TrbDemoNode *self,
                               gboolean     own_process)
{
  g_return_if_fail (TRB_IS_DEMO_NODE (self));
  self->own_process = own_process;
}

/**
 * trb_demo_node_set_listen:
 * @self: a node
 * @listen: (nullable): the address and port the next start listens on, such as `0.0.0.0:0`;
 *   %NULL for the one given at creation
 */
void
trb_demo_node_set_listen (TrbDemoNode *self,
                          const char  *listen)
{
  g_return_if_fail (TRB_IS_DEMO_NODE (self));
  g_free (self->listen);
  self->listen = g_strdup (listen);
}

/**
 * trb_demo_node_get_data_dir:
 * @self: a node
 *
 * Returns: the folder the node keeps its network and files in
 */
const char *
trb_demo_node_get_data_dir (TrbDemoNode *self)
{
  g_return_val_if_fail (TRB_IS_DEMO_NODE (self), NULL);
  return self->data_dir;
}

/**
 * trb_demo_node_get_pid:
 * @self: a node
 *
 * Returns: the process id of the tributary-node this object started and has not stopped, or 0
 */
GPid
trb_demo_node_get_pid (TrbDemoNode *self)
{
  const char *id;

  g_return_val_if_fail (TRB_IS_DEMO_NODE (self), 0);

  id = self->process != NULL ? g_subprocess_get_identifier (self->process) : NULL;
  return id != NULL ? (GPid) g_ascii_strtoll (id, NULL, 10) : 0;
}

const char *
trb_demo_node_get_url (TrbDemoNode *self)
{
  g_return_val_if_fail (TRB_IS_DEMO_NODE (self), NULL);
  return self->url;
}

/**
 * trb_demo_node_stop:
 * @self: a node
 *
 * Stops the node this object started (one named by `TRB_DEMO_URL` is left alone).
 */
void
trb_demo_node_stop (TrbDemoNode *self)
{
  g_return_if_fail (TRB_IS_DEMO_NODE (self));

  if (self->process != NULL)
    {
      g_subprocess_send_signal (self->process, SIGTERM);
      g_subprocess_wait (self->process, NULL, NULL);
      g_clear_object (&self->process);
      g_clear_pointer (&self->url, g_free);
    }
}
