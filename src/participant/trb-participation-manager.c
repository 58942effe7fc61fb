/* trb-participation-manager.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The joined networks, as a GListModel of TrbParticipation: joining (pin the ledger key,
 * register the wallet's address), leaving, and loading them again at start with their wallets'
 * keys from the keyring. All share one device queue, so that one network trains at a time.
 */

#define G_LOG_DOMAIN "trb-participation-manager"

#include "config.h"

#include "trb-participation-manager.h"

#include <glib/gi18n.h>
#include <math.h>

#include "compute/trb-trainer.h"
#include "net/trb-contributor.h"
#include "net/trb-training-set.h"
#include "wallet/trb-keypair.h"
#include "wallet/trb-wallet-keyring.h"
#include "trb-i18n.h"
#include "store/trb-store-participation.h"

struct _TrbParticipationManager
{
  GObject           parent_instance;

  TrbStore         *store;
  TrbWalletManager *wallets;
  TrbScheduler     *scheduler;
  TrbDeviceQueue   *queue;
  GPtrArray        *items;
  GHashTable       *names;    /* origin → name */
  GHashTable       *urls;     /* origin → url */
  char             *device;
  gboolean          cosign;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TrbParticipationManager, trb_participation_manager, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
trb_participation_event_free (TrbParticipationEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->origin);
  g_free (event->kind);
  g_free (event->message);
  g_free (event);
}

static GType
get_item_type (GListModel *model)
{
  return TRB_TYPE_PARTICIPATION;
}

static guint
get_n_items (GListModel *model)
{
  return TRB_PARTICIPATION_MANAGER (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  TrbParticipationManager *self = TRB_PARTICIPATION_MANAGER (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
trb_participation_manager_dispose (GObject *object)
{
  TrbParticipationManager *self = TRB_PARTICIPATION_MANAGER (object);

  if (self->items != NULL)
    for (guint i = 0; i < self->items->len; i++)
      {
        TrbParticipation *p = g_ptr_array_index (self->items, i);

        g_signal_handlers_disconnect_by_data (p, self);
        trb_participation_stop (p);
      }
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_object (&self->queue);
  g_clear_object (&self->scheduler);
  g_clear_object (&self->wallets);
  G_OBJECT_CLASS (trb_participation_manager_parent_class)->dispose (object);
}

static void
trb_participation_manager_finalize (GObject *object)
{
  TrbParticipationManager *self = TRB_PARTICIPATION_MANAGER (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->names, g_hash_table_unref);
  g_clear_pointer (&self->urls, g_hash_table_unref);
  g_free (self->device);
  G_OBJECT_CLASS (trb_participation_manager_parent_class)->finalize (object);
}

static void
trb_participation_manager_class_init (TrbParticipationManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = trb_participation_manager_dispose;
  object_class->finalize = trb_participation_manager_finalize;

  /**
   * TrbParticipationManager::event:
   * @participation: the network's participation
   * @kind: the event's kind
   * @message: plain words
   *
   * Every event of every network, as logged.
   */
  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, TRB_TYPE_PARTICIPATION, G_TYPE_STRING, G_TYPE_STRING);
}

static void
trb_participation_manager_init (TrbParticipationManager *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->urls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->queue = trb_device_queue_new ();
  self->device = g_strdup ("cpu");
  self->cosign = TRUE;
}

/**
 * trb_participation_manager_new:
 * @store: the local store
 * @wallets: the wallets
 * @scheduler: (nullable): says when training may run
 * @error: return location for an error
 *
 * Returns: (transfer full): a manager with no networks yet; load them with
 *   trb_participation_manager_load_async()
 */
TrbParticipationManager *
trb_participation_manager_new (TrbStore          *store,
                               TrbWalletManager  *wallets,
                               TrbScheduler      *scheduler,
                               GError           **error)
{
  g_autoptr(TrbParticipationManager) self = NULL;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (TRB_IS_WALLET_MANAGER (wallets), NULL);

  if (!trb_participation_migrate (store, error))
    return NULL;
  self = g_object_new (TRB_TYPE_PARTICIPATION_MANAGER, NULL);
  self->store = g_object_ref (store);
  self->wallets = g_object_ref (wallets);
  if (scheduler != NULL)
    self->scheduler = g_object_ref (scheduler);
  return g_steal_pointer (&self);
}

void
trb_participation_manager_set_device (TrbParticipationManager *self,
                                      const char              *device)
{
  g_return_if_fail (TRB_IS_PARTICIPATION_MANAGER (self));
  g_free (self->device);
  self->device = g_strdup (device != NULL ? device : "cpu");
  for (guint i = 0; i < self->items->len; i++)
    trb_participation_set_device (g_ptr_array_index (self->items, i), self->device);
}

/**
 * trb_participation_manager_set_cosign:
 * @self: a manager
 * @cosign: whether networks joined from now on cosign the checkpoints they verify
 */
void
trb_participation_manager_set_cosign (TrbParticipationManager *self,
                                      gboolean                 cosign)
{
  g_return_if_fail (TRB_IS_PARTICIPATION_MANAGER (self));
  self->cosign = cosign;
}

static void
participation_event_cb (TrbParticipation        *p,
                        const char              *kind,
                        const char              *message,
                        TrbParticipationManager *self)
{
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, p, kind, message);
}

static TrbParticipation *
add_participation (TrbParticipationManager *self,
                   TrbKeypair              *keypair,
                   const char              *url,
                   const char              *origin,
                   const char              *name,
                   const char              *ledger_key,
                   const char              *task,
                   const char              *dataset)
{
  g_autoptr(TrbClient) client = trb_client_new (url);
  TrbParticipation *p;

  trb_client_set_keypair (client, keypair);
  p = trb_participation_new (self->store, client, origin, ledger_key, task, dataset);
  trb_participation_set_scheduler (p, self->scheduler);
  trb_participation_set_device_queue (p, self->queue);
  trb_participation_set_device (p, self->device);
  trb_participation_set_verification (p, keypair, self->cosign);
  g_signal_connect (p, "event", G_CALLBACK (participation_event_cb), self);
  g_hash_table_replace (self->names, g_strdup (origin), g_strdup (name));
  g_hash_table_replace (self->urls, g_strdup (origin), g_strdup (url));
  g_ptr_array_add (self->items, p);
  g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);
  trb_participation_start (p);
  return p;
}

