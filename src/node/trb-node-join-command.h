/* trb-node-join-command.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The command line of the join policy: the options of `init` and `serve`, and `invite`.
 */

#pragma once

#include <glib.h>

#include "trb-node.h"

G_BEGIN_DECLS

typedef struct
{
  char *policy;  /* --join-policy, or NULL to keep the stored one */
  int   bits;    /* --proof-of-work-bits, or 0 to keep the stored number */
} TrbJoinOptions;

GOptionGroup *trb_join_options_group  (TrbJoinOptions  *options);
gboolean      trb_join_options_apply  (TrbJoinOptions  *options,
                                       TrbNode         *node,
                                       GError         **error);
void          trb_join_options_clear  (TrbJoinOptions  *options);
int           trb_node_run_invite     (int              argc,
                                       char           **argv);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TrbJoinOptions, trb_join_options_clear)

G_END_DECLS
