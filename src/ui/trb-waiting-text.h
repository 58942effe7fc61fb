/* trb-waiting-text.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "participant/trb-participation.h"

G_BEGIN_DECLS

char *trb_waiting_text_format       (const TrbWaiting *waiting,
                                     GDateTime        *now,
                                     const char       *problem);
char *trb_waiting_text_format_time  (GDateTime        *now,
                                     gint64            when);
char *trb_waiting_text_dup_status   (TrbParticipation *participation);

G_END_DECLS