/* ---- a wallet's key ------------------------------------------------------------------------- */

static void
keypair_looked_up_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbSecret) material = NULL;
  g_autoptr(TrbSecret) phrase = NULL;
  g_autoptr(TrbSecret) passphrase = NULL;
  TrbKeypair *pair;
  const char *address = g_task_get_task_data (task);

  material = trb_wallet_keyring_lookup_finish (result, &error);
  if (material == NULL || !trb_wallet_material_decode (material, &phrase, &passphrase, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  pair = trb_keypair_new_from_phrase (trb_secret_get_string (phrase),
                                      passphrase != NULL ? trb_secret_get_string (passphrase)
                                                         : NULL, &error);
  if (pair == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!g_str_equal (trb_keypair_get_address (pair), address))
    {
      g_object_unref (pair);
      g_task_return_new_error (task, TRB_PARTICIPATION_ERROR,
                               TRB_PARTICIPATION_ERROR_NOT_JOINED, "%s",
                               _("The key in the keyring does not belong to this wallet."));
      return;
    }
  g_task_return_pointer (task, pair, g_object_unref);
}

static void
load_keypair_async (TrbParticipationManager *self,
                    const char              *address,
                    GCancellable            *cancellable,
                    GAsyncReadyCallback      callback,
                    gpointer                 user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_task_data (task, g_strdup (address), g_free);
  trb_wallet_keyring_lookup_async (address, cancellable, keypair_looked_up_cb, task);
}

/* ---- loading ------------------------------------------------------------------------------ */

typedef TrbStoreNetwork NetworkRow;

static void
network_row_free (NetworkRow *row)
{
  g_free (row->url);
  g_free (row->origin);
  g_free (row->name);
  g_free (row->ledger_key);
  g_free (row->task);
  g_free (row->dataset);
  g_free (row->wallet);
  g_free (row);
}

static void load_next (GTask *task);

static void
load_keypair_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TrbParticipationManager *self = g_task_get_source_object (task);
  GQueue *rows = g_task_get_task_data (task);
  NetworkRow *row = g_queue_pop_head (rows);
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbKeypair) pair = g_task_propagate_pointer (G_TASK (result), &error);

  if (pair == NULL)
    g_warning ("The wallet of %s could not be opened: %s", row->origin, error->message);
  else if (trb_participation_manager_lookup (self, row->origin) == NULL)
    add_participation (self, pair, row->url, row->origin, row->name, row->ledger_key, row->task,
                       row->dataset);
  network_row_free (row);
  load_next (g_steal_pointer (&task));
}

