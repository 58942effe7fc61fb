/* trb-node.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The node object: creating a network's data folder, opening it, and its tasks.
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-trainer.h"
#include "compute/trb-weights.h"
#include "ledger/trb-merkle-log.h"
#include "ledger/trb-note-signer.h"
#include "net/trb-client.h"
#include "net/trb-task-config.h"
#include "net/trb-training-set.h"
#include "trb-json.h"
#include "trb-node-connections.h"
#include "trb-node-join-policy.h"
#include "trb-node-receipt.h"

#include "trb-node-db.h"
#include "trb-node-http.h"
#include "trb-node-private.h"
#include "trb-node-rounds.h"

G_DEFINE_FINAL_TYPE (TrbNode, trb_node, G_TYPE_OBJECT)

G_DEFINE_QUARK (trb-node-error-quark, trb_node_error)

static void
task_free (Task *task)
{
  g_free (task->id);
  g_clear_pointer (&task->task, json_object_unref);
  g_free (task->public_json);
  g_clear_object (&task->spec);
  g_clear_pointer (&task->holdout, g_object_unref);
  g_free (task->model_hash);
  g_clear_pointer (&task->periods, g_array_unref);
  g_free (task);
}

/**
 * trb_node_cancel_work:
 * @self: a node
 *
 * Cancels the node's workers as it shuts down: an upload being checked is answered `busy`, and
 * an aggregation stops between two updates, its round left as committed (aggregating), so that
 * the node started again aggregates it afresh. Called by `serve` when it is told to quit and by
 * dispose.
 */
void
trb_node_cancel_work (TrbNode *self)
{
  g_return_if_fail (TRB_IS_NODE (self));
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

static void
trb_node_dispose (GObject *object)
{
  TrbNode *self = TRB_NODE (object);

  trb_node_cancel_work (self);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  trb_node_connections_shutdown (self);
  g_clear_pointer (&self->join_buckets, g_hash_table_unref);
  g_clear_pointer (&self->challenge_buckets, g_hash_table_unref);
  g_clear_pointer (&self->join_policy, trb_join_policy_free);
  g_clear_pointer (&self->upload_buckets, g_hash_table_unref);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_clear_pointer (&self->sockets, g_ptr_array_unref);
  g_clear_object (&self->signer);
  g_clear_object (&self->log);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (trb_node_parent_class)->dispose (object);
}

static void
trb_node_finalize (GObject *object)
{
  TrbNode *self = TRB_NODE (object);

  if (self->secret_key != NULL)
    sodium_free (self->secret_key);
  g_free (self->data_dir);
  g_free (self->name);
  g_free (self->origin);
  g_free (self->ledger_key);
  g_clear_pointer (&self->public_urls, g_ptr_array_unref);
  g_clear_pointer (&self->public_authorities, g_ptr_array_unref);
  g_clear_pointer (&self->tasks, g_hash_table_unref);
  g_clear_pointer (&self->nonces, g_hash_table_unref);
  g_queue_clear_full (&self->events, (GDestroyNotify) json_node_unref);
  g_queue_clear_full (&self->checks, g_object_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (trb_node_parent_class)->finalize (object);
}

static void
trb_node_class_init (TrbNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = trb_node_dispose;
  object_class->finalize = trb_node_finalize;

  if (sodium_init () < 0)
    g_error ("libsodium could not be initialised");
}

static void
trb_node_init (TrbNode *self)
{
  self->tasks = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) task_free);
  self->cancellable = g_cancellable_new ();
  self->nonces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->public_urls = g_ptr_array_new_with_free_func (g_free);
  self->public_authorities = g_ptr_array_new_with_free_func (g_free);
  self->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  self->max_connections = TRB_NODE_DEFAULT_MAX_CONNECTIONS;
  self->max_connections_per_host = TRB_NODE_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
  self->connection_timeout_s = TRB_NODE_CONNECTION_TIMEOUT_S;
  self->join_buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->upload_buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->challenge_buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->challenge_rate = TRB_NODE_DEFAULT_CHALLENGES_PER_MINUTE;
  self->join_rate = TRB_NODE_DEFAULT_JOINS_PER_MINUTE;
  self->upload_rate = TRB_NODE_DEFAULT_UPLOADS_PER_MINUTE;
  g_queue_init (&self->events);
  g_queue_init (&self->checks);
  self->next_event_seq = 1;
}

static char *
data_path (const char *data_dir,
           const char *name)
{
  return g_build_filename (data_dir, name, NULL);
}

