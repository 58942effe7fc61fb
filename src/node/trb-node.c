/* trb-node.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-trainer.h"
#include "compute/trb-weights.h"
#include "ledger/trb-canonical-json.h"
#include "ledger/trb-checkpoint.h"
#include "ledger/trb-ledger-entry.h"
#include "ledger/trb-merkle-log.h"
#include "ledger/trb-note-signer.h"
#include "net/trb-client.h"
#include "net/trb-http-signature.h"
#include "net/trb-training-set.h"
#include "store/trb-store.h"
#include "trb-json.h"
#include "trb-node-join-policy.h"
#include "trb-node-receipt.h"

static char *node_json_to_string (JsonNode *node);

#define PROTOCOL_VERSION       1
#define MAX_JSON_BODY          (64 * 1024)
#define MAX_UPDATE_BODY        (64 * 1024 * 1024)
#define MAX_ENTRIES_PER_PAGE   1000
#define MAX_EVENTS_KEPT        1000
#define MAX_SAFETENSORS_HEADER (1024 * 1024)
#define TICK_MS                200
#define PROBLEM_BASE           "https://tributary.invalid/problems/"

static const char * const node_schema[] = {
  "CREATE TABLE network (id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL,"
  "  origin TEXT NOT NULL, created INTEGER NOT NULL);"
  "CREATE TABLE tasks (id TEXT PRIMARY KEY, json TEXT NOT NULL, evaluation TEXT);"
  "CREATE TABLE blobs (hash TEXT PRIMARY KEY, data BLOB NOT NULL);"
  "CREATE TABLE participants (address TEXT PRIMARY KEY, display_name TEXT,"
  "  joined INTEGER NOT NULL, leaf_index INTEGER NOT NULL);"
  "CREATE TABLE rounds (task TEXT NOT NULL, round INTEGER NOT NULL, state TEXT NOT NULL,"
  "  model TEXT NOT NULL, deadline INTEGER NOT NULL, PRIMARY KEY (task, round));"
  "CREATE TABLE updates (task TEXT NOT NULL, round INTEGER NOT NULL, participant TEXT NOT NULL,"
  "  hash TEXT NOT NULL, samples INTEGER NOT NULL, epochs INTEGER NOT NULL,"
  "  leaf_index INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (task, round, participant));"
  "CREATE TABLE nonces (nonce TEXT PRIMARY KEY, expires INTEGER NOT NULL);"
  "CREATE TABLE checkpoints (tree_size INTEGER PRIMARY KEY, note TEXT NOT NULL);"
  "CREATE TABLE cosignatures (tree_size INTEGER NOT NULL, participant TEXT NOT NULL,"
  "  line TEXT NOT NULL, PRIMARY KEY (tree_size, participant));",
  /* The server momentum of each task, as safetensors. */
  "CREATE TABLE momentum (task TEXT PRIMARY KEY, data BLOB NOT NULL);",
};

typedef enum
{
  ROUND_OPEN,
  ROUND_COLLECTING,
  ROUND_AGGREGATING,
  ROUND_CLOSED,
} RoundState;

static const char * const round_state_names[] = { "open", "collecting", "aggregating", "closed" };

typedef struct
{
  char       *id;
  JsonObject *task;
  char       *public_json;
  TrbModelSpec *spec;
  TrbTrainingSet *holdout;
  /* Policies. */
  gint64      duration;
  gint64      min_updates;
  gint64      max_updates;
  double      points_per_sample_epoch;
  double      cap_per_round;
  double      server_momentum;
  double      fraction;
  double      max_update_value;
  /* The current round. */
  gint64      round;
  RoundState  state;
  char       *model_hash;
  gint64      deadline;
  gint64      n_updates;
  gboolean    aggregation_running;
} Task;

struct _TrbNode
{
  GObject          parent_instance;

  char            *data_dir;
  TrbStore        *store;
  TrbMerkleLog    *log;
  TrbNoteSigner   *signer;
  guint8          *secret_key;     /* sodium_malloc'd, 64 bytes */
  char            *name;
  char            *origin;
  char            *ledger_key;
  GHashTable      *tasks;          /* id → Task */
  GHashTable      *nonces;         /* nonce → expiry */
  SoupServer      *server;
  GPtrArray       *sockets;
  GQueue           events;         /* JsonNode*, oldest first */
  gint64           next_event_seq;
  guint            tick_id;
  GHashTable      *connections;  /* GSocket → Connection */
  GHashTable      *join_buckets;    /* remote address → Bucket */
  GHashTable      *upload_buckets;
  guint            join_rate;       /* per minute and address; 0 for no limit */
  guint            upload_rate;
  guint            connection_timeout_s;
  guint            sweep_id;
  guint            aggregation_delay_ms;
  TrbJoinPolicy   *join_policy;
};

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
  g_free (task);
}

static void
trb_node_dispose (GObject *object)
{
  TrbNode *self = TRB_NODE (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_clear_pointer (&self->join_buckets, g_hash_table_unref);
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
  g_clear_pointer (&self->tasks, g_hash_table_unref);
  g_clear_pointer (&self->nonces, g_hash_table_unref);
  g_queue_clear_full (&self->events, (GDestroyNotify) json_node_unref);

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
  self->nonces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  self->connections = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref,
                                             g_free);
  self->connection_timeout_s = TRB_NODE_CONNECTION_TIMEOUT_S;
  self->join_buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->upload_buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->join_rate = TRB_NODE_DEFAULT_JOINS_PER_MINUTE;
  self->upload_rate = TRB_NODE_DEFAULT_UPLOADS_PER_MINUTE;
  g_queue_init (&self->events);
  self->next_event_seq = 1;
}

/* ---- storage helpers ---------------------------------------------------------------------- */

static sqlite3_stmt *
prepare (TrbNode     *self,
         const char  *sql)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (trb_store_get_db (self->store), sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("Statement does not compile: %s (%s)", sql,
             sqlite3_errmsg (trb_store_get_db (self->store)));
  return stmt;
}

static gboolean
step_done (TrbNode       *self,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return trb_store_set_error_from_db (self->store, error);
  return TRUE;
}

static gboolean
begin (TrbNode  *self,
       GError  **error)
{
  return trb_store_exec (self->store, "BEGIN IMMEDIATE", error);
}

static gboolean
commit (TrbNode  *self,
        GError  **error)
{
  return trb_store_exec (self->store, "COMMIT", error);
}

static void
rollback (TrbNode *self)
{
  trb_store_exec (self->store, "ROLLBACK", NULL);
}

static char *
data_path (const char *data_dir,
           const char *name)
{
  return g_build_filename (data_dir, name, NULL);
}

static gboolean
store_blob (TrbNode     *self,
            const char  *hash,
            GBytes      *bytes,
            GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "INSERT OR IGNORE INTO blobs (hash, data) "
                                                "VALUES (?, ?)");
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);

  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob64 (stmt, 2, data, len, SQLITE_STATIC);
  return step_done (self, stmt, error);
}

static GBytes *
load_blob (TrbNode    *self,
           const char *hash)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT data FROM blobs WHERE hash = ?");

  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
}

static gboolean
append_entry (TrbNode     *self,
              char        *entry,
              gsize        length,
              guint64     *index,
              GError     **error)
{
  g_autofree char *owned = entry;

  if (owned == NULL)
    return FALSE;
  return trb_merkle_log_append (self->log, (const guint8 *)owned, length, index, error);
}

/* ---- events ------------------------------------------------------------------------------- */

static void
emit_round_event (TrbNode *self,
                  Task    *task)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *text = NULL;
  JsonNode *node;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "seq");
  json_builder_add_int_value (b, self->next_event_seq++);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "round");
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, task->id);
  json_builder_set_member_name (b, "round");
  json_builder_add_int_value (b, task->round);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, round_state_names[task->state]);
  json_builder_end_object (b);
  node = json_builder_get_root (b);

  g_queue_push_tail (&self->events, node);
  while (g_queue_get_length (&self->events) > MAX_EVENTS_KEPT)
    json_node_unref (g_queue_pop_head (&self->events));

  text = json_to_string (node, FALSE);
  for (guint i = 0; i < self->sockets->len; i++)
    {
      SoupWebsocketConnection *ws = g_ptr_array_index (self->sockets, i);

      if (soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_send_text (ws, text);
    }
}

/* ---- tasks and rounds --------------------------------------------------------------------- */

static gboolean
save_round (TrbNode  *self,
            Task     *task,
            GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "INSERT OR REPLACE INTO rounds "
                                                "(task, round, state, model, deadline) "
                                                "VALUES (?, ?, ?, ?, ?)");

  sqlite3_bind_text (stmt, 1, task->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, task->round);
  sqlite3_bind_text (stmt, 3, round_state_names[task->state], -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, task->model_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, task->deadline);
  return step_done (self, stmt, error);
}

/* Opens round @round of @task on the model @model_hash: the rounds row and its ledger entry.
 * Must run inside a transaction. */