static void
load_next (GTask *task)
{
  TrbParticipationManager *self = g_task_get_source_object (task);
  GQueue *rows = g_task_get_task_data (task);
  NetworkRow *row = g_queue_peek_head (rows);

  if (row == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  load_keypair_async (self, row->wallet, g_task_get_cancellable (task), load_keypair_cb, task);
}

static void
free_rows (gpointer data)
{
  g_queue_free_full (data, (GDestroyNotify) network_row_free);
}

/**
 * trb_participation_manager_load_async:
 * @self: a manager
 * @cancellable: (nullable): a cancellable
 * @callback: called when every joined network is running again
 * @user_data: data for @callback
 *
 * Reads the joined networks from the store, takes their wallets' keys from the keyring and
 * resumes each where it was.
 */
void
trb_participation_manager_load_async (TrbParticipationManager *self,
                                      GCancellable            *cancellable,
                                      GAsyncReadyCallback      callback,
                                      gpointer                 user_data)
{
  GTask *task;
  GQueue *rows = g_queue_new ();
  g_autoptr(GPtrArray) networks = NULL;
  GError *error = NULL;

  g_return_if_fail (TRB_IS_PARTICIPATION_MANAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_participation_manager_load_async);
  g_task_set_task_data (task, rows, free_rows);

  networks = trb_store_participation_list_networks (self->store, &error);
  if (networks == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  for (guint i = 0; i < networks->len; i++)
    if (((NetworkRow *) g_ptr_array_index (networks, i))->wallet != NULL)
      g_queue_push_tail (rows, g_ptr_array_steal_index_fast (networks, i--));
  load_next (task);
}

gboolean
trb_participation_manager_load_finish (TrbParticipationManager  *self,
                                       GAsyncResult             *result,
                                       GError                  **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- joining ------------------------------------------------------------------------------ */

typedef struct
{
  char       *url;
  char       *dataset;
  char       *invitation;
  TrbWallet  *wallet;
  TrbKeypair *keypair;
  char       *origin, *name, *ledger_key, *task;
} JoinData;

static void
join_data_free (JoinData *data)
{
  g_free (data->url);
  g_free (data->dataset);
  g_free (data->invitation);
  g_clear_object (&data->wallet);
  g_clear_object (&data->keypair);
  g_free (data->origin);
  g_free (data->name);
  g_free (data->ledger_key);
  g_free (data->task);
  g_free (data);
}

/* The contributor waits on the thread-default main context: here, the worker's own. */
static void
join_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  TrbParticipationManager *self = source_object;
  JoinData *data = task_data;
  g_autoptr(TrbClient) client = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  g_autoptr(GError) error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  client = trb_client_new (data->url);
  trb_client_set_keypair (client, data->keypair);
  contributor = trb_contributor_new (client, self->store);
  trb_contributor_set_invitation (contributor, data->invitation);
  trb_contributor_set_cancellable (contributor, cancellable);
  if (!trb_contributor_connect (contributor, &error) ||
      !trb_contributor_join (contributor, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (trb_contributor_get_task (contributor) == NULL)
    {
      g_task_return_new_error (task, TRB_PARTICIPATION_ERROR, TRB_PARTICIPATION_ERROR_TASK, "%s",
                               _("This network has nothing to train yet."));
      return;
    }
  data->origin = g_strdup (trb_contributor_get_origin (contributor));
  data->name = g_strdup (trb_contributor_get_name (contributor));
  data->ledger_key = g_strdup (trb_contributor_get_ledger_key (contributor));
  data->task = g_strdup (trb_contributor_get_task (contributor));
  g_task_return_boolean (task, TRUE);
}

static void
joined_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TrbParticipationManager *self = g_task_get_source_object (task);
  JoinData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  TrbParticipation *p;
  TrbStoreNetwork network;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  p = trb_participation_manager_lookup (self, data->origin);
  if (p != NULL)
    {
      g_task_return_pointer (task, g_object_ref (p), g_object_unref);
      return;
    }

  network = (TrbStoreNetwork) {
    .url = data->url,
    .origin = data->origin,
    .name = data->name,
    .ledger_key = data->ledger_key,
    .task = data->task,
    .dataset = data->dataset,
    .wallet = (char *) trb_keypair_get_address (data->keypair),
  };
  if (!trb_store_participation_add_network (self->store, &network, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (data->wallet != NULL)
    trb_wallet_manager_set_for_network (self->wallets, data->origin, data->wallet, NULL);

  p = add_participation (self, data->keypair, data->url, data->origin, data->name,
                         data->ledger_key, data->task, data->dataset);
  trb_participation_request_round_now (p);
  message = g_strdup_printf (_("Joined “%s”"), data->name);
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, p, "joined", message);
  g_task_return_pointer (task, g_object_ref (p), g_object_unref);
}

static void
join_keypair_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  JoinData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GTask *thread_task;

  data->keypair = g_task_propagate_pointer (G_TASK (result), &error);
  if (data->keypair == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  thread_task = g_task_new (g_task_get_source_object (task), g_task_get_cancellable (task),
                            joined_cb, g_object_ref (task));
  g_task_set_task_data (thread_task, data, NULL);
  g_task_run_in_thread (thread_task, join_thread);
  g_object_unref (thread_task);
}

/**
 * trb_participation_manager_join_async:
 * @self: a manager
 * @url: the network's address
 * @wallet: the wallet whose key signs the contributions
 * @dataset: the local data to train on
 * @cancellable: (nullable): a cancellable
 * @callback: called once joined and the loop started
 * @user_data: data for @callback
 *
 * Pins the network's ledger key (trust on first use), registers the wallet's address, writes
 * the network down and starts taking part.
 */
void
trb_participation_manager_join_async (TrbParticipationManager *self,
                                      const char              *url,
                                      TrbWallet               *wallet,
                                      const char              *dataset,
                                      GCancellable            *cancellable,
                                      GAsyncReadyCallback      callback,
                                      gpointer                 user_data)
{
  trb_participation_manager_join_with_invitation_async (self, url, wallet, dataset, NULL,
                                                        cancellable, callback, user_data);
}

/**
 * trb_participation_manager_join_with_invitation_async:
 * @invitation: (nullable): the code of a network that accepts participants by invitation
 *
 * As trb_participation_manager_join_async(), with an invitation code (see "Join policy" in
 * docs/protocol.md). A network that asks for a proof of work gets it solved while joining.
 */
void
trb_participation_manager_join_with_invitation_async (TrbParticipationManager *self,
                                                      const char              *url,
                                                      TrbWallet               *wallet,
                                                      const char              *dataset,
                                                      const char              *invitation,
                                                      GCancellable            *cancellable,
                                                      GAsyncReadyCallback      callback,
                                                      gpointer                 user_data)
{
  GTask *task;
  JoinData *data;

  g_return_if_fail (TRB_IS_PARTICIPATION_MANAGER (self));
  g_return_if_fail (url != NULL && dataset != NULL && TRB_IS_WALLET (wallet));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_participation_manager_join_async);
  data = g_new0 (JoinData, 1);
  data->url = g_strdup (url);
  data->dataset = g_strdup (dataset);
  data->invitation = g_strdup (invitation);
  data->wallet = g_object_ref (wallet);
  g_task_set_task_data (task, data, (GDestroyNotify) join_data_free);
  load_keypair_async (self, trb_wallet_get_address (wallet), cancellable, join_keypair_cb, task);
}

TrbParticipation *
trb_participation_manager_join_finish (TrbParticipationManager  *self,
                                       GAsyncResult             *result,
                                       GError                  **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * trb_participation_manager_leave:
 * @self: a manager
 * @participation: a joined network
 * @error: return location for an error
 *
 * Stops taking part and forgets the network (its pinned key and receipts stay in the store, so
 * that joining again checks the same key).
 *
 * Returns: %TRUE on success
 */
gboolean
trb_participation_manager_leave (TrbParticipationManager  *self,
                                 TrbParticipation         *participation,
                                 GError                  **error)
{
  g_autofree char *origin = NULL;
  guint position;

  g_return_val_if_fail (TRB_IS_PARTICIPATION_MANAGER (self), FALSE);

  if (!g_ptr_array_find (self->items, participation, &position))
    return TRUE;
  origin = g_strdup (trb_participation_get_origin (participation));
  if (!trb_store_participation_remove_network (self->store, origin, error))
    return FALSE;

  g_signal_handlers_disconnect_by_data (participation, self);
  trb_participation_stop (participation);
  g_ptr_array_remove_index (self->items, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
  return TRUE;
}

/* ---- changing the data ---------------------------------------------------------------------- */

/* Enough samples to see the data's shape and a fair share of its labels, without reading a
 * large data set whole just to check it. */
#define CHECK_SAMPLES 4096

/* The side of a square greyscale picture of @size pixels, or 0. */
static guint
square_side (gsize size)
{
  guint side = (guint) sqrt ((double) size);

  return side > 0 && (gsize) side * side == size ? side : 0;
}

static void
set_size_error (gsize    have,
                gsize    need,
                GError **error)
{
  guint have_side = square_side (have), need_side = square_side (need);

  if (have_side > 0 && need_side > 0)
    {
      /* Translators: a picture's width and height; the height, the number next to the noun,
       * chooses the plural form. */
      g_autofree char *have_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d × %d pixel",
                                                                 "%d × %d pixels", have_side),
                                                    (int) have_side, (int) have_side);
      g_autofree char *need_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d × %d pixel",
                                                                 "%d × %d pixels", need_side),
                                                    (int) need_side, (int) need_side);

      g_set_error (error, TRB_PARTICIPATION_ERROR, TRB_PARTICIPATION_ERROR_DATA,
                   /* Translators: both are sizes such as “28 × 28 pixels”: the data's, then the
                    * network's. */
                   _("These pictures are %s, but this network learns from pictures of %s. "
                     "Choose data made for this network."), have_text, need_text);
    }
  else
    {
      g_autofree char *have_count = trb_format_count ((gint64) have);
      g_autofree char *need_count = trb_format_count ((gint64) need);
      /* Translators: %s is a number, written in the locale's way. */
      g_autofree char *have_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s value",
                                                                 "%s values", have),
                                                    have_count);
      g_autofree char *need_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s value",
                                                                 "%s values", need),
                                                    need_count);

      g_set_error (error, TRB_PARTICIPATION_ERROR, TRB_PARTICIPATION_ERROR_DATA,
                   /* Translators: both are amounts such as “784 values”: each example's in the
                    * data, then each example's the network learns from. */
                   _("Each example in this data has %s, but this network learns from examples "
                     "of %s. Choose data made for this network."), have_text, need_text);
    }
}

