/* trb-cpu-executor.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "compute/trb-executor.h"

G_BEGIN_DECLS

#define TRB_TYPE_CPU_EXECUTOR (trb_cpu_executor_get_type ())

G_DECLARE_FINAL_TYPE (TrbCpuExecutor, trb_cpu_executor, TRB, CPU_EXECUTOR, GObject)

/* fp32 on the CPU: OpenBLAS for the matrix products, plain C for the rest. */
TrbExecutor *trb_cpu_executor_new           (void);
/* The worker threads (the calling one included) its last step used. */
int          trb_cpu_executor_get_n_threads (TrbCpuExecutor *self);

G_END_DECLS