static gboolean
open_round (TrbNode     *self,
            Task        *task,
            gint64       round,
            const char  *model_hash,
            GError     **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gsize len = 0;
  char *entry;

  task->round = round;
  task->state = ROUND_OPEN;
  g_free (task->model_hash);
  task->model_hash = g_strdup (model_hash);
  task->deadline = now + task->duration;
  task->n_updates = 0;

  if (!save_round (self, task, error))
    return FALSE;
  entry = trb_ledger_entry_build_round_opened (task->id, round, model_hash, task->deadline, now,
                                               &len, error);
  return append_entry (self, entry, len, NULL, error);
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

  if (strlen (json) > MAX_JSON_BODY)
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

  task = g_new0 (Task, 1);
  task->id = g_strdup (id);
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
  task->duration = CLAMP ((gint64) trb_client_task_number (obj, "round_policy",
                                                            "duration_seconds", 120),
                          1, 7 * 24 * 3600);
  task->min_updates = CLAMP ((gint64) trb_client_task_number (obj, "round_policy",
                                                               "min_updates", 1),
                             1, 100000);
  task->max_updates = CLAMP ((gint64) trb_client_task_number (obj, "round_policy",
                                                               "max_updates", 100),
                             task->min_updates, 100000);
  task->points_per_sample_epoch = CLAMP (trb_client_task_number (obj, "reward_policy",
                                                                 "points_per_sample_epoch",
                                                                 0.001),
                                         0, 1e6);
  task->cap_per_round = CLAMP (trb_client_task_number (obj, "reward_policy", "cap_per_round",
                                                       10), 0, 1e9);
  task->fraction = CLAMP (trb_client_task_number (obj, "round_policy", "fraction", 1.0), 0.001,
                          1.0);
  /* No value of an update may be larger: training steps are small, and a bound keeps the sum
   * of any number of updates far from overflowing a float. */
  task->max_update_value = CLAMP (trb_client_task_number (obj, "round_policy",
                                                          "max_update_value",
                                                          TRB_NODE_DEFAULT_MAX_UPDATE_VALUE),
                                  1e-6, G_MAXFLOAT);
  task->server_momentum = CLAMP (trb_client_task_number (obj, "round_policy", "server_momentum",
                                                         0), 0, 0.999);

  /* What participants see: the task without the node's own file paths. */
  {
    /* A deep copy: json_node_copy() would share the object. */
    g_autofree char *text = json_to_string (root, FALSE);
    g_autoptr(JsonNode) copy = json_from_string (text, NULL);
    JsonObject *pub = json_node_get_object (copy);

    json_object_remove_member (pub, "initial_weights");
    json_object_remove_member (pub, "evaluation");
    task->public_json = node_json_to_string (copy);
  }
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

static TrbStore *
open_store (const char  *data_dir,
            GError     **error)
{
  g_autofree char *db_path = data_path (data_dir, "node.db");
  g_autoptr(TrbStore) store = trb_store_new_for_path (db_path, error);

  if (store == NULL)
    return NULL;
  if (!trb_store_migrate (store, "node", node_schema, G_N_ELEMENTS (node_schema), error))
    return NULL;
  return g_steal_pointer (&store);
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

static GBytes *
weights_blob (TrbWeights  *weights,
              char       **hash)
{
  GBytes *blob = trb_weights_to_safetensors (weights);

  *hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, blob);
  return blob;
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
  g_autoptr(sqlite3_stmt) stmt = NULL;
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

  /* Evaluation hold-out: resolved to an absolute path now, read at serve time. */
  {
    JsonNode *node = json_object_get_member (task->task, "evaluation");

    if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
      {
        JsonObject *obj = json_node_get_object (node);
        const char *rel = trb_json_get_string (obj, "path", NULL);

        if (rel != NULL)
          {
            g_autofree char *abs = g_path_is_absolute (rel) ? g_strdup (rel)
                                                            : g_build_filename (task_dir, rel, NULL);
            g_autoptr(JsonNode) copy = json_node_copy (node);

            json_object_set_string_member (json_node_get_object (copy), "path", abs);
            evaluation = json_to_string (copy, FALSE);
          }
      }
  }

  weights = initial_weights (task, task_dir, error);
  if (weights == NULL)
    return FALSE;

  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("The folder “%s” could not be created: %s"), data_dir, g_strerror (saved));
      return FALSE;
    }
  if (!write_key_file (key_path, error))
    return FALSE;
  self->store = open_store (data_dir, error);
  if (self->store == NULL)
    return FALSE;
  self->log = trb_merkle_log_new_for_store (self->store, error);
  if (self->log == NULL)
    return FALSE;

  origin = make_origin (name);
  blob = weights_blob (weights, &hash);

  if (!begin (self, error))
    return FALSE;
  stmt = prepare (self, "INSERT INTO network (id, name, origin, created) VALUES (1, ?, ?, ?)");
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, origin, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time () / G_USEC_PER_SEC);
  if (!step_done (self, stmt, error))
    goto fail;
  g_clear_pointer (&stmt, sqlite3_finalize);
  stmt = prepare (self, "INSERT INTO tasks (id, json, evaluation) VALUES (?, ?, ?)");
  sqlite3_bind_text (stmt, 1, task->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, json, -1, SQLITE_TRANSIENT);
  if (evaluation != NULL)
    sqlite3_bind_text (stmt, 3, evaluation, -1, SQLITE_TRANSIENT);
  if (!step_done (self, stmt, error) || !store_blob (self, hash, blob, error) ||
      !open_round (self, task, 1, hash, error) || !commit (self, error))
    goto fail;
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

/* ---- open --------------------------------------------------------------------------------- */

static gboolean
load_tasks (TrbNode  *self,
            GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT json, evaluation FROM tasks");

  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(sqlite3_stmt) round_stmt = NULL;
      g_autoptr(sqlite3_stmt) count_stmt = NULL;
      const char *evaluation = (const char *)sqlite3_column_text (stmt, 1);
      Task *task = task_new_from_json ((const char *)sqlite3_column_text (stmt, 0), error);

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

      round_stmt = prepare (self, "SELECT round, state, model, deadline FROM rounds WHERE task = ? "
                                  "ORDER BY round DESC LIMIT 1");
      sqlite3_bind_text (round_stmt, 1, task->id, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (round_stmt) != SQLITE_ROW)
        {
          g_set_error_literal (error, TRB_NODE_ERROR, TRB_NODE_ERROR_NOT_INITIALISED,
                               _("The network’s store has no round; it is damaged."));
          return FALSE;
        }
      task->round = sqlite3_column_int64 (round_stmt, 0);
      task->state = ROUND_OPEN;
      for (guint i = 0; i < G_N_ELEMENTS (round_state_names); i++)
        if (g_str_equal (round_state_names[i], (const char *)sqlite3_column_text (round_stmt, 1)))
          task->state = i;
      task->model_hash = g_strdup ((const char *)sqlite3_column_text (round_stmt, 2));
      task->deadline = sqlite3_column_int64 (round_stmt, 3);

      count_stmt = prepare (self, "SELECT count(*) FROM updates WHERE task = ? AND round = ?");
      sqlite3_bind_text (count_stmt, 1, task->id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (count_stmt, 2, task->round);
      if (sqlite3_step (count_stmt) == SQLITE_ROW)
        task->n_updates = sqlite3_column_int64 (count_stmt, 0);
    }
  if (g_hash_table_size (self->tasks) == 0)
    {
      g_set_error_literal (error, TRB_NODE_ERROR, TRB_NODE_ERROR_NOT_INITIALISED,
                           _("The network has no task."));
      return FALSE;
    }
  return TRUE;
}

static gboolean tick_cb (gpointer user_data);

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
  g_autoptr(sqlite3_stmt) stmt = NULL;

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
  self->store = open_store (data_dir, error);
  if (self->store == NULL)
    return NULL;
  self->log = trb_merkle_log_new_for_store (self->store, error);
  if (self->log == NULL)
    return NULL;

  stmt = prepare (self, "SELECT name, origin FROM network WHERE id = 1");
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error_literal (error, TRB_NODE_ERROR, TRB_NODE_ERROR_NOT_INITIALISED,
                           _("The network’s store is incomplete."));
      return NULL;
    }
  self->name = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  self->origin = g_strdup ((const char *)sqlite3_column_text (stmt, 1));

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
  trb_store_exec (self->store, "DELETE FROM nonces WHERE expires < strftime('%s','now')", NULL);
  g_clear_pointer (&stmt, sqlite3_finalize);
  stmt = prepare (self, "SELECT nonce, expires FROM nonces");
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_hash_table_insert (self->nonces, g_strdup ((const char *)sqlite3_column_text (stmt, 0)),
                         GSIZE_TO_POINTER ((gsize) sqlite3_column_int64 (stmt, 1)));

  self->tick_id = g_timeout_add (TICK_MS, tick_cb, self);
  return g_steal_pointer (&self);
}

void
trb_node_set_aggregation_delay (TrbNode *self,
                                guint    delay_ms)
{
  g_return_if_fail (TRB_IS_NODE (self));
  self->aggregation_delay_ms = delay_ms;
}

/* ---- aggregation -------------------------------------------------------------------------- */

typedef struct
{
  TrbModelSpec *spec;
  TrbTrainingSet *holdout;    /* borrowed from the task, which outlives the job */
  TrbWeights *params;
  TrbWeights *velocity;   /* server momentum: the previous round's, then the new one */
  double      momentum;
  GPtrArray  *deltas;     /* TrbWeights* */
  GArray     *samples;    /* gint64 */
  guint       delay_ms;
  double      loss;
  double      accuracy;
  gboolean    evaluated;
  gboolean    kept_previous;  /* the aggregate was not finite: the model stays as it was */
} Aggregation;

static void
aggregation_free (Aggregation *job)
{
  g_clear_object (&job->params);
  g_clear_object (&job->velocity);
  g_clear_object (&job->spec);
  g_ptr_array_unref (job->deltas);
  g_array_unref (job->samples);
  g_free (job);
}