/**
 * trb_participation_check_dataset:
 * @path: a local data set
 * @spec: the model the network trains
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error in plain words
 *
 * Reads the start of @path as a round would and checks that the model can learn from it: the
 * same size of sample and labels it knows. Blocks: call it from a worker thread.
 *
 * Returns: %TRUE if the network can learn from @path
 */
gboolean
trb_participation_check_dataset (const char    *path,
                                 TrbModelSpec  *spec,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  g_autoptr(TrbTrainingSet) data = NULL;
  g_autoptr(GError) local_error = NULL;
  TrbDataSource source;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (TRB_IS_MODEL_SPEC (spec), FALSE);

  data = trb_training_set_load (path, 0, 1, CHECK_SAMPLES, cancellable, &local_error);
  if (data != NULL)
    {
      trb_training_set_get_source (data, &source);
      if (source.feature_size != trb_model_spec_get_input_size (spec))
        {
          set_size_error (source.feature_size, trb_model_spec_get_input_size (spec), error);
          return FALSE;
        }
      if (trb_data_source_check (&source, spec, &local_error))
        return TRUE;
    }
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_set_error (error, TRB_PARTICIPATION_ERROR, TRB_PARTICIPATION_ERROR_DATA,
               data == NULL ? _("This data could not be read: %s")
                            : _("This network cannot learn from this data: %s"),
               local_error->message);
  return FALSE;
}

