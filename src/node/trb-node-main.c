/* trb-node-main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tributary-node: hosts a learning network.
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <stdio.h>

#include "trb-node.h"
#include "trb-node-join-command.h"

#include "compute/trb-model-spec.h"
#include "datasets/trb-dataset-registry.h"
#include "trb-i18n.h"

#define DEMO_DATASET_DIR "/usr/share/datasets/fashion-mnist"

static const char demo_task[] =
  "{\n"
  "  \"id\": \"fashion-mnist\",\n"
  "  \"title\": \"Recognise clothing in small pictures\",\n"
  "  \"model\": %s,\n"
  "  \"data_schema\": {\"kind\": \"image-classification\", \"width\": 28, \"height\": 28,\n"
  "                  \"channels\": 1, \"classes\": 10, \"formats\": [\"idx\"]},\n"
  "  \"hyper_parameters\": {\"local_epochs\": 1, \"batch_size\": 32, \"learning_rate\": 0.05,\n"
  "                       \"optimizer\": \"sgd\"},\n"
  "  \"round_policy\": {\"duration_seconds\": %d, \"min_updates\": %d, \"max_updates\": %d,\n"
  "                   \"fraction\": 1.0, \"server_momentum\": 0.0},\n"
  "  \"reward_policy\": {\"points_per_sample_epoch\": 0.001, \"cap_per_round\": 10},\n"
  "  \"privacy_policy\": {\"clip_norm\": 0, \"noise_multiplier\": 0},\n"
  "  \"initial_weights\": {\"seed\": 42},\n"
  "  \"evaluation\": {\"path\": \"%s\", \"max_samples\": %d}\n"
  "}\n";

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n", _("Usage: tributary-node [--help] [--version] COMMAND [ARGUMENTS…]"));
  fprintf (out, "\n%s\n", _("Host a federated learning network."));
  fprintf (out, "\n%s\n", _("Commands:"));
  fprintf (out, "  init     %s\n", _("Create a network in a data folder"));
  fprintf (out, "  serve    %s\n", _("Serve a network over HTTP"));
  fprintf (out, "  demo     %s\n", _("Set up and serve the Fashion-MNIST demo network"));
  fprintf (out, "  invite   %s\n",
           _("Make, list or revoke invitation codes, each for one wallet"));
  fprintf (out, "\n%s\n", _("Run “tributary-node COMMAND --help” for the options of a command."));
}

static int
fail (const char   *what,
      const GError *error)
{
  g_printerr ("tributary-node: %s: %s\n", what, error->message);
  return 1;
}

static gboolean
parse_options (GOptionContext  *context,
               int             *argc,
               char          ***argv)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("tributary-node: %s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

static int
run_init (int    argc,
          char **argv)
{
  g_autofree char *data = NULL;
  g_autofree char *name = NULL;
  g_autofree char *task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_auto(TrbJoinOptions) join = { 0 };
  const GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data, N_("Folder that will hold the network"),
      N_("DIR") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("The network’s name"), N_("NAME") },
    { "task", 0, 0, G_OPTION_ARG_FILENAME, &task, N_("The task file (JSON)"), N_("TASK.json") },
    { NULL }
  };

  context = g_option_context_new (_("— create a network"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_group (context, trb_join_options_group (&join));
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (data == NULL || name == NULL || task == NULL)
    {
      g_printerr ("tributary-node: %s\n", _("init needs --data, --name and --task."));
      return 2;
    }
  if (!trb_node_init_data (data, name, task, &error))
    return fail (_("the network could not be created"), error);
  if (join.policy != NULL || join.bits != 0)
    {
      g_autoptr(TrbNode) node = trb_node_open (data, &error);

      if (node == NULL || !trb_join_options_apply (&join, node, &error))
        return fail (_("the join policy could not be set"), error);
    }
  /* Translators: the network's name, then the folder that holds it. */
  g_print (_("Network “%s” created in %s.\n"), name, data);
  return 0;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* What `serve` and `demo` share. */
typedef struct
{
  char *data;
  char *listen;
  char **public_urls;
  char *tls_cert;
  char *tls_key;
  char *url_file;
  int   aggregation_delay;
  int   upload_check_delay;
  int   idle_timeout;
  int   join_rate;
  int   upload_rate;
  int   challenge_rate;
  int   max_connections;
  int   max_connections_per_address;
  TrbJoinOptions *join;   /* (nullable) (not owned) */
} ServeOptions;