static void
aggregate_in_thread (GTask        *gtask,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  Aggregation *job = task_data;
  g_autoptr(GError) error = NULL;

  if (job->delay_ms > 0)
    g_usleep (job->delay_ms * 1000);

  /* FedAvg: the new model is the old one plus the sample-weighted mean of the updates. */
  if (job->deltas->len > 0)
    {
      g_autofree double *weights = g_new (double, job->deltas->len);
      g_autoptr(TrbWeights) mean = NULL;
      g_autoptr(TrbWeights) previous = trb_weights_copy (job->params);
      g_autoptr(TrbWeights) previous_velocity =
        job->velocity != NULL ? g_object_ref (job->velocity) : NULL;

      for (guint u = 0; u < job->deltas->len; u++)
        weights[u] = g_array_index (job->samples, gint64, u);
      mean = trb_weights_weighted_average ((TrbWeights **) job->deltas->pdata, weights,
                                           job->deltas->len, &error);
      if (mean == NULL)
        {
          g_task_return_error (gtask, g_steal_pointer (&error));
          return;
        }
      /* Server momentum (FedAvgM): v ← β v + mean, w ← w + v; plain FedAvg when β = 0. */
      if (job->momentum > 0)
        {
          g_autoptr(TrbWeights) velocity = trb_weights_copy (mean);

          if (job->velocity != NULL &&
              !trb_weights_add_scaled (velocity, job->velocity, job->momentum, &error))
            {
              g_task_return_error (gtask, g_steal_pointer (&error));
              return;
            }
          g_clear_object (&job->velocity);
          job->velocity = g_object_ref (velocity);
          g_clear_object (&mean);
          mean = g_steal_pointer (&velocity);
        }
      if (!trb_weights_add_scaled (job->params, mean, 1.0, &error))
        {
          g_task_return_error (gtask, g_steal_pointer (&error));
          return;
        }
      /* A model that is not finite would refuse every honest update after it and could never
       * be aggregated again: such an aggregate is never kept. The round closes with the model
       * it started from, and its round_closed entry says so (metric model_kept = 1). */
      if (!trb_weights_all_finite (job->params) ||
          (job->velocity != NULL && !trb_weights_all_finite (job->velocity)))
        {
          g_warning ("The aggregate is not finite; the round keeps its previous model");
          g_set_object (&job->params, previous);
          g_set_object (&job->velocity, previous_velocity);
          job->kept_previous = TRUE;
        }
    }

  if (job->holdout != NULL)
    {
      TrbDataSource source;
      TrbEvaluation evaluation;

      /* The compute engine's CPU executor, on the node's hold-out. */
      trb_training_set_get_source (job->holdout, &source);
      if (trb_evaluate_on_cpu (job->spec, job->params, &source, &evaluation, &error))
        {
          job->loss = evaluation.loss;
          job->accuracy = evaluation.accuracy;
          job->evaluated = TRUE;
        }
      else
        g_warning ("The new model could not be evaluated: %s", error->message);
    }
  g_task_return_boolean (gtask, TRUE);
}

typedef struct
{
  TrbNode *node;
  char    *task_id;
} AggregationContext;

static void
finish_aggregation (TrbNode     *self,
                    Task        *task,
                    Aggregation *job)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(GBytes) blob = weights_blob (job->params, &hash);
  g_autoptr(GPtrArray) hashes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) participants = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) points = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *metric_names[4];
  double metric_values[4];
  guint n_metrics = 0;
  gsize len = 0;
  char *entry;

  stmt = prepare (self, "SELECT hash, participant, samples, epochs FROM updates "
                        "WHERE task = ? AND round = ? ORDER BY leaf_index");
  sqlite3_bind_text (stmt, 1, task->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, task->round);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      double p = (double) sqlite3_column_int64 (stmt, 2) * sqlite3_column_int64 (stmt, 3) *
                 task->points_per_sample_epoch;
      gint64 milli = (gint64) llround (MIN (p, task->cap_per_round) * 1000.0);

      g_ptr_array_add (hashes, g_strdup ((const char *)sqlite3_column_text (stmt, 0)));
      g_ptr_array_add (participants, g_strdup ((const char *)sqlite3_column_text (stmt, 1)));
      g_array_append_val (points, milli);
    }
  g_ptr_array_add (hashes, NULL);

  if (job->evaluated)
    {
      metric_names[n_metrics] = "eval_accuracy";
      metric_values[n_metrics++] = job->accuracy;
      metric_names[n_metrics] = "eval_loss";
      metric_values[n_metrics++] = job->loss;
      metric_names[n_metrics] = "eval_samples";
      metric_values[n_metrics++] = task->holdout != NULL
        ? (double) trb_training_set_get_n_samples (task->holdout) : 0;
    }
  if (job->kept_previous)
    {
      metric_names[n_metrics] = "model_kept";
      metric_values[n_metrics++] = 1;
    }

  if (!begin (self, &error))
    goto fail;
  if (!store_blob (self, hash, blob, &error))
    goto fail_rollback;
  if (job->momentum > 0 && job->velocity != NULL)
    {
      g_autoptr(GBytes) velocity = trb_weights_to_safetensors (job->velocity);
      g_autoptr(sqlite3_stmt) save = prepare (self, "INSERT OR REPLACE INTO momentum (task, data) "
                                                    "VALUES (?, ?)");

      sqlite3_bind_text (save, 1, task->id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_blob64 (save, 2, g_bytes_get_data (velocity, NULL),
                           g_bytes_get_size (velocity), SQLITE_STATIC);
      if (!step_done (self, save, &error))
        goto fail_rollback;
    }
  task->state = ROUND_CLOSED;
  if (!save_round (self, task, &error))
    goto fail_rollback;
  entry = trb_ledger_entry_build_round_closed (task->id, task->round, hash,
                                               (const char * const *) hashes->pdata,
                                               metric_names, metric_values, n_metrics, now,
                                               &len, &error);
  if (!append_entry (self, entry, len, NULL, &error))
    goto fail_rollback;
  for (guint i = 0; i < participants->len; i++)
    {
      gint64 p = g_array_index (points, gint64, i);

      if (p <= 0)
        continue;
      entry = trb_ledger_entry_build_reward (task->id, task->round,
                                             g_ptr_array_index (participants, i), p, now, &len,
                                             &error);
      if (!append_entry (self, entry, len, NULL, &error))
        goto fail_rollback;
    }
  if (!open_round (self, task, task->round + 1, hash, &error) || !commit (self, &error))
    goto fail_rollback;

  if (job->evaluated)
    g_message ("Round %" G_GINT64_FORMAT " of %s closed: %u updates, hold-out accuracy %.4f, "
               "loss %.4f", task->round - 1, task->id, participants->len, job->accuracy, job->loss);
  else
    g_message ("Round %" G_GINT64_FORMAT " of %s closed: %u updates", task->round - 1, task->id,
               participants->len);
  emit_round_event (self, task);
  return;

fail_rollback:
  rollback (self);
fail:
  g_warning ("Round %" G_GINT64_FORMAT " of %s could not be closed, will retry: %s", task->round,
             task->id, error->message);
  /* Reload the state that was committed; the tick retries the aggregation. */
  task->state = ROUND_AGGREGATING;
}

static void
aggregation_done_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  AggregationContext *ctx = user_data;
  Task *task = g_hash_table_lookup (ctx->node->tasks, ctx->task_id);
  Aggregation *job = g_task_get_task_data (G_TASK (result));

  g_autoptr(GError) error = NULL;

  if (task != NULL)
    {
      task->aggregation_running = FALSE;
      if (g_task_propagate_boolean (G_TASK (result), &error))
        finish_aggregation (ctx->node, task, job);
      else
        g_critical ("Round %" G_GINT64_FORMAT " of %s cannot be aggregated: %s", task->round,
                    task->id, error->message);
    }
  g_object_unref (ctx->node);
  g_free (ctx->task_id);
  g_free (ctx);
}

/* Reads weights (a model or an update) and checks them against the task's model. */
static TrbWeights *
read_update (Task     *task,
             GBytes   *bytes,
             GError  **error)
{
  g_autoptr(TrbWeights) weights = trb_weights_new_from_safetensors (bytes, error);

  if (weights == NULL)
    return NULL;
  return trb_model_spec_conform_weights (task->spec, weights, error);
}

static void
start_aggregation (TrbNode *self,
                   Task    *task)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) model_blob = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GTask) gtask = NULL;
  Aggregation *job;
  AggregationContext *ctx;

  if (task->aggregation_running)
    return;

  if (task->state != ROUND_AGGREGATING)
    {
      task->state = ROUND_AGGREGATING;
      /* Committed before any work, so that a restart resumes the aggregation. */
      if (!save_round (self, task, &error))
        {
          g_warning ("Could not record the aggregation of %s: %s", task->id, error->message);
          return;
        }
      emit_round_event (self, task);
    }

  model_blob = load_blob (self, task->model_hash);
  if (model_blob == NULL)
    {
      g_critical ("The model %s of task %s is missing from the store", task->model_hash, task->id);
      return;
    }

  job = g_new0 (Aggregation, 1);
  job->spec = g_object_ref (task->spec);
  job->holdout = task->holdout;
  job->delay_ms = self->aggregation_delay_ms;
  job->deltas = g_ptr_array_new_with_free_func (g_object_unref);
  job->samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  job->params = read_update (task, model_blob, &error);
  if (job->params == NULL)
    {
      g_critical ("The model of task %s cannot be read: %s", task->id, error->message);
      aggregation_free (job);
      return;
    }

  job->momentum = task->server_momentum;
  if (job->momentum > 0)
    {
      g_autoptr(sqlite3_stmt) load = prepare (self, "SELECT data FROM momentum WHERE task = ?");

      sqlite3_bind_text (load, 1, task->id, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (load) == SQLITE_ROW)
        {
          g_autoptr(GBytes) bytes = g_bytes_new (sqlite3_column_blob (load, 0),
                                                 sqlite3_column_bytes (load, 0));

          job->velocity = read_update (task, bytes, NULL);
        }
    }

  stmt = prepare (self, "SELECT data, samples FROM updates WHERE task = ? AND round = ? "
                        "ORDER BY leaf_index");
  sqlite3_bind_text (stmt, 1, task->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, task->round);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (sqlite3_column_blob (stmt, 0),
                                             sqlite3_column_bytes (stmt, 0));
      TrbWeights *delta = read_update (task, bytes, NULL);
      gint64 samples = sqlite3_column_int64 (stmt, 1);

      /* Updates were checked when accepted; one that no longer reads is left out. */
      if (delta == NULL)
        continue;
      g_ptr_array_add (job->deltas, delta);
      g_array_append_val (job->samples, samples);
    }

  ctx = g_new0 (AggregationContext, 1);
  ctx->node = g_object_ref (self);
  ctx->task_id = g_strdup (task->id);
  task->aggregation_running = TRUE;

  gtask = g_task_new (NULL, NULL, aggregation_done_cb, ctx);
  g_task_set_task_data (gtask, job, (GDestroyNotify) aggregation_free);
  g_task_run_in_thread (gtask, aggregate_in_thread);
}

