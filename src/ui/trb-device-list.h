/* trb-device-list.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TRB_TYPE_DEVICE_LIST (trb_device_list_get_type ())

G_DECLARE_FINAL_TYPE (TrbDeviceList, trb_device_list, TRB, DEVICE_LIST, AdwPreferencesGroup)

GtkWidget *trb_device_list_new (void);

G_END_DECLS