static void
serve_options_clear (ServeOptions *o)
{
  g_free (o->data);
  g_free (o->listen);
  g_strfreev (o->public_urls);
  g_free (o->tls_cert);
  g_free (o->tls_key);
  g_free (o->url_file);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ServeOptions, serve_options_clear)

static int
serve (const ServeOptions *o)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbNode) node = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *url = NULL;

  if ((o->tls_cert == NULL) != (o->tls_key == NULL))
    {
      g_printerr ("tributary-node: %s\n", _("--tls-cert and --tls-key go together."));
      return 2;
    }
  if (o->tls_cert != NULL)
    {
      certificate = g_tls_certificate_new_from_files (o->tls_cert, o->tls_key, &error);
      if (certificate == NULL)
        return fail (_("the TLS certificate could not be read"), error);
    }

  node = trb_node_open (o->data, &error);
  if (node == NULL)
    return fail (_("the network could not be opened"), error);
  if (o->aggregation_delay > 0)
    trb_node_set_aggregation_delay (node, CLAMP (o->aggregation_delay, 0, 600000));
  if (o->upload_check_delay > 0)
    trb_node_set_upload_check_delay (node, CLAMP (o->upload_check_delay, 0, 600000));
  if (o->idle_timeout > 0)
    trb_node_set_connection_timeout (node, o->idle_timeout);
  trb_node_set_rate_limits (node, CLAMP (o->join_rate, 0, 1000000),
                            CLAMP (o->upload_rate, 0, 1000000));
  trb_node_set_challenge_rate (node, CLAMP (o->challenge_rate, 0, 1000000));
  trb_node_set_connection_limits (node, CLAMP (o->max_connections, 1, 1000000),
                                  CLAMP (o->max_connections_per_address, 1, 1000000));
  if (o->join != NULL && !trb_join_options_apply (o->join, node, &error))
    return fail (_("the join policy could not be set"), error);
  for (guint i = 0; o->public_urls != NULL && o->public_urls[i] != NULL; i++)
    if (!trb_node_add_public_url (node, o->public_urls[i], &error))
      return fail (_("the public URL is not valid"), error);
  if (!trb_node_listen (node, o->listen, certificate, &url, &error))
    return fail (_("the network could not be served"), error);

  if (o->url_file != NULL)
    {
      g_autofree char *line = g_strconcat (url, "\n", NULL);

      if (!g_file_set_contents (o->url_file, line, -1, &error))
        return fail (_("the URL file could not be written"), error);
    }
  g_print (_("Serving at %s\n"), url);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);
  /* An aggregation under way stops between two updates; its round is aggregated again from the
   * store at the next start. */
  trb_node_cancel_work (node);
  return 0;
}

#define PUBLIC_URL_ENTRY \
    { "public-url", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.public_urls, \
      N_("A URL participants reach this node at, which signed requests must be addressed " \
         "under; may be repeated (default: the address listened on)"), N_("URL") }

/* The defaults are the TRB_NODE_DEFAULT_* values of trb-node.h. */
#define CONNECTION_ENTRIES \
    { "challenge-rate", 0, 0, G_OPTION_ARG_INT, &o.challenge_rate, \
      N_("Proof-of-work challenges one address may ask for a minute, 0 for no limit " \
         "(default 120)"), N_("N") }, \
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &o.max_connections, \
      N_("Connections open at once, at most what the limit on open files allows " \
         "(default 1024)"), N_("N") }, \
    { "max-connections-per-address", 0, 0, G_OPTION_ARG_INT, &o.max_connections_per_address, \
      N_("Connections open at once from one address (default 64)"), N_("N") },