static gboolean
tick_cb (gpointer user_data)
{
  TrbNode *self = user_data;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->tasks);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Task *task = value;

      if (task->state == ROUND_AGGREGATING)
        start_aggregation (self, task);
      else if (task->state == ROUND_OPEN || task->state == ROUND_COLLECTING)
        {
          if (task->n_updates >= task->max_updates ||
              (now >= task->deadline && task->n_updates >= task->min_updates))
            start_aggregation (self, task);
          else if (now >= task->deadline)
            {
              /* Too few updates: give the round another period rather than close it empty. */
              task->deadline = now + task->duration;
              save_round (self, task, NULL);
            }
        }
    }

  /* Forget nonces whose signatures can no longer be accepted anyway. */
  if (g_hash_table_size (self->nonces) > 10000 || now % 60 == 0)
    {
      g_hash_table_iter_init (&iter, self->nonces);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        if ((gint64) GPOINTER_TO_SIZE (value) < now)
          g_hash_table_iter_remove (&iter);
    }

  return G_SOURCE_CONTINUE;
}

/* ---- HTTP --------------------------------------------------------------------------------- */

/* JSON as the node sends it: numbers in their shortest form that reads back the same (a task's
 * 0.05 is sent as 0.05, not 0.050000000000000003 as json-glib writes it), in every locale.
 * That is the canonical form of the ledger, whose only other effect is sorted members. */
static char *
node_json_to_string (JsonNode *node)
{
  g_autoptr(GError) error = NULL;
  char *text = trb_canonical_json_serialize (node, NULL, &error);

  /* An integer past 2^53 has no exact JSON number: json-glib writes it as it is. */
  if (text == NULL)
    text = json_to_string (node, FALSE);
  return text;
}

static void
reply_json (SoupServerMessage *msg,
            guint              status,
            JsonNode          *node)
{
  g_autofree char *text = node_json_to_string (node);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

/* An RFC 9457 problem document. */
static char *
problem_text (guint       status,
              const char *type,
              const char *title,
              const char *detail)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *uri = g_strconcat (PROBLEM_BASE, type, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, uri);
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, title);
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, status);
  if (detail != NULL)
    {
      json_builder_set_member_name (b, "detail");
      json_builder_add_string_value (b, detail);
    }
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  return json_to_string (node, FALSE);
}

static void
reply_problem (SoupServerMessage *msg,
               guint              status,
               const char        *type,
               const char        *title,
               const char        *detail)
{
  g_autofree char *text = problem_text (status, type, title, detail);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/problem+json", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

/* After a refusal the node reads, and drops, what the client is still sending for a moment
 * before it closes (a "lingering close", as HTTP servers do): closing at once would reset the
 * connection under a client still sending its body, which then never reads the answer. */
#define LINGER_MS 2000
#define LINGER_MAX_BYTES (16 * 1024 * 1024)

typedef struct
{
  GIOStream *stream;
  guint8     buffer[16384];
  gsize      drained;
  gint64     deadline;
} Linger;

static void
linger_free (Linger *linger)
{
  g_io_stream_close_async (linger->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_object_unref (linger->stream);
  g_free (linger);
}

static void
lingered_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Linger *linger = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0 || g_get_monotonic_time () > linger->deadline ||
      (linger->drained += n) > LINGER_MAX_BYTES)
    {
      linger_free (linger);
      return;
    }
  g_input_stream_read_async (g_io_stream_get_input_stream (linger->stream), linger->buffer,
                             sizeof linger->buffer, G_PRIORITY_LOW, NULL, lingered_cb, linger);
}

static void
refusal_written_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Linger *linger = user_data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  if (G_IS_SOCKET_CONNECTION (linger->stream))
    g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION (linger->stream)),
                       FALSE, TRUE, NULL);
  linger->deadline = g_get_monotonic_time () + LINGER_MS * 1000;
  g_input_stream_read_async (g_io_stream_get_input_stream (linger->stream), linger->buffer,
                             sizeof linger->buffer, G_PRIORITY_LOW, NULL, lingered_cb, linger);
}

/* Refuses a request before its body is read, and closes the connection. SoupServer would read
 * the whole body (and keep it in memory) before sending a reply set here, even a 413: so the
 * connection is taken from it, the problem written by hand, and what follows is dropped. */
static void
refuse_and_close (SoupServerMessage *msg,
                  guint              status,
                  const char        *type,
                  const char        *title,
                  const char        *detail,
                  guint              retry_after_s)
{
  g_autofree char *text = problem_text (status, type, title, detail);
  GIOStream *stream = soup_server_message_steal_connection (msg);
  GString *response = g_string_new (NULL);
  Linger *linger;
  char *bytes;
  gsize length;

  g_string_append_printf (response, "HTTP/1.1 %u %s\r\n"
                          "Content-Type: application/problem+json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "Cache-Control: no-store\r\n",
                          status, soup_status_get_phrase (status), strlen (text));
  if (retry_after_s > 0)
    g_string_append_printf (response, "Retry-After: %u\r\n", retry_after_s);
  g_string_append_printf (response, "Connection: close\r\n\r\n%s", text);
  length = response->len;
  bytes = g_string_free (response, FALSE);
  linger = g_new0 (Linger, 1);
  linger->stream = stream;
  /* Kept as long as the stream, which outlives the write. */
  g_object_set_data_full (G_OBJECT (stream), "trb-refusal", bytes, g_free);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream), bytes, length,
                                   G_PRIORITY_DEFAULT, NULL, refusal_written_cb, linger);
}

static void
reply_internal (SoupServerMessage *msg,
                const GError      *error)
{
  g_warning ("Request failed: %s", error != NULL ? error->message : "unknown error");
  reply_problem (msg, 500, "internal", "The node could not store the request",
                 "Please try again later.");
}

static gsize
body_limit_for_path (const char *path)
{
  if (g_str_has_prefix (path, "/v1/tasks/") && g_str_has_suffix (path, "/updates"))
    return MAX_UPDATE_BODY;
  return MAX_JSON_BODY;
}

/* SoupServer (3.2) reads the end of a keep-alive connection that the client closed, and then
 * leaves it open for good, in CLOSE-WAIT; a client that opens a connection and sends nothing, or
 * sends a request a byte at a time, holds one as long as it likes. So the node keeps its own
 * account: a connection waiting for (the rest of) a request longer than the idle timeout is
 * closed by a sweep once a second. A connection whose request is being handled is left alone. */
typedef struct
{
  gint64   since;    /* when it started waiting for a request */
  gboolean waiting;
} Connection;

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    TrbNode           *self)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  Connection *conn;

  if (socket == NULL)
    return;
  conn = g_hash_table_lookup (self->connections, socket);
  if (conn == NULL)
    {
      conn = g_new0 (Connection, 1);
      g_hash_table_insert (self->connections, g_object_ref (socket), conn);
    }
  conn->waiting = TRUE;
  conn->since = g_get_monotonic_time ();
}

static void
request_read_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 TrbNode           *self)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  Connection *conn = socket != NULL ? g_hash_table_lookup (self->connections, socket) : NULL;

  if (conn != NULL)
    conn->waiting = FALSE;
}

/* Answered (or given up): the connection waits for its next request from now. */
static void
request_finished_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     TrbNode           *self)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  Connection *conn = socket != NULL ? g_hash_table_lookup (self->connections, socket) : NULL;

  if (conn != NULL)
    {
      conn->waiting = TRUE;
      conn->since = g_get_monotonic_time ();
    }
}

static gboolean
sweep_connections_cb (gpointer user_data)
{
  TrbNode *self = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  GSocket *socket;
  Connection *conn;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, (gpointer *) &socket, (gpointer *) &conn))
    {
      if (g_socket_is_closed (socket))
        g_hash_table_iter_remove (&iter);
      else if (conn->waiting &&
               now - conn->since > (gint64) self->connection_timeout_s * G_USEC_PER_SEC)
        {
          g_socket_close (socket, NULL);
          g_hash_table_iter_remove (&iter);
        }
    }
  return G_SOURCE_CONTINUE;
}

/**
 * trb_node_set_connection_timeout:
 * @self: a node
 * @seconds: how long a connection may wait for the next request, or for the rest of one
 *
 * Connections idle for longer are closed (default %TRB_NODE_CONNECTION_TIMEOUT_S).
 */
void
trb_node_set_connection_timeout (TrbNode *self,
                                 guint    seconds)
{
  g_return_if_fail (TRB_IS_NODE (self));
  self->connection_timeout_s = CLAMP (seconds, 1, 3600);
}

/* Per-address rate limits on joins and uploads: a token bucket per remote address, refilled at
 * the node's rate (per minute) and holding at most one minute's worth. Checked before the body
 * is read or any signature verified, so a flood costs the node almost nothing. */
typedef struct
{
  double tokens;
  gint64 updated;
} Bucket;

