/* trb-reference-executor.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "compute/trb-executor.h"

G_BEGIN_DECLS

#define TRB_TYPE_REFERENCE_EXECUTOR (trb_reference_executor_get_type ())

G_DECLARE_FINAL_TYPE (TrbReferenceExecutor, trb_reference_executor, TRB, REFERENCE_EXECUTOR,
                      GObject)

/* The fp64 executor built from the reference ops: slow, and only a test oracle. */
TrbExecutor *trb_reference_executor_new (void);

G_END_DECLS