static int
run_serve (int    argc,
           char **argv)
{
  g_auto(ServeOptions) o = {
    .idle_timeout = TRB_NODE_CONNECTION_TIMEOUT_S,
    .join_rate = TRB_NODE_DEFAULT_JOINS_PER_MINUTE,
    .upload_rate = TRB_NODE_DEFAULT_UPLOADS_PER_MINUTE,
    .challenge_rate = TRB_NODE_DEFAULT_CHALLENGES_PER_MINUTE,
    .max_connections = TRB_NODE_DEFAULT_MAX_CONNECTIONS,
    .max_connections_per_address = TRB_NODE_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  };
  g_autoptr(GOptionContext) context = NULL;
  g_auto(TrbJoinOptions) join = { 0 };
  const GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &o.data, N_("Folder that holds the network"),
      N_("DIR") },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &o.listen,
      N_("Address and port (port 0: any free one)"), N_("ADDR:PORT") },
    PUBLIC_URL_ENTRY,
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o.tls_cert, N_("TLS certificate (PEM)"),
      N_("FILE") },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o.tls_key, N_("TLS private key (PEM)"),
      N_("FILE") },
    { "url-file", 0, 0, G_OPTION_ARG_FILENAME, &o.url_file,
      N_("Write the URL served to this file"), N_("FILE") },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &o.idle_timeout,
      N_("Close a connection that waits this many seconds for a request (default 30)"),
      N_("SECONDS") },
    { "join-rate", 0, 0, G_OPTION_ARG_INT, &o.join_rate,
      N_("Joins one address may make a minute, 0 for no limit (default 120)"), N_("N") },
    { "upload-rate", 0, 0, G_OPTION_ARG_INT, &o.upload_rate,
      N_("Uploads one address may make a minute, 0 for no limit (default 600)"), N_("N") },
    CONNECTION_ENTRIES
    { "aggregation-delay", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &o.aggregation_delay,
      N_("Wait this many milliseconds before aggregating (for testing)"), N_("MS") },
    { "upload-check-delay", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &o.upload_check_delay,
      N_("Make checking each update take this many milliseconds longer (for testing)"),
      N_("MS") },
    { NULL }
  };

  context = g_option_context_new (_("— serve a network"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_group (context, trb_join_options_group (&join));
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (o.data == NULL || o.listen == NULL)
    {
      g_printerr ("tributary-node: %s\n", _("serve needs --data and --listen."));
      return 2;
    }
  o.join = &join;
  return serve (&o);
}

/* How the demo task's rounds run, from the command line. */
typedef struct
{
  int duration;
  int min_updates;
  int max_updates;
  int holdout;
} DemoRounds;

/* The Fashion-MNIST test images for the demo's hold-out set: in @dataset when given, else
 * Debian's package, else the test part of the demo shard shipped with Tributary. */
static char *
find_demo_images (const char *dataset)
{
  g_autofree char *images = g_build_filename (dataset != NULL ? dataset : DEMO_DATASET_DIR,
                                              "t10k-images-idx3-ubyte.gz", NULL);

  /* Without Debian's Fashion-MNIST (an installed prefix elsewhere, the Flatpak), the
   * hold-out set is the test part of the demo shard shipped with Tributary. */
  if (dataset == NULL && !g_file_test (images, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *demo_dir = trb_dataset_dup_demo_dir ();

      g_free (images);
      images = g_build_filename (demo_dir, "demo-test-images-idx3-ubyte.gz", NULL);
    }
  return g_steal_pointer (&images);
}

/* Creates the demo network in @data unless it holds one already. Returns 0, or the exit
 * status after saying what went wrong. */
static int
ensure_demo_network (const char       *data,
                     const char       *dataset,
                     const DemoRounds *rounds)
{
  g_autofree char *db = g_build_filename (data, "node.db", NULL);
  g_autofree char *images = NULL;
  g_autofree char *task_json = NULL;
  g_autofree char *task_path = NULL;
  g_autofree char *escaped = NULL;
  g_autoptr(GError) error = NULL;

  if (g_file_test (db, G_FILE_TEST_EXISTS))
    return 0;

  images = find_demo_images (dataset);
  if (!g_file_test (images, G_FILE_TEST_IS_REGULAR))
    {
      g_printerr (_("tributary-node: the Fashion-MNIST test set was not found at %s. "
                    "Install the package “dataset-fashion-mnist” or give --dataset.\n"),
                  images);
      return 1;
    }
  if (g_mkdir_with_parents (data, 0700) != 0)
    {
      g_printerr (_("tributary-node: the folder %s could not be created.\n"), data);
      return 1;
    }
  /* The 2NN of the FedAvg paper (784-200-200-10). */
  escaped = g_strescape (images, NULL);
  task_json = g_strdup_printf (demo_task, trb_model_spec_json_2nn (),
                               CLAMP (rounds->duration, 1, 86400),
                               CLAMP (rounds->min_updates, 1, 1000),
                               CLAMP (rounds->max_updates, MAX (rounds->min_updates, 1), 1000),
                               escaped,
                               CLAMP (rounds->holdout, 1, 10000));
  task_path = g_build_filename (data, "demo-task.json", NULL);
  if (!g_file_set_contents (task_path, task_json, -1, &error) ||
      !trb_node_init_data (data, "Fashion-MNIST demo", task_path, &error))
    return fail (_("the demo network could not be created"), error);
  return 0;
}

static int
run_demo (int    argc,
          char **argv)
{
  g_auto(ServeOptions) o = {
    .idle_timeout = TRB_NODE_CONNECTION_TIMEOUT_S,
    .join_rate = TRB_NODE_DEFAULT_JOINS_PER_MINUTE,
    .upload_rate = TRB_NODE_DEFAULT_UPLOADS_PER_MINUTE,
    .challenge_rate = TRB_NODE_DEFAULT_CHALLENGES_PER_MINUTE,
    .max_connections = TRB_NODE_DEFAULT_MAX_CONNECTIONS,
    .max_connections_per_address = TRB_NODE_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  };
  g_autofree char *dataset = NULL;
  /* One person trying the demo alone is enough for a round: it needs one update and closes
   * at most 20 s after it opened, so a reward follows Join within a minute. The app and
   * `build-aux/dev run` both start the demo with these defaults. */
  DemoRounds rounds = { .duration = 20, .min_updates = 1, .max_updates = 10, .holdout = 2000 };
  g_autoptr(GOptionContext) context = NULL;
  int status;
  const GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &o.data, N_("Folder that holds the demo network"),
      N_("DIR") },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &o.listen,
      N_("Address and port (default 127.0.0.1:0)"), N_("ADDR:PORT") },
    PUBLIC_URL_ENTRY,
    { "url-file", 0, 0, G_OPTION_ARG_FILENAME, &o.url_file,
      N_("Write the URL served to this file"), N_("FILE") },
    { "dataset", 0, 0, G_OPTION_ARG_FILENAME, &dataset,
      N_("Fashion-MNIST folder for the evaluation (by default the installed demo data, else "
         "the demo pictures’ test set)"), N_("DIR") },
    { "round-seconds", 0, 0, G_OPTION_ARG_INT, &rounds.duration, N_("Length of a round"),
      N_("N") },
    { "min-updates", 0, 0, G_OPTION_ARG_INT, &rounds.min_updates, N_("Updates a round needs"),
      N_("N") },
    { "max-updates", 0, 0, G_OPTION_ARG_INT, &rounds.max_updates,
      N_("Updates that close a round"), N_("N") },
    { "holdout", 0, 0, G_OPTION_ARG_INT, &rounds.holdout, N_("Hold-out samples for evaluation"),
      N_("N") },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &o.idle_timeout,
      N_("Close a connection that waits this many seconds for a request (default 30)"),
      N_("SECONDS") },
    { "join-rate", 0, 0, G_OPTION_ARG_INT, &o.join_rate,
      N_("Joins one address may make a minute, 0 for no limit (default 120)"), N_("N") },
    { "upload-rate", 0, 0, G_OPTION_ARG_INT, &o.upload_rate,
      N_("Uploads one address may make a minute, 0 for no limit (default 600)"), N_("N") },
    CONNECTION_ENTRIES
    { NULL }
  };

  context = g_option_context_new (_("— set up and serve the Fashion-MNIST demo network"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv))
    return 2;
  if (o.data == NULL)
    {
      g_printerr ("tributary-node: %s\n", _("demo needs --data."));
      return 2;
    }

  status = ensure_demo_network (o.data, dataset, &rounds);
  if (status != 0)
    return status;

  if (o.listen == NULL)
    o.listen = g_strdup ("127.0.0.1:0");
  return serve (&o);
}