static gboolean
take_token (GHashTable *buckets,
            const char *host,
            guint       per_minute,
            guint      *retry_after_s)
{
  gint64 now = g_get_monotonic_time ();
  double rate = per_minute / 60.0;
  Bucket *bucket = g_hash_table_lookup (buckets, host);

  if (per_minute == 0)
    return TRUE;
  if (bucket == NULL)
    {
      /* Bounded: an attacker with many addresses fills this at most to the cap, then buckets
       * start afresh (no address gets more than a minute's worth from it). */
      if (g_hash_table_size (buckets) >= 100000)
        g_hash_table_remove_all (buckets);
      bucket = g_new0 (Bucket, 1);
      bucket->tokens = per_minute;
      bucket->updated = now;
      g_hash_table_insert (buckets, g_strdup (host), bucket);
    }
  bucket->tokens = MIN ((double) per_minute,
                        bucket->tokens + rate * (now - bucket->updated) / G_USEC_PER_SEC);
  bucket->updated = now;
  if (bucket->tokens >= 1)
    {
      bucket->tokens -= 1;
      return TRUE;
    }
  *retry_after_s = (guint) ceil ((1 - bucket->tokens) / rate);
  return FALSE;
}

static gboolean
within_rate (TrbNode           *self,
             SoupServerMessage *msg,
             const char        *path,
             guint             *retry_after_s)
{
  const char *host = soup_server_message_get_remote_host (msg);

  if (host == NULL)
    return TRUE;
  if (g_str_equal (path, "/v1/participants"))
    return take_token (self->join_buckets, host, self->join_rate, retry_after_s);
  if (g_str_has_prefix (path, "/v1/tasks/") && g_str_has_suffix (path, "/updates"))
    return take_token (self->upload_buckets, host, self->upload_rate, retry_after_s);
  return TRUE;
}

/**
 * trb_node_set_rate_limits:
 * @self: a node
 * @joins_per_minute: joins one address may make a minute (0: no limit)
 * @uploads_per_minute: uploads one address may make a minute (0: no limit)
 */
void
trb_node_set_rate_limits (TrbNode *self,
                          guint    joins_per_minute,
                          guint    uploads_per_minute)
{
  g_return_if_fail (TRB_IS_NODE (self));
  self->join_rate = joins_per_minute;
  self->upload_rate = uploads_per_minute;
}

/**
 * trb_node_get_join_policy:
 * @self: a node
 *
 * Returns: (transfer none): who may join the network
 */
TrbJoinPolicy *
trb_node_get_join_policy (TrbNode *self)
{
  g_return_val_if_fail (TRB_IS_NODE (self), NULL);
  return self->join_policy;
}

/* Runs after the headers arrive and before the body is read: refuses oversized bodies early. */
static void
early_handler_cb (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  TrbNode *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  guint retry_after = 0;
  goffset length;

  if (!g_str_equal (soup_server_message_get_method (msg), "POST"))
    return;
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH)
    {
      refuse_and_close (msg, 411, "bad-request", "The request must state its length", NULL, 0);
      return;
    }
  length = soup_message_headers_get_content_length (headers);
  if (length < 0 || (guint64) length > body_limit_for_path (path))
    {
      refuse_and_close (msg, 413, "too-large", "The request is too large",
                        "The body is larger than the protocol allows for this request.", 0);
      return;
    }
  if (!within_rate (self, msg, path, &retry_after))
    refuse_and_close (msg, 429, "too-many-requests", "Too many requests from this address",
                      "Wait a moment, then try again.", retry_after);
}

/* Verifies the request signature and the nonce. Replies with a problem and returns NULL when
 * the request must be refused. */
static char *
verify_request (TrbNode           *self,
                SoupServerMessage *msg,
                GBytes            *body,
                char             **nonce_out)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autofree char *uri = g_uri_to_string (soup_server_message_get_uri (msg));
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *nonce = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gsize len = 0;
  const guint8 *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;

  if (len > body_limit_for_path (g_uri_get_path (soup_server_message_get_uri (msg))))
    {
      reply_problem (msg, 413, "too-large", "The request is too large", NULL);
      return NULL;
    }

  if (!trb_http_signature_verify (soup_server_message_get_method (msg), uri, data, len,
                                  soup_message_headers_get_one (headers, "Content-Digest"),
                                  soup_message_headers_get_one (headers, "Signature-Input"),
                                  soup_message_headers_get_one (headers, "Signature"),
                                  now, &address, &nonce, &error))
    {
      if (g_error_matches (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_UNSIGNED))
        reply_problem (msg, 401, "unsigned", "The request is not signed", error->message);
      else if (g_error_matches (error, TRB_HTTP_SIGNATURE_ERROR,
                                TRB_HTTP_SIGNATURE_ERROR_EXPIRED))
        reply_problem (msg, 401, "expired", "The request signature has expired", error->message);
      else
        reply_problem (msg, 401, "bad-signature", "The request signature is not valid",
                       error->message);
      return NULL;
    }

  if (g_hash_table_contains (self->nonces, nonce))
    {
      reply_problem (msg, 409, "replayed", "This request was already received",
                     "The nonce was used before.");
      return NULL;
    }
  g_hash_table_insert (self->nonces, g_strdup (nonce),
                       GSIZE_TO_POINTER ((gsize) (now + 2 * TRB_HTTP_SIGNATURE_SKEW)));
  *nonce_out = g_steal_pointer (&nonce);
  return g_steal_pointer (&address);
}

static gboolean
record_nonce (TrbNode     *self,
              const char  *nonce,
              GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "INSERT OR IGNORE INTO nonces (nonce, expires) "
                                                "VALUES (?, ?)");

  sqlite3_bind_text (stmt, 1, nonce, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC + 2 * TRB_HTTP_SIGNATURE_SKEW);
  return step_done (self, stmt, error);
}

static gboolean
is_joined (TrbNode    *self,
           const char *address)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT 1 FROM participants WHERE address = ?");

  sqlite3_bind_text (stmt, 1, address, -1, SQLITE_TRANSIENT);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

static void
handle_network (TrbNode           *self,
                SoupServerMessage *msg)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  GHashTableIter iter;
  gpointer key;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "protocol");
  json_builder_add_int_value (b, PROTOCOL_VERSION);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, self->name);
  json_builder_set_member_name (b, "origin");
  json_builder_add_string_value (b, self->origin);
  json_builder_set_member_name (b, "ledger_key");
  json_builder_add_string_value (b, self->ledger_key);
  json_builder_set_member_name (b, "tasks");
  json_builder_begin_array (b);
  g_hash_table_iter_init (&iter, self->tasks);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    json_builder_add_string_value (b, key);
  json_builder_end_array (b);
  trb_join_policy_describe (self->join_policy, b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  reply_json (msg, 200, node);
}

static JsonObject *
parse_json_body (SoupServerMessage *msg,
                 GBytes            *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;
  JsonNode *root;

  if (len == 0)
    return json_object_new ();
  if (!trb_json_parser_load_bounded (parser, data, len, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      reply_problem (msg, 400, "bad-request", "The request body is not a JSON object", NULL);
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static void
handle_join (TrbNode           *self,
             SoupServerMessage *msg,
             GBytes            *body)
{
  g_autofree char *nonce = NULL;
  g_autofree char *address = verify_request (self, msg, body, &nonce);
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  const char *display_name;
  gboolean is_new = FALSE;
  guint64 index = 0;

  if (address == NULL)
    return;
  request = parse_json_body (msg, body);
  if (request == NULL)
    return;
  display_name = trb_json_get_string (request, "display_name", "");
  if (g_utf8_strlen (display_name, -1) > 64 || !g_utf8_validate (display_name, -1, NULL))
    {
      reply_problem (msg, 400, "bad-request", "The display name is too long", NULL);
      return;
    }

  if (!begin (self, &error))
    return reply_internal (msg, error);
  stmt = prepare (self, "SELECT leaf_index FROM participants WHERE address = ?");
  sqlite3_bind_text (stmt, 1, address, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    index = sqlite3_column_int64 (stmt, 0);
  else
    {
      gint64 now = g_get_real_time () / G_USEC_PER_SEC;
      gsize len = 0;
      const TrbJoinRefusal *refusal = NULL;
      char *entry;

      if (!trb_join_policy_admit (self->join_policy, address, request, &refusal, &error))
        {
          if (refusal == NULL)
            goto fail;
          rollback (self);
          return reply_problem (msg, refusal->status, refusal->type, refusal->title,
                                refusal->detail);
        }
      entry = trb_ledger_entry_build_participant_joined (address, now, &len, &error);

      if (!append_entry (self, entry, len, &index, &error))
        goto fail;
      g_clear_pointer (&stmt, sqlite3_finalize);
      stmt = prepare (self, "INSERT INTO participants (address, display_name, joined, leaf_index) "
                            "VALUES (?, ?, ?, ?)");
      sqlite3_bind_text (stmt, 1, address, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, display_name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 3, now);
      sqlite3_bind_int64 (stmt, 4, index);
      if (!step_done (self, stmt, &error))
        goto fail;
      is_new = TRUE;
    }
  if (!record_nonce (self, nonce, &error) || !commit (self, &error))
    goto fail;

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "address");
  json_builder_add_string_value (b, address);
  json_builder_set_member_name (b, "leaf_index");
  json_builder_add_int_value (b, index);
  json_builder_set_member_name (b, "new");
  json_builder_add_boolean_value (b, is_new);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  reply_json (msg, 200, node);
  return;

fail:
  rollback (self);
  reply_internal (msg, error);
}

static void
handle_task (TrbNode           *self,
             SoupServerMessage *msg,
             Task              *task)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, task->public_json,
                                    strlen (task->public_json));
}

static void
handle_round (TrbNode           *self,
              SoupServerMessage *msg,
              Task              *task)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, task->id);
  json_builder_set_member_name (b, "round");
  json_builder_add_int_value (b, task->round);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, round_state_names[task->state]);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, task->model_hash);
  json_builder_set_member_name (b, "deadline");
  json_builder_add_int_value (b, task->deadline);
  json_builder_set_member_name (b, "min_updates");
  json_builder_add_int_value (b, task->min_updates);
  json_builder_set_member_name (b, "max_updates");
  json_builder_add_int_value (b, task->max_updates);
  json_builder_set_member_name (b, "updates");
  json_builder_add_int_value (b, task->n_updates);
  json_builder_set_member_name (b, "fraction");
  json_builder_add_double_value (b, task->fraction);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  reply_json (msg, 200, node);
}