/* The round and reward policies, each clamped to a range the node can serve. */
static void
read_task_policies (Task       *task,
                    JsonObject *obj)
{
  TrbTaskRewards reward;

  task->duration = CLAMP ((gint64) trb_client_task_number (obj, "round_policy",
                                                            "duration_seconds", 120),
                          1, 7 * 24 * 3600);
  task->min_updates = CLAMP ((gint64) trb_client_task_number (obj, "round_policy",
                                                               "min_updates", 1),
                             1, 100000);
  task->max_updates = CLAMP ((gint64) trb_client_task_number (obj, "round_policy",
                                                               "max_updates", 100),
                             task->min_updates, 100000);
  /* The same reading a participant checks its rewards with. */
  trb_task_rewards (obj, &reward);
  task->points_per_sample_epoch = reward.points_per_sample_epoch;
  task->cap_per_round = reward.cap_per_round;
  task->local_epochs = reward.local_epochs;
  task->fraction = CLAMP (trb_client_task_number (obj, "round_policy", "fraction", 1.0), 0.001,
                          1.0);
  /* No value of an update may be larger: training steps are small, and a bound keeps the sum
   * of any number of updates far from overflowing a float. */
  task->max_update_value = CLAMP (trb_client_task_number (obj, "round_policy",
                                                          "max_update_value",
                                                          TRB_NODE_DEFAULT_MAX_UPDATE_VALUE),
                                  1e-6, G_MAXFLOAT);
}

/* What participants see: the task without the node's own file paths. */
static char *
public_task_json (JsonNode *root)
{
  /* A deep copy: json_node_copy() would share the object. */
  g_autofree char *text = json_to_string (root, FALSE);
  g_autoptr(JsonNode) copy = json_from_string (text, NULL);
  JsonObject *pub = json_node_get_object (copy);

  json_object_remove_member (pub, "initial_weights");
  json_object_remove_member (pub, "evaluation");
  return trb_node_json_to_string (copy);
}

static Task *
task_new_from_json (const char  *json,
                    GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  Task *task;
  JsonObject *obj;
  JsonNode *model;
  const char *id;

  if (strlen (json) > TRB_PROTOCOL_MAX_JSON_BODY)
    {
      g_set_error_literal (error, TRB_NODE_ERROR, TRB_NODE_ERROR_INVALID_TASK,
                           _("The task file is too large."));
      return NULL;
    }
  root = trb_json_from_string_bounded (json, &local_error);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, TRB_NODE_ERROR, TRB_NODE_ERROR_INVALID_TASK,
                   _("The task file is not valid JSON: %s"),
                   local_error ? local_error->message : _("it is not an object"));
      return NULL;
    }
  obj = json_node_get_object (root);
  id = trb_json_get_string (obj, "id", NULL);
  if (id == NULL || strlen (id) < 1 || strlen (id) > 64 ||
      strspn (id, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen (id))
    {
      g_set_error_literal (error, TRB_NODE_ERROR, TRB_NODE_ERROR_INVALID_TASK,
                           _("The task needs an “id” of lower-case letters, digits and dashes."));
      return NULL;
    }
  model = json_object_get_member (obj, "model");
  if (model == NULL || !JSON_NODE_HOLDS_OBJECT (model))
    {
      g_set_error_literal (error, TRB_NODE_ERROR, TRB_NODE_ERROR_INVALID_TASK,
                           _("The task does not describe its model."));
      return NULL;
    }

  /* The participants' own check, so that the operator reads at once the sentence every
   * participant would otherwise answer the task with. */
  {
    TrbTrainerConfig config = { 0 };

    if (!trb_task_training_config (obj, &config, &local_error))
      {
        g_set_error (error, TRB_NODE_ERROR, TRB_NODE_ERROR_INVALID_TASK,
                     /* Translators: a task's id, then a sentence on its training settings. */
                     _("Task “%s”: %s"), id, local_error->message);
        return NULL;
      }
  }

  task = g_new0 (Task, 1);
  task->id = g_strdup (id);
  task->periods = g_array_new (FALSE, FALSE, sizeof (RoundPeriod));
  task->task = json_object_ref (obj);
  {
    g_autofree char *spec_json = json_to_string (model, FALSE);

    task->spec = trb_model_spec_new_from_json (spec_json, -1, error);
  }
  if (task->spec == NULL)
    {
      task_free (task);
      return NULL;
    }
  read_task_policies (task, obj);
  /* A strategy the node cannot run is refused here, with the member at fault, rather than
   * found out when the first round closes. */
  if (!trb_aggregation_config_parse (obj, &task->aggregation, &local_error))
    {
      g_set_error_literal (error, TRB_NODE_ERROR, TRB_NODE_ERROR_INVALID_TASK,
                           local_error->message);
      task_free (task);
      return NULL;
    }
  {
    JsonNode *publish = json_object_get_member (obj, "publish_updates");

    if (publish != NULL && (!JSON_NODE_HOLDS_VALUE (publish) ||
                            json_node_get_value_type (publish) != G_TYPE_BOOLEAN))
      {
        g_set_error (error, TRB_NODE_ERROR, TRB_NODE_ERROR_INVALID_TASK,
                     /* Translators: a task's id; “publish_updates” is a setting's name. */
                     _("Task “%s”: “publish_updates” must be true or false."), id);
        task_free (task);
        return NULL;
      }
    task->publish_updates = publish != NULL && json_node_get_boolean (publish);
  }
  task->public_json = public_task_json (root);
  return task;
}