typedef struct
{
  TrbParticipation *participation;
  char             *path;
  TrbModelSpec     *spec;
} ChangeData;

static void
change_data_free (ChangeData *data)
{
  g_clear_object (&data->participation);
  g_free (data->path);
  g_clear_object (&data->spec);
  g_free (data);
}

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ChangeData *data = task_data;
  GError *error = NULL;

  if (trb_participation_check_dataset (data->path, data->spec, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * trb_participation_check_dataset_async:
 * @path: a local data set
 * @spec: the model the network trains
 * @cancellable: (nullable): a cancellable
 * @callback: called once checked
 * @user_data: data for @callback
 *
 * trb_participation_check_dataset() on a worker thread: what Join and a network's page both
 * ask before they take a data set.
 */
void
trb_participation_check_dataset_async (const char          *path,
                                       TrbModelSpec        *spec,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ChangeData *data;

  g_return_if_fail (path != NULL && TRB_IS_MODEL_SPEC (spec));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_participation_check_dataset_async);
  data = g_new0 (ChangeData, 1);
  data->path = g_strdup (path);
  data->spec = g_object_ref (spec);
  g_task_set_task_data (task, data, (GDestroyNotify) change_data_free);
  g_task_run_in_thread (task, check_thread);
}

gboolean
trb_participation_check_dataset_finish (GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
checked_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TrbParticipationManager *self = g_task_get_source_object (task);
  ChangeData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!trb_participation_check_dataset_finish (result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Left meanwhile: nothing to record. */
  if (!g_ptr_array_find (self->items, data->participation, NULL))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                               _("The network was left."));
      return;
    }
  if (!trb_store_participation_set_dataset (self->store,
                                            trb_participation_get_origin (data->participation),
                                            data->path, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  trb_participation_set_dataset_path (data->participation, data->path);
  g_task_return_boolean (task, TRUE);
}

/**
 * trb_participation_manager_change_dataset_async:
 * @self: a manager
 * @participation: a joined network
 * @path: the local data to train on from now on
 * @spec: the model the network trains, to check the data against
 * @cancellable: (nullable): a cancellable
 * @callback: called once checked and recorded
 * @user_data: data for @callback
 *
 * Checks @path with trb_participation_check_dataset() on a worker thread and, if the network
 * can learn from it, records it in the store so that the next round, and the next start of the
 * app, trains on it.
 */
void
trb_participation_manager_change_dataset_async (TrbParticipationManager *self,
                                                TrbParticipation        *participation,
                                                const char              *path,
                                                TrbModelSpec            *spec,
                                                GCancellable            *cancellable,
                                                GAsyncReadyCallback      callback,
                                                gpointer                 user_data)
{
  GTask *task;
  ChangeData *data;

  g_return_if_fail (TRB_IS_PARTICIPATION_MANAGER (self));
  g_return_if_fail (TRB_IS_PARTICIPATION (participation));
  g_return_if_fail (path != NULL && TRB_IS_MODEL_SPEC (spec));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_participation_manager_change_dataset_async);
  data = g_new0 (ChangeData, 1);
  data->participation = g_object_ref (participation);
  data->path = g_strdup (path);
  data->spec = g_object_ref (spec);
  g_task_set_task_data (task, data, (GDestroyNotify) change_data_free);

  trb_participation_check_dataset_async (path, spec, cancellable, checked_cb, task);
}

gboolean
trb_participation_manager_change_dataset_finish (TrbParticipationManager  *self,
                                                 GAsyncResult             *result,
                                                 GError                  **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * trb_participation_manager_lookup:
 * @self: a manager
 * @origin: a network's origin
 *
 * Returns: (transfer none) (nullable): its participation if joined
 */
TrbParticipation *
trb_participation_manager_lookup (TrbParticipationManager *self,
                                  const char              *origin)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION_MANAGER (self), NULL);

  for (guint i = 0; i < self->items->len; i++)
    if (g_strcmp0 (trb_participation_get_origin (g_ptr_array_index (self->items, i)),
                   origin) == 0)
      return g_ptr_array_index (self->items, i);
  return NULL;
}