static char *
receipt_text (const char *update,
              const char *task,
              gint64      round,
              const char *participant,
              gint64      leaf_index)
{
  return g_strdup_printf ("tributary-receipt/v1\n%s\n%s\n%" G_GINT64_FORMAT "\n%s\n%"
                          G_GINT64_FORMAT "\n", update, task, round, participant, leaf_index);
}

static void
reply_receipt (TrbNode           *self,
               SoupServerMessage *msg,
               const char        *update,
               Task              *task,
               gint64             round,
               const char        *participant,
               gint64             leaf_index)
{
  g_autofree char *text = receipt_text (update, task->id, round, participant, leaf_index);
  g_autofree char *sig_b64 = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  guint8 sig[crypto_sign_BYTES];

  crypto_sign_detached (sig, NULL, (const guint8 *)text, strlen (text), self->secret_key);
  sig_b64 = g_base64_encode (sig, sizeof sig);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "update");
  json_builder_add_string_value (b, update);
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, task->id);
  json_builder_set_member_name (b, "round");
  json_builder_add_int_value (b, round);
  json_builder_set_member_name (b, "participant");
  json_builder_add_string_value (b, participant);
  json_builder_set_member_name (b, "leaf_index");
  json_builder_add_int_value (b, leaf_index);
  json_builder_set_member_name (b, "signature");
  json_builder_add_string_value (b, sig_b64);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  reply_json (msg, 200, node);
}

/* A participant that lost the reply to its upload asks for its receipt again, signed as the
 * upload was; the same reply_receipt() makes it, so it is the same bytes. */
static void
handle_receipt (TrbNode           *self,
                SoupServerMessage *msg,
                Task              *task,
                const char        *round_text,
                const char        *update)
{
  g_autofree char *nonce = NULL;
  g_autofree char *address = verify_request (self, msg, NULL, &nonce);
  guint64 round = 0;
  gint64 index = 0;

  if (address == NULL)
    return;
  if (!g_ascii_string_to_unsigned (round_text, 10, 1, G_MAXINT64, &round, NULL) ||
      !trb_node_receipt_find (self->store, task->id, round, address, update, &index))
    return reply_problem (msg, 404, "not-found", "You sent no such update in this round", NULL);
  reply_receipt (self, msg, update, task, round, address, index);
}

static gboolean
parse_decimal (const char *text,
               gint64      min,
               gint64      max,
               gint64     *out)
{
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, min < 0 ? 0 : min, max, &value,
                                                   NULL))
    return FALSE;
  *out = value;
  return TRUE;
}

static void
handle_upload (TrbNode           *self,
               SoupServerMessage *msg,
               Task              *task,
               gint64             round,
               GBytes            *body)
{
  g_autofree char *nonce = NULL;
  g_autofree char *address = verify_request (self, msg, body, &nonce);
  g_autofree char *hash = NULL;
  g_autoptr(TrbWeights) parsed = NULL;
  g_autoptr(TrbWeights) delta = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 samples = 0, epochs = 0;
  const char *commitment;
  guint64 index = 0;
  gsize len = 0;
  char *entry;

  if (address == NULL)
    return;
  if (!is_joined (self, address))
    {
      reply_problem (msg, 403, "not-joined", "Join the network first",
                     "This address has not joined the network.");
      return;
    }

  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, body);

  /* A retry of an update already stored gets the same receipt back. */
  stmt = prepare (self, "SELECT hash, leaf_index FROM updates "
                        "WHERE task = ? AND round = ? AND participant = ?");
  sqlite3_bind_text (stmt, 1, task->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, round);
  sqlite3_bind_text (stmt, 3, address, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *stored = (const char *)sqlite3_column_text (stmt, 0);

      if (g_str_equal (stored, hash))
        reply_receipt (self, msg, hash, task, round, address, sqlite3_column_int64 (stmt, 1));
      else
        trb_node_receipt_reply_duplicate (msg, stored);
      return;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (round < task->round)
    {
      reply_problem (msg, 409, "late", "This round has already closed",
                     "Fetch the current round and train on its model.");
      return;
    }
  if (round > task->round)
    {
      reply_problem (msg, 409, "wrong-round", "This round has not started", NULL);
      return;
    }
  if (!trb_client_is_selected (task->model_hash, address, task->fraction))
    {
      reply_problem (msg, 403, "not-selected", "This round did not ask you for an update",
                     "Only the fraction of participants the task names takes part in a round.");
      return;
    }
  if ((task->state != ROUND_OPEN && task->state != ROUND_COLLECTING) ||
      task->n_updates >= task->max_updates ||
      (now >= task->deadline && task->n_updates >= task->min_updates))
    {
      reply_problem (msg, 409, "late", "This round no longer accepts updates",
                     "The round is full or past its deadline.");
      return;
    }

  /* The safetensors header is bounded before anything else reads it. */
  {
    gsize len = 0;
    const guint8 *data = g_bytes_get_data (body, &len);
    guint64 header_len = 0;

    if (len >= 8)
      {
        memcpy (&header_len, data, 8);
        header_len = GUINT64_FROM_LE (header_len);
      }
    if (len >= 8 && header_len <= len - 8 && header_len > MAX_SAFETENSORS_HEADER)
      {
        reply_problem (msg, 413, "too-large", "The update is too large",
                       "Its header is larger than the protocol allows.");
        return;
      }
  }
  parsed = trb_weights_new_from_safetensors (body, &error);
  if (parsed == NULL)
    {
      reply_problem (msg, 422, "bad-update", "The update could not be read", error->message);
      return;
    }
  if (!trb_weights_all_finite (parsed))
    {
      reply_problem (msg, 422, "non-finite", "The update contains values that are not numbers",
                     NULL);
      return;
    }
  if (trb_weights_max_abs (parsed) > task->max_update_value)
    {
      g_autofree char *detail = NULL;
      char largest[G_ASCII_DTOSTR_BUF_SIZE], bound[G_ASCII_DTOSTR_BUF_SIZE];

      g_ascii_formatd (largest, sizeof largest, "%.6g", trb_weights_max_abs (parsed));
      g_ascii_formatd (bound, sizeof bound, "%.6g", task->max_update_value);
      detail = g_strdup_printf ("Its largest value is %s; this task accepts at most %s.",
                                largest, bound);
      reply_problem (msg, 422, "out-of-range", "The update has values out of range", detail);
      return;
    }
  delta = trb_model_spec_conform_weights (task->spec, parsed, &error);
  if (delta == NULL)
    {
      reply_problem (msg, 422, "wrong-shape", "The update does not fit the model",
                     error->message);
      return;
    }
  if (g_strcmp0 (trb_weights_get_metadata (parsed, "base_model"), task->model_hash) != 0)
    {
      reply_problem (msg, 409, "wrong-round", "The update was trained from another model",
                     "Fetch the current round and train on its model.");
      return;
    }
  commitment = trb_weights_get_metadata (parsed, "dataset_commitment");
  if (!parse_decimal (trb_weights_get_metadata (parsed, "samples"), 1, 1000000000, &samples) ||
      !parse_decimal (trb_weights_get_metadata (parsed, "epochs"), 1, 1000, &epochs) ||
      commitment == NULL || strlen (commitment) != 64 ||
      strspn (commitment, "0123456789abcdef") != 64)
    {
      reply_problem (msg, 422, "bad-update", "The update does not say how it was trained",
                     "The metadata must give samples and epochs.");
      return;
    }

  if (!begin (self, &error))
    return reply_internal (msg, error);
  entry = trb_ledger_entry_build_update_accepted (task->id, round, address, hash, samples,
                                                  commitment, now, &len, &error);
  if (!append_entry (self, entry, len, &index, &error))
    goto fail;
  stmt = prepare (self, "INSERT INTO updates (task, round, participant, hash, samples, epochs, "
                        "leaf_index, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  sqlite3_bind_text (stmt, 1, task->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, round);
  sqlite3_bind_text (stmt, 3, address, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, samples);
  sqlite3_bind_int64 (stmt, 6, epochs);
  sqlite3_bind_int64 (stmt, 7, index);
  sqlite3_bind_blob64 (stmt, 8, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                       SQLITE_STATIC);
  if (!step_done (self, stmt, &error))
    goto fail;
  if (task->state == ROUND_OPEN)
    {
      task->state = ROUND_COLLECTING;
      if (!save_round (self, task, &error))
        goto fail;
    }
  if (!record_nonce (self, nonce, &error) || !commit (self, &error))
    goto fail;

  /* Only now, with the update on disk, is it acknowledged. */
  task->n_updates++;
  if (task->n_updates == 1)
    emit_round_event (self, task);
  reply_receipt (self, msg, hash, task, round, address, index);
  if (task->n_updates >= task->max_updates)
    start_aggregation (self, task);
  return;

fail:
  rollback (self);
  task->state = task->n_updates > 0 ? ROUND_COLLECTING : ROUND_OPEN;
  reply_internal (msg, error);
}

static void
handle_blob (TrbNode           *self,
             SoupServerMessage *msg,
             const char        *hash)
{
  g_autoptr(GBytes) blob = NULL;
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  gsize len;
  const guint8 *data;

  if (strlen (hash) != 64 || strspn (hash, "0123456789abcdef") != 64 ||
      (blob = load_blob (self, hash)) == NULL)
    {
      reply_problem (msg, 404, "not-found", "There is no such file on this network", NULL);
      return;
    }
  data = g_bytes_get_data (blob, &len);
  soup_message_headers_replace (response_headers, "Cache-Control", "public, max-age=31536000, "
                                "immutable");
  /* Ranges (RFC 9110, section 14): SoupServer answers a Range request on a complete 200
   * response itself, with 206 and the parts asked for, or 416. */
  soup_message_headers_replace (response_headers, "Accept-Ranges", "bytes");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/vnd.safetensors", SOUP_MEMORY_COPY,
                                    (const char *) data, len);
}