/* ---- init --------------------------------------------------------------------------------- */

static char *
make_origin (const char *name)
{
  GString *slug = g_string_new ("tributary/");
  gboolean dash = FALSE;

  for (const char *p = name; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p))
        {
          g_string_append_c (slug, g_ascii_tolower (*p));
          dash = FALSE;
        }
      else if (!dash && slug->len > strlen ("tributary/"))
        {
          g_string_append_c (slug, '-');
          dash = TRUE;
        }
      if (slug->len >= 64)
        break;
    }
  while (slug->str[slug->len - 1] == '-')
    g_string_truncate (slug, slug->len - 1);
  if (slug->len == strlen ("tributary/"))
    g_string_append (slug, "network");
  return g_string_free (slug, FALSE);
}

static gboolean
write_key_file (const char  *path,
                GError     **error)
{
  guint8 *seed = sodium_malloc (32);
  char *hex = sodium_malloc (65);
  int fd;
  gboolean ok = FALSE;

  randombytes_buf (seed, 32);
  sodium_bin2hex (hex, 65, seed, 32);
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("The ledger key could not be created: %s"), g_strerror (saved));
    }
  else
    {
      ok = write (fd, hex, 64) == 64 && write (fd, "\n", 1) == 1 && fsync (fd) == 0;
      close (fd);
      if (!ok)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                             _("The ledger key could not be written."));
    }
  sodium_free (seed);
  sodium_free (hex);
  return ok;
}

static guint8 *
read_key_file (const char  *path,
               GError     **error)
{
  g_autofree char *contents = NULL;
  guint8 *secret_key;
  guint8 seed[32];
  guint8 public_key[32];
  gsize len = 0, bin_len = 0;
  GStatBuf st;

  if (g_stat (path, &st) != 0 || (st.st_mode & 077) != 0)
    {
      g_set_error_literal (error, TRB_NODE_ERROR, TRB_NODE_ERROR_NOT_INITIALISED,
                           _("The ledger key is missing or readable by others; it must exist "
                             "with mode 0600."));
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  if (len < 64 || sodium_hex2bin (seed, 32, contents, 64, NULL, &bin_len, NULL) != 0 ||
      bin_len != 32)
    {
      sodium_memzero (contents, len);
      g_set_error_literal (error, TRB_NODE_ERROR, TRB_NODE_ERROR_NOT_INITIALISED,
                           _("The ledger key file is damaged."));
      return NULL;
    }
  sodium_memzero (contents, len);
  secret_key = sodium_malloc (64);
  crypto_sign_seed_keypair (public_key, secret_key, seed);
  sodium_memzero (seed, sizeof seed);
  return secret_key;
}

static TrbWeights *
initial_weights (Task        *task,
                 const char  *task_dir,
                 GError     **error)
{
  JsonNode *node = json_object_get_member (task->task, "initial_weights");
  JsonObject *obj;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return trb_model_spec_init_weights (task->spec, 42);
  obj = json_node_get_object (node);
  if (json_object_has_member (obj, "path"))
    {
      g_autofree char *path = NULL;
      g_autoptr(TrbWeights) loaded = NULL;
      const char *rel = trb_json_get_string (obj, "path", "");

      path = g_path_is_absolute (rel) ? g_strdup (rel) : g_build_filename (task_dir, rel, NULL);
      loaded = trb_weights_load (path, 512 * 1024 * 1024, error);
      if (loaded == NULL)
        return NULL;
      return trb_model_spec_conform_weights (task->spec, loaded, error);
    }
  return trb_model_spec_init_weights (task->spec,
                                      json_object_get_int_member_with_default (obj, "seed", 42));
}

GBytes *
trb_node_weights_blob (TrbWeights  *weights,
                       char       **hash)
{
  GBytes *blob = trb_weights_to_safetensors (weights);

  *hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, blob);
  return blob;
}