/**
 * trb_participation_manager_lookup_url:
 * @self: a manager
 * @url: a network's address
 *
 * Returns: (transfer none) (nullable): the participation joined at @url
 */
TrbParticipation *
trb_participation_manager_lookup_url (TrbParticipationManager *self,
                                      const char              *url)
{
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (TRB_IS_PARTICIPATION_MANAGER (self), NULL);

  g_hash_table_iter_init (&iter, self->urls);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_strcmp0 (value, url) == 0)
      return trb_participation_manager_lookup (self, key);
  return NULL;
}

const char *
trb_participation_manager_get_name (TrbParticipationManager *self,
                                    TrbParticipation        *participation)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION_MANAGER (self), NULL);
  return g_hash_table_lookup (self->names, trb_participation_get_origin (participation));
}

/**
 * trb_participation_manager_get_url:
 * @self: a manager
 * @participation: a joined network
 *
 * Returns: (nullable): the address it was joined at
 */
const char *
trb_participation_manager_get_url (TrbParticipationManager *self,
                                   TrbParticipation        *participation)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION_MANAGER (self), NULL);
  return g_hash_table_lookup (self->urls, trb_participation_get_origin (participation));
}

/**
 * trb_participation_manager_get_store:
 *
 * Returns: (transfer none): the store the joined networks are kept in
 */