static char *
current_checkpoint (TrbNode  *self,
                    guint64  *size_out,
                    GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(TrbCheckpoint) checkpoint = NULL;
  g_autofree char *note = NULL;
  GString *out;
  guint8 root[TRB_MERKLE_HASH_SIZE];
  guint64 size;

  if (!trb_merkle_log_get_size (self->log, &size, error))
    return NULL;

  stmt = prepare (self, "SELECT note FROM checkpoints WHERE tree_size = ?");
  sqlite3_bind_int64 (stmt, 1, size);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    note = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  else
    {
      g_autoptr(sqlite3_stmt) insert = NULL;

      if (!trb_merkle_log_get_root (self->log, size, root, error))
        return NULL;
      checkpoint = trb_checkpoint_new (self->origin, size, root, NULL, error);
      if (checkpoint == NULL)
        return NULL;
      note = trb_checkpoint_sign (checkpoint, self->signer, error);
      if (note == NULL)
        return NULL;
      insert = prepare (self, "INSERT OR IGNORE INTO checkpoints (tree_size, note) VALUES (?, ?)");
      sqlite3_bind_int64 (insert, 1, size);
      sqlite3_bind_text (insert, 2, note, -1, SQLITE_TRANSIENT);
      if (!step_done (self, insert, error))
        return NULL;
    }

  /* The participants' cosignatures for this size follow the node's own signature. */
  out = g_string_new (note);
  g_clear_pointer (&stmt, sqlite3_finalize);
  stmt = prepare (self, "SELECT line FROM cosignatures WHERE tree_size = ? ORDER BY participant "
                        "LIMIT ?");
  sqlite3_bind_int64 (stmt, 1, size);
  sqlite3_bind_int (stmt, 2, TRB_CHECKPOINT_MAX_COSIGNATURES);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append (out, (const char *)sqlite3_column_text (stmt, 0));
  if (size_out != NULL)
    *size_out = size;
  return g_string_free (out, FALSE);
}

static void
handle_checkpoint (TrbNode           *self,
                   SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *note = current_checkpoint (self, NULL, &error);

  if (note == NULL)
    return reply_internal (msg, error);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, note,
                                    strlen (note));
}

static gboolean
query_uint (GHashTable *query,
            const char *name,
            guint64    *out)
{
  const char *text = query != NULL ? g_hash_table_lookup (query, name) : NULL;

  return text != NULL && g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, out, NULL);
}

static void
handle_entries (TrbNode           *self,
                SoupServerMessage *msg,
                GHashTable        *query)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  guint64 start, end, size;

  if (!query_uint (query, "start", &start) || !query_uint (query, "end", &end) || end <= start)
    {
      reply_problem (msg, 400, "bad-request", "Give start and end, with start before end", NULL);
      return;
    }
  if (!trb_merkle_log_get_size (self->log, &size, &error))
    return reply_internal (msg, error);
  end = MIN (MIN (end, size), start + MAX_ENTRIES_PER_PAGE);
  if (start >= size)
    {
      reply_problem (msg, 404, "not-found", "The ledger has no such entry", NULL);
      return;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "start");
  json_builder_add_int_value (b, start);
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  for (guint64 i = start; i < end; i++)
    {
      g_autoptr(GBytes) entry = trb_merkle_log_get_entry (self->log, i, &error);
      g_autofree char *text = NULL;

      if (entry == NULL)
        return reply_internal (msg, error);
      text = g_strndup (g_bytes_get_data (entry, NULL), g_bytes_get_size (entry));
      json_builder_add_string_value (b, text);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  reply_json (msg, 200, node);
}

static void
reply_proof (SoupServerMessage *msg,
             const char        *first_name,
             guint64            first,
             const char        *second_name,
             guint64            second,
             GByteArray        *proof)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, first_name);
  json_builder_add_int_value (b, first);
  json_builder_set_member_name (b, second_name);
  json_builder_add_int_value (b, second);
  json_builder_set_member_name (b, "hashes");
  json_builder_begin_array (b);
  for (guint i = 0; i + TRB_MERKLE_HASH_SIZE <= proof->len; i += TRB_MERKLE_HASH_SIZE)
    {
      g_autofree char *b64 = g_base64_encode (proof->data + i, TRB_MERKLE_HASH_SIZE);

      json_builder_add_string_value (b, b64);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  reply_json (msg, 200, node);
}

static void
handle_inclusion (TrbNode           *self,
                  SoupServerMessage *msg,
                  GHashTable        *query)
{
  g_autoptr(GByteArray) proof = NULL;
  g_autoptr(GError) error = NULL;
  guint64 index, tree_size, size;

  if (!query_uint (query, "index", &index) || !query_uint (query, "tree_size", &tree_size) ||
      !trb_merkle_log_get_size (self->log, &size, NULL) || index >= tree_size || tree_size > size)
    {
      reply_problem (msg, 400, "bad-request", "The index or tree size is not in the ledger", NULL);
      return;
    }
  proof = trb_merkle_log_get_inclusion_proof (self->log, index, tree_size, &error);
  if (proof == NULL)
    return reply_internal (msg, error);
  reply_proof (msg, "index", index, "tree_size", tree_size, proof);
}

static void
handle_consistency (TrbNode           *self,
                    SoupServerMessage *msg,
                    GHashTable        *query)
{
  g_autoptr(GByteArray) proof = NULL;
  g_autoptr(GError) error = NULL;
  guint64 first, second, size;

  if (!query_uint (query, "first", &first) || !query_uint (query, "second", &second) ||
      !trb_merkle_log_get_size (self->log, &size, NULL) || first < 1 || first > second ||
      second > size)
    {
      reply_problem (msg, 400, "bad-request", "The tree sizes are not in the ledger", NULL);
      return;
    }
  proof = trb_merkle_log_get_consistency_proof (self->log, first, second, &error);
  if (proof == NULL)
    return reply_internal (msg, error);
  reply_proof (msg, "first", first, "second", second, proof);
}

static void
handle_cosignature (TrbNode           *self,
                    SoupServerMessage *msg,
                    GBytes            *body)
{
  g_autofree char *nonce = NULL;
  g_autofree char *address = verify_request (self, msg, body, &nonce);
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(TrbNoteVerifier) cosigner = NULL;
  g_autoptr(TrbCheckpoint) checkpoint = NULL;
  g_autofree char *note = NULL;
  g_autofree char *line = NULL;
  g_autofree char *combined = NULL;
  guint8 public_key[32];
  const char *text;
  gint64 tree_size;

  if (address == NULL)
    return;
  if (!is_joined (self, address))
    {
      reply_problem (msg, 403, "not-joined", "Join the network first", NULL);
      return;
    }
  request = parse_json_body (msg, body);
  if (request == NULL)
    return;
  tree_size = json_object_get_int_member_with_default (request, "tree_size", -1);
  text = trb_json_get_string (request, "cosignature", NULL);
  if (tree_size < 1 || text == NULL || strlen (text) > 512 || strchr (text, '\n') != NULL)
    {
      reply_problem (msg, 400, "bad-request", "Give a tree size and one cosignature line", NULL);
      return;
    }

  stmt = prepare (self, "SELECT note FROM checkpoints WHERE tree_size = ?");
  sqlite3_bind_int64 (stmt, 1, tree_size);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      reply_problem (msg, 404, "not-found", "The node never signed a checkpoint of that size",
                     NULL);
      return;
    }
  note = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  line = g_strconcat (text, "\n", NULL);
  combined = g_strconcat (note, line, NULL);

  trb_address_to_public_key (address, public_key);
  cosigner = trb_note_verifier_new (address, TRB_NOTE_KEY_COSIGNATURE, public_key, &error);
  if (cosigner != NULL)
    checkpoint = trb_checkpoint_open (combined, strlen (combined), self->origin,
                                      trb_note_signer_get_verifier (self->signer), &cosigner, 1,
                                      &error);
  if (checkpoint == NULL || trb_checkpoint_get_n_cosignatures (checkpoint) < 1)
    {
      reply_problem (msg, 422, "bad-cosignature", "The cosignature does not verify",
                     error != NULL ? error->message : NULL);
      return;
    }

  /* A checkpoint carries a bounded number of cosignatures: one past it is refused, never
   * acknowledged and then left out. */
  g_clear_pointer (&stmt, sqlite3_finalize);
  stmt = prepare (self, "SELECT count(*) FROM cosignatures WHERE tree_size = ? AND "
                        "participant != ?");
  sqlite3_bind_int64 (stmt, 1, tree_size);
  sqlite3_bind_text (stmt, 2, address, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW &&
      sqlite3_column_int64 (stmt, 0) >= TRB_CHECKPOINT_MAX_COSIGNATURES)
    {
      reply_problem (msg, 409, "cosignatures-full",
                     "This checkpoint has all the cosignatures it can carry",
                     "Cosign a later checkpoint.");
      return;
    }

  g_clear_pointer (&stmt, sqlite3_finalize);
  if (!begin (self, &error))
    return reply_internal (msg, error);
  stmt = prepare (self, "INSERT OR REPLACE INTO cosignatures (tree_size, participant, line) "
                        "VALUES (?, ?, ?)");
  sqlite3_bind_int64 (stmt, 1, tree_size);
  sqlite3_bind_text (stmt, 2, address, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, line, -1, SQLITE_TRANSIENT);
  if (!step_done (self, stmt, &error) || !record_nonce (self, nonce, &error) ||
      !commit (self, &error))
    {
      rollback (self);
      return reply_internal (msg, error);
    }
  {
    g_autoptr(JsonNode) node = json_from_string ("{\"accepted\":true}", NULL);

    reply_json (msg, 200, node);
  }
}

