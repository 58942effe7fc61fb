/* trb-history-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the model evaluation (trb-history-evaluation.c) reads of the history's ledger copy.
 */

#pragma once

#include "participant/trb-history.h"

G_BEGIN_DECLS

gboolean  trb_history_is_verified_model (TrbHistory  *self,
                                         const char  *origin,
                                         const char  *model,
                                         gboolean    *verified,
                                         GError     **error);
gboolean  trb_history_dup_task_json     (TrbHistory  *self,
                                         const char  *origin,
                                         const char  *task,
                                         char       **json,
                                         GError     **error);
char     *trb_history_dup_network_url   (TrbHistory  *self,
                                         const char  *origin,
                                         GError     **error);

G_END_DECLS
