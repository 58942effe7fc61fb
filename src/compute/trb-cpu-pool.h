/* trb-cpu-pool.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small pool of worker threads for the CPU executor. Work is split into numbered tasks
 * whose number and boundaries depend only on the data, never on how many threads there are,
 * so results are the same bits whatever the thread count. Workers follow the scheduling
 * priority (nice value) of the thread that hands them work, as far as the system allows.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TrbCpuPool TrbCpuPool;

/* Runs task @task on worker @thread (0 ≤ @thread < trb_cpu_pool_get_n_threads()). */
typedef void (*TrbCpuTaskFunc) (int      task,
                                int      thread,
                                gpointer data);

/* @n_threads counts the calling thread; 0 means one per processor (at most 16). */
TrbCpuPool *trb_cpu_pool_new            (int            n_threads);
void        trb_cpu_pool_free           (TrbCpuPool    *pool);
int         trb_cpu_pool_get_n_threads  (TrbCpuPool    *pool);
/* Runs tasks 0 … @n_tasks − 1 and returns when all are done. Not reentrant. */
void        trb_cpu_pool_run            (TrbCpuPool    *pool,
                                         int            n_tasks,
                                         TrbCpuTaskFunc func,
                                         gpointer       data);
/* Scratch memory: one area per thread and one shared, grown (never shrunk) to at least the
 * given number of floats. Call outside trb_cpu_pool_run(). */
void        trb_cpu_pool_reserve        (TrbCpuPool    *pool,
                                         gsize          per_thread,
                                         gsize          shared);
float      *trb_cpu_pool_scratch        (TrbCpuPool    *pool,
                                         int            thread);
float      *trb_cpu_pool_shared         (TrbCpuPool    *pool);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbCpuPool, trb_cpu_pool_free)

G_END_DECLS