static void
handle_events_poll (TrbNode           *self,
                    SoupServerMessage *msg,
                    GHashTable        *query)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  guint64 after = 0;

  query_uint (query, "after", &after);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "events");
  json_builder_begin_array (b);
  for (GList *l = self->events.head; l != NULL; l = l->next)
    {
      JsonNode *event = l->data;

      if ((guint64) json_object_get_int_member (json_node_get_object (event), "seq") > after)
        json_builder_add_value (b, json_node_copy (event));
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "next");
  json_builder_add_int_value (b, self->next_event_seq - 1);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  reply_json (msg, 200, node);
}

static gboolean maybe_upgrade_events (TrbNode           *self,
                                      SoupServerMessage *msg);

static void
handle_request_cb (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  TrbNode *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  gboolean is_get = g_str_equal (method, "GET") || g_str_equal (method, "HEAD");
  gboolean is_post = g_str_equal (method, "POST");
  g_auto(GStrv) parts = NULL;
  g_autoptr(GBytes) body = NULL;
  guint n_parts;

  /* The early handler may already have refused the request. */
  if (soup_server_message_get_status (msg) != 0)
    return;

  if (is_post)
    body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  parts = g_strsplit (path, "/", 8);
  n_parts = g_strv_length (parts);
  if (n_parts < 3 || !g_str_equal (parts[0], "") || !g_str_equal (parts[1], "v1"))
    goto not_found;

  if (n_parts == 3 && g_str_equal (parts[2], "network") && is_get)
    return handle_network (self, msg);
  if (n_parts == 3 && g_str_equal (parts[2], "participants") && is_post)
    return handle_join (self, msg, body);
  if (n_parts == 4 && g_str_equal (parts[2], "participants") &&
      g_str_equal (parts[3], "challenge") && is_get)
    return trb_join_policy_handle_challenge (self->join_policy, msg, query);
  if (n_parts == 3 && g_str_equal (parts[2], "events") && is_get)
    {
      if (!maybe_upgrade_events (self, msg))
        handle_events_poll (self, msg, query);
      return;
    }
  if (n_parts == 4 && g_str_equal (parts[2], "blobs") && is_get)
    return handle_blob (self, msg, parts[3]);
  if (n_parts >= 4 && g_str_equal (parts[2], "tasks"))
    {
      Task *task = g_hash_table_lookup (self->tasks, parts[3]);

      if (task == NULL)
        {
          reply_problem (msg, 404, "unknown-task", "This network has no such task", NULL);
          return;
        }
      if (n_parts == 4 && is_get)
        return handle_task (self, msg, task);
      if (n_parts == 5 && g_str_equal (parts[4], "round") && is_get)
        return handle_round (self, msg, task);
      if (n_parts == 7 && g_str_equal (parts[4], "rounds") && g_str_equal (parts[6], "updates") &&
          is_post)
        {
          guint64 round;

          if (!g_ascii_string_to_unsigned (parts[5], 10, 1, G_MAXINT64, &round, NULL))
            {
              reply_problem (msg, 409, "wrong-round", "There is no such round", NULL);
              return;
            }
          return handle_upload (self, msg, task, round, body);
        }
      if (n_parts == 8 && g_str_equal (parts[4], "rounds") && g_str_equal (parts[6], "updates") &&
          is_get)
        return handle_receipt (self, msg, task, parts[5], parts[7]);
    }
  if (n_parts == 4 && g_str_equal (parts[2], "ledger") && g_str_equal (parts[3], "checkpoint") &&
      is_get)
    return handle_checkpoint (self, msg);
  if (n_parts == 4 && g_str_equal (parts[2], "ledger") && g_str_equal (parts[3], "entries") &&
      is_get)
    return handle_entries (self, msg, query);
  if (n_parts == 4 && g_str_equal (parts[2], "ledger") && g_str_equal (parts[3], "cosignatures") &&
      is_post)
    return handle_cosignature (self, msg, body);
  if (n_parts == 5 && g_str_equal (parts[2], "ledger") && g_str_equal (parts[3], "proof") && is_get)
    {
      if (g_str_equal (parts[4], "inclusion"))
        return handle_inclusion (self, msg, query);
      if (g_str_equal (parts[4], "consistency"))
        return handle_consistency (self, msg, query);
    }

not_found:
  reply_problem (msg, 404, "not-found", "There is nothing at this address", NULL);
}

static void
websocket_closed_cb (SoupWebsocketConnection *ws,
                     gpointer                 user_data)
{
  TrbNode *self = user_data;

  g_ptr_array_remove (self->sockets, ws);
}

static const char *event_protocols[] = { "tributary.events.v1", NULL };

/* After the 101 answer is written, the connection becomes the event WebSocket. */
static void
websocket_upgraded_cb (SoupServerMessage *msg,
                       gpointer           user_data)
{
  TrbNode *self = user_data;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  g_autoptr(GIOStream) stream = NULL;
  SoupWebsocketConnection *ws;

  if (soup_server_message_get_status (msg) != SOUP_STATUS_SWITCHING_PROTOCOLS)
    return;
  /* The WebSocket keeps itself alive with pings: not a connection waiting for a request. */
  if (soup_server_message_get_socket (msg) != NULL)
    g_hash_table_remove (self->connections, soup_server_message_get_socket (msg));
  stream = soup_server_message_steal_connection (msg);
  ws = soup_websocket_connection_new (stream, soup_server_message_get_uri (msg),
                                      SOUP_WEBSOCKET_CONNECTION_SERVER,
                                      soup_message_headers_get_one (request, "Origin"),
                                      soup_message_headers_get_one (response,
                                                                    "Sec-WebSocket-Protocol"),
                                      NULL);
  soup_websocket_connection_set_max_incoming_payload_size (ws, 4096);
  soup_websocket_connection_set_keepalive_interval (ws, 30);
  g_ptr_array_add (self->sockets, ws);
  g_signal_connect_object (ws, "closed", G_CALLBACK (websocket_closed_cb), self, 0);
}

/* GET /v1/events is a WebSocket when the request asks for one, else the polling fallback; the
 * handshake is done here because libsoup's own WebSocket handler refuses plain requests. */
static gboolean
maybe_upgrade_events (TrbNode           *self,
                      SoupServerMessage *msg)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);

  if (!soup_message_headers_header_contains (request, "Upgrade", "websocket"))
    return FALSE;
  if (self->sockets->len >= 1000)
    {
      reply_problem (msg, 503, "internal", "Too many event streams are open", "Poll instead.");
      return TRUE;
    }
  if (!soup_websocket_server_check_handshake (msg, NULL, (char **) event_protocols, NULL, NULL))
    {
      reply_problem (msg, 400, "bad-request", "The WebSocket handshake is not valid", NULL);
      return TRUE;
    }
  soup_websocket_server_process_handshake (msg, NULL, (char **) event_protocols, NULL, NULL);
  g_signal_connect_object (msg, "wrote-informational", G_CALLBACK (websocket_upgraded_cb), self,
                           0);
  return TRUE;
}

/**
 * trb_node_listen:
 * @self: a node
 * @address: `HOST:PORT`; port 0 picks a free port
 * @certificate: (nullable): serve HTTPS with this certificate
 * @url: (out) (optional): the URL the node is reachable at
 * @error: return location for an error
 *
 * Returns: %TRUE when listening
 */
gboolean
trb_node_listen (TrbNode          *self,
                 const char       *address,
                 GTlsCertificate  *certificate,
                 char            **url,
                 GError          **error)
{
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GSocketAddressEnumerator) enumerator = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  GSList *uris;

  g_return_val_if_fail (TRB_IS_NODE (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  connectable = g_network_address_parse (address, 0, error);
  if (connectable == NULL)
    return FALSE;
  enumerator = g_socket_connectable_enumerate (connectable);
  socket_address = g_socket_address_enumerator_next (enumerator, NULL, error);
  if (socket_address == NULL)
    return FALSE;

  self->server = soup_server_new ("server-header", "tributary-node/" PACKAGE_VERSION,
                                  "tls-certificate", certificate, NULL);
  g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);
  g_signal_connect (self->server, "request-read", G_CALLBACK (request_read_cb), self);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (request_finished_cb), self);
  g_signal_connect (self->server, "request-aborted", G_CALLBACK (request_finished_cb), self);
  self->sweep_id = g_timeout_add_seconds (1, sweep_connections_cb, self);
  soup_server_add_early_handler (self->server, "/v1", early_handler_cb, self, NULL);
  soup_server_add_handler (self->server, "/v1", handle_request_cb, self, NULL);
  soup_server_add_handler (self->server, NULL, handle_request_cb, self, NULL);

  /* Our own socket, for a listen backlog that absorbs bursts of participants connecting at
   * once (GSocket's default of 10 resets connections under load). */
  {
    g_autoptr(GSocket) socket = g_socket_new (g_socket_address_get_family (socket_address),
                                              G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                              error);

    if (socket == NULL)
      return FALSE;
    g_socket_set_listen_backlog (socket, 1024);
    if (!g_socket_bind (socket, socket_address, TRUE, error) || !g_socket_listen (socket, error))
      return FALSE;
    if (!soup_server_listen_socket (self->server, socket,
                                    certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0, error))
      return FALSE;
  }

  uris = soup_server_get_uris (self->server);
  if (url != NULL && uris != NULL)
    {
      g_autofree char *text = g_uri_to_string (uris->data);

      /* Without the trailing slash, so that clients can append “/v1/…”. */
      if (g_str_has_suffix (text, "/"))
        text[strlen (text) - 1] = '\0';
      *url = g_steal_pointer (&text);
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}