/* The task's evaluation hold-out with its path made absolute (relative paths are relative
 * to the task file), or %NULL when the task has none. It is read at serve time. */
static char *
evaluation_json (Task       *task,
                 const char *task_dir)
{
  JsonNode *node = json_object_get_member (task->task, "evaluation");
  g_autofree char *abs = NULL;
  g_autoptr(JsonNode) copy = NULL;
  const char *rel;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  rel = trb_json_get_string (json_node_get_object (node), "path", NULL);
  if (rel == NULL)
    return NULL;

  abs = g_path_is_absolute (rel) ? g_strdup (rel) : g_build_filename (task_dir, rel, NULL);
  copy = json_node_copy (node);
  json_object_set_string_member (json_node_get_object (copy), "path", abs);
  return json_to_string (copy, FALSE);
}

static gboolean
make_data_dir (const char  *data_dir,
               GError     **error)
{
  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   /* Translators: the folder's name, then the reason. */
                   _("The folder “%s” could not be created: %s"), data_dir, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/**
 * trb_node_init_data:
 * @data_dir: the folder to create the network in
 * @name: the network's name
 * @task_path: the task file
 * @error: return location for an error
 *
 * Creates a network: ledger key (mode 0600), store, task, initial model and round 1.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_node_init_data (const char  *data_dir,
                    const char  *name,
                    const char  *task_path,
                    GError     **error)
{
  g_autofree char *key_path = data_path (data_dir, "ledger.key");
  g_autofree char *db_path = data_path (data_dir, "node.db");
  g_autofree char *json = NULL;
  g_autofree char *task_dir = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *evaluation = NULL;
  g_autoptr(TrbWeights) weights = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(TrbNode) self = NULL;
  Task *task;
  gsize len = 0;

  g_return_val_if_fail (data_dir != NULL && name != NULL && task_path != NULL, FALSE);

  if (strlen (name) == 0 || strlen (name) > 100)
    {
      g_set_error_literal (error, TRB_NODE_ERROR, TRB_NODE_ERROR_INVALID_TASK,
                           _("The network name must have 1 to 100 characters."));
      return FALSE;
    }
  if (g_file_test (db_path, G_FILE_TEST_EXISTS) || g_file_test (key_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, TRB_NODE_ERROR, TRB_NODE_ERROR_EXISTS,
                   _("“%s” already holds a network."), data_dir);
      return FALSE;
    }
  if (!g_file_get_contents (task_path, &json, &len, error))
    return FALSE;
  task = task_new_from_json (json, error);
  if (task == NULL)
    return FALSE;
  task_dir = g_path_get_dirname (task_path);

  self = g_object_new (TRB_TYPE_NODE, NULL);
  g_hash_table_insert (self->tasks, task->id, task);

  evaluation = evaluation_json (task, task_dir);

  weights = initial_weights (task, task_dir, error);
  if (weights == NULL)
    return FALSE;

  if (!make_data_dir (data_dir, error) || !write_key_file (key_path, error))
    return FALSE;
  self->store = trb_node_db_open_store (data_dir, error);
  if (self->store == NULL)
    return FALSE;
  self->log = trb_merkle_log_new_for_store (self->store, error);
  if (self->log == NULL)
    return FALSE;

  origin = make_origin (name);
  blob = trb_node_weights_blob (weights, &hash);

  if (!trb_node_db_begin (self, error))
    return FALSE;
  if (!trb_node_db_add_network (self, name, origin, g_get_real_time () / G_USEC_PER_SEC, error) ||
      !trb_node_db_add_task (self, task->id, json, evaluation, error) ||
      !trb_node_db_store_blob (self, hash, blob, error) ||
      !trb_node_open_round (self, task, 1, hash, error) || !trb_node_db_commit (self, error))
    goto fail;
  return TRUE;

fail:
  trb_node_db_rollback (self);
  return FALSE;
}

/* ---- open --------------------------------------------------------------------------------- */

static gboolean
load_tasks (TrbNode  *self,
            GError  **error)
{
  g_autoptr(GPtrArray) jsons = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) evaluations = g_ptr_array_new_with_free_func (g_free);

  if (!trb_node_db_list_tasks (self, jsons, evaluations, error))
    return FALSE;
  for (guint t = 0; t < jsons->len; t++)
    {
      const char *evaluation = g_ptr_array_index (evaluations, t);
      Task *task = task_new_from_json (g_ptr_array_index (jsons, t), error);
      gboolean found = FALSE;

      if (task == NULL)
        return FALSE;
      g_hash_table_insert (self->tasks, task->id, task);

      if (evaluation != NULL)
        {
          g_autoptr(JsonNode) node = json_from_string (evaluation, NULL);
          g_autoptr(GError) local_error = NULL;
          JsonObject *obj = node != NULL && JSON_NODE_HOLDS_OBJECT (node)
                              ? json_node_get_object (node) : NULL;

          if (obj != NULL)
            task->holdout = trb_training_set_load (
              trb_json_get_string (obj, "path", ""), 0, 1,
              CLAMP (json_object_get_int_member_with_default (obj, "max_samples", 2000), 0,
                     TRB_TRAINING_SET_MAX_SAMPLES),
              NULL, &local_error);
          if (task->holdout == NULL)
            g_warning ("Task %s will not be evaluated: %s", task->id,
                       local_error ? local_error->message : "bad evaluation settings");
          else
            {
              TrbDataSource source;

              trb_training_set_get_source (task->holdout, &source);
              if (!trb_data_source_check (&source, task->spec, &local_error))
                {
                  g_warning ("Task %s will not be evaluated: %s", task->id, local_error->message);
                  g_clear_pointer (&task->holdout, g_object_unref);
                }
            }
        }

      if (!trb_node_db_load_round (self, task, &found, error))
        return FALSE;
      if (found && !trb_node_load_round_periods (self, task, error))
        return FALSE;
      if (!found)
        {
          g_set_error_literal (error, TRB_NODE_ERROR, TRB_NODE_ERROR_NOT_INITIALISED,
                               _("The network’s store has no round; it is damaged."));
          return FALSE;
        }
    }
  if (g_hash_table_size (self->tasks) == 0)
    {
      g_set_error_literal (error, TRB_NODE_ERROR, TRB_NODE_ERROR_NOT_INITIALISED,
                           _("The network has no task."));
      return FALSE;
    }
  return TRUE;
}

