/* trb-device-queue.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One training job on a device at a time, fair between networks: whoever asks first trains
 * first, and a network that just trained queues behind those already waiting.
 */

#define G_LOG_DOMAIN "trb-device-queue"

#include "config.h"

#include "trb-device-queue.h"

struct _TrbDeviceQueue
{
  GObject  parent_instance;

  gpointer holder;
  GQueue   waiting;   /* GTask, each with its owner as task data */
};

G_DEFINE_FINAL_TYPE (TrbDeviceQueue, trb_device_queue, G_TYPE_OBJECT)

static void
trb_device_queue_dispose (GObject *object)
{
  TrbDeviceQueue *self = TRB_DEVICE_QUEUE (object);
  GTask *task;

  while ((task = g_queue_pop_head (&self->waiting)) != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                               "The device queue was closed.");
      g_object_unref (task);
    }
  G_OBJECT_CLASS (trb_device_queue_parent_class)->dispose (object);
}

static void
trb_device_queue_class_init (TrbDeviceQueueClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = trb_device_queue_dispose;
}

static void
trb_device_queue_init (TrbDeviceQueue *self)
{
  g_queue_init (&self->waiting);
}

/**
 * trb_device_queue_new:
 *
 * Returns: (transfer full): a queue for one device
 */
TrbDeviceQueue *
trb_device_queue_new (void)
{
  return g_object_new (TRB_TYPE_DEVICE_QUEUE, NULL);
}

static void
grant_next (TrbDeviceQueue *self)
{
  while (self->holder == NULL && !g_queue_is_empty (&self->waiting))
    {
      g_autoptr(GTask) task = g_queue_pop_head (&self->waiting);

      if (g_task_return_error_if_cancelled (task))
        continue;
      self->holder = g_task_get_task_data (task);
      g_task_return_boolean (task, TRUE);
    }
}

/**
 * trb_device_queue_acquire_async:
 * @self: a queue
 * @owner: who asks (a participation); released with the same pointer
 * @cancellable: (nullable): stops waiting
 * @callback: called once @owner holds the device
 * @user_data: data for @callback
 *
 * Waits for the device, first come first served.
 */
void
trb_device_queue_acquire_async (TrbDeviceQueue      *self,
                                gpointer             owner,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (TRB_IS_DEVICE_QUEUE (self));
  g_return_if_fail (owner != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_device_queue_acquire_async);
  g_task_set_task_data (task, owner, NULL);
  if (self->holder == owner)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  g_queue_push_tail (&self->waiting, task);
  grant_next (self);
}

gboolean
trb_device_queue_acquire_finish (TrbDeviceQueue  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * trb_device_queue_release:
 * @self: a queue
 * @owner: the holder
 *
 * Gives the device to the next one waiting. Releasing when not holding does nothing.
 */
void
trb_device_queue_release (TrbDeviceQueue *self,
                          gpointer        owner)
{
  g_return_if_fail (TRB_IS_DEVICE_QUEUE (self));

  if (self->holder != owner || owner == NULL)
    return;
  self->holder = NULL;
  grant_next (self);
}

/**
 * trb_device_queue_withdraw:
 * @self: a queue
 * @owner: one that may be waiting or holding
 *
 * Takes @owner out of the queue (its wait ends as cancelled) and releases the device if it
 * holds it: for a network that is left or stopped.
 */
void
trb_device_queue_withdraw (TrbDeviceQueue *self,
                           gpointer        owner)
{
  g_return_if_fail (TRB_IS_DEVICE_QUEUE (self));

  for (GList *l = self->waiting.head; l != NULL;)
    {
      GList *next = l->next;
      GTask *task = l->data;

      if (g_task_get_task_data (task) == owner)
        {
          g_queue_delete_link (&self->waiting, l);
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                                   "Stopped waiting for the device.");
          g_object_unref (task);
        }
      l = next;
    }
  trb_device_queue_release (self, owner);
}

gpointer
trb_device_queue_get_holder (TrbDeviceQueue *self)
{
  g_return_val_if_fail (TRB_IS_DEVICE_QUEUE (self), NULL);
  return self->holder;
}

guint
trb_device_queue_get_n_waiting (TrbDeviceQueue *self)
{
  g_return_val_if_fail (TRB_IS_DEVICE_QUEUE (self), 0);
  return g_queue_get_length (&self->waiting);
}