TrbStore *
trb_participation_manager_get_store (TrbParticipationManager *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION_MANAGER (self), NULL);
  return self->store;
}

/**
 * trb_participation_manager_get_active:
 * @self: a manager
 *
 * Returns: (transfer none) (nullable): the participation that holds the device now
 */
TrbParticipation *
trb_participation_manager_get_active (TrbParticipationManager *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION_MANAGER (self), NULL);
  return trb_device_queue_get_holder (self->queue);
}

/**
 * trb_participation_manager_list_events:
 * @self: a manager
 * @origin: (nullable): only this network's
 * @limit: at most this many, newest first
 * @error: return location for an error
 *
 * Returns: (transfer container) (element-type TrbParticipationEvent): the event log, or %NULL
 *   with @error set when the store could not be read
 */
GPtrArray *
trb_participation_manager_list_events (TrbParticipationManager  *self,
                                       const char               *origin,
                                       guint                     limit,
                                       GError                  **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  GPtrArray *events;

  g_return_val_if_fail (TRB_IS_PARTICIPATION_MANAGER (self), NULL);

  rows = trb_store_participation_list_events (self->store, origin, limit, error);
  if (rows == NULL)
    return NULL;
  events = g_ptr_array_new_full (rows->len, (GDestroyNotify) trb_participation_event_free);
  for (guint i = 0; i < rows->len; i++)
    {
      TrbStoreEvent *row = g_ptr_array_index (rows, i);
      TrbParticipationEvent *event = g_new0 (TrbParticipationEvent, 1);

      event->time = row->time;
      event->origin = g_steal_pointer (&row->origin);
      event->kind = g_steal_pointer (&row->kind);
      event->message = g_steal_pointer (&row->message);
      g_ptr_array_add (events, event);
    }
  return events;
}