int
main (int    argc,
      char **argv)
{
  const char *arg;

  trb_i18n_init ();

  if (argc < 2)
    {
      print_usage (stderr);
      return 2;
    }

  arg = argv[1];
  if (g_str_equal (arg, "--help") || g_str_equal (arg, "-h"))
    {
      print_usage (stdout);
      return 0;
    }
  if (g_str_equal (arg, "--version"))
    {
      printf ("tributary-node %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (g_str_equal (arg, "init") || g_str_equal (arg, "serve") || g_str_equal (arg, "demo") ||
      g_str_equal (arg, "invite"))
    {
      g_autofree char *prgname = g_strconcat ("tributary-node ", arg, NULL);

      /* So that --help shows “tributary-node demo [OPTION…]”. */
      g_set_prgname (prgname);
      if (g_str_equal (arg, "init"))
        return run_init (argc - 1, argv + 1);
      if (g_str_equal (arg, "serve"))
        return run_serve (argc - 1, argv + 1);
      if (g_str_equal (arg, "invite"))
        return trb_node_run_invite (argc - 1, argv + 1);
      return run_demo (argc - 1, argv + 1);
    }

  if (arg[0] == '-')
    g_printerr (_("tributary-node: unknown option “%s”. Run “tributary-node --help” to see what "
                  "it accepts.\n"), arg);
  else
    g_printerr (_("tributary-node: unknown command “%s”. Run “tributary-node --help” to see the "
                  "commands.\n"), arg);
  return 2;
}
