/* trb-demo-node.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TRB_TYPE_DEMO_NODE (trb_demo_node_get_type ())

G_DECLARE_FINAL_TYPE (TrbDemoNode, trb_demo_node, TRB, DEMO_NODE, GObject)

char        *trb_demo_node_find_binary (void);
TrbDemoNode *trb_demo_node_new         (const char           *data_dir,
                                        const char * const   *extra_args);
void         trb_demo_node_start_async (TrbDemoNode          *self,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
char        *trb_demo_node_start_finish (TrbDemoNode         *self,
                                         GAsyncResult        *result,
                                         GError             **error);
const char  *trb_demo_node_get_url     (TrbDemoNode          *self);
void         trb_demo_node_set_own_process (TrbDemoNode      *self,
                                            gboolean          own_process);
GPid         trb_demo_node_get_pid     (TrbDemoNode          *self);
void         trb_demo_node_set_listen  (TrbDemoNode          *self,
                                        const char           *listen);
const char  *trb_demo_node_get_data_dir (TrbDemoNode         *self);
void         trb_demo_node_stop        (TrbDemoNode          *self);

G_END_DECLS