/**
 * trb_node_open:
 * @data_dir: a folder made by trb_node_init_data()
 * @error: return location for an error
 *
 * Returns: (transfer full): the node, or %NULL
 */
TrbNode *
trb_node_open (const char  *data_dir,
               GError     **error)
{
  g_autoptr(TrbNode) self = g_object_new (TRB_TYPE_NODE, NULL);
  g_autofree char *key_path = data_path (data_dir, "ledger.key");
  g_autofree char *db_path = data_path (data_dir, "node.db");
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);

  if (sodium_init () < 0)
    g_error ("libsodium could not be initialised");

  if (!g_file_test (db_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, TRB_NODE_ERROR, TRB_NODE_ERROR_NOT_INITIALISED,
                   _("“%s” holds no network. Create one with “tributary-node init”."), data_dir);
      return NULL;
    }
  self->data_dir = g_strdup (data_dir);
  self->secret_key = read_key_file (key_path, error);
  if (self->secret_key == NULL)
    return NULL;
  self->store = trb_node_db_open_store (data_dir, error);
  if (self->store == NULL)
    return NULL;
  self->log = trb_merkle_log_new_for_store (self->store, error);
  if (self->log == NULL)
    return NULL;

  if (!trb_node_db_load_network (self, &self->name, &self->origin, &local_error))
    {
      g_set_error (error, TRB_NODE_ERROR, TRB_NODE_ERROR_FAILED,
                   /* Translators: the reason follows. */
                   _("The network’s store could not be read: %s"), local_error->message);
      return NULL;
    }
  if (self->name == NULL)
    {
      g_set_error_literal (error, TRB_NODE_ERROR, TRB_NODE_ERROR_NOT_INITIALISED,
                           _("The network’s store is incomplete."));
      return NULL;
    }

  /* The seed is the first half of libsodium's secret key. */
  self->signer = trb_note_signer_new (self->origin, TRB_NOTE_KEY_ED25519, self->secret_key,
                                      error);
  if (self->signer == NULL)
    return NULL;
  self->ledger_key = trb_note_verifier_to_string (trb_note_signer_get_verifier (self->signer));

  if (!load_tasks (self, error))
    return NULL;
  self->join_policy = trb_join_policy_new (self->store, self->secret_key, error);
  if (self->join_policy == NULL)
    return NULL;

  /* Nonces still inside the skew window survive a restart, so a replay stays a replay. */
  if (!trb_node_db_load_nonces (self, self->nonces, error))
    return NULL;

  self->tick_id = g_timeout_add (TICK_MS, trb_node_tick_cb, self);
  return g_steal_pointer (&self);
}
