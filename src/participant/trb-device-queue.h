/* trb-device-queue.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TRB_TYPE_DEVICE_QUEUE (trb_device_queue_get_type ())

G_DECLARE_FINAL_TYPE (TrbDeviceQueue, trb_device_queue, TRB, DEVICE_QUEUE, GObject)

TrbDeviceQueue *trb_device_queue_new            (void);
void            trb_device_queue_acquire_async  (TrbDeviceQueue       *self,
                                                 gpointer              owner,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean        trb_device_queue_acquire_finish (TrbDeviceQueue       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
void            trb_device_queue_release        (TrbDeviceQueue       *self,
                                                 gpointer              owner);
void            trb_device_queue_withdraw       (TrbDeviceQueue       *self,
                                                 gpointer              owner);
gpointer        trb_device_queue_get_holder     (TrbDeviceQueue       *self);
guint           trb_device_queue_get_n_waiting  (TrbDeviceQueue       *self);

G_END_DECLS
