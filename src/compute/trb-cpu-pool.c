/* trb-cpu-pool.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-cpu-pool"

#include "config.h"

#include "trb-cpu-pool.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

struct _TrbCpuPool
{
  int             n_threads;
  GThread       **threads;      /* n_threads − 1 workers */
  GMutex          lock;
  GCond           wake;
  GCond           done;
  guint           generation;   /* bumped for each run */
  gboolean        quit;
  TrbCpuTaskFunc  func;
  gpointer        data;
  int             n_tasks;
  int             next_task;    /* atomic */
  int             busy;         /* workers still in the current run */
  int             nice;         /* of the thread that handed out the current run */
  float         **scratch;      /* n_threads per-thread areas, then the shared one */
  gsize           per_thread;
  gsize           shared;
};

typedef struct
{
  TrbCpuPool *pool;
  int         index;
} Worker;

static int
current_nice (void)
{
  return getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid));
}

static void
run_tasks (TrbCpuPool *pool,
           int         thread)
{
  int task;

  while ((task = g_atomic_int_add (&pool->next_task, 1)) < pool->n_tasks)
    pool->func (task, thread, pool->data);
}

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;
  TrbCpuPool *pool = w->pool;
  guint seen = 0;
  int nice = current_nice ();

  g_mutex_lock (&pool->lock);
  for (;;)
    {
      while (!pool->quit && pool->generation == seen)
        g_cond_wait (&pool->wake, &pool->lock);
      if (pool->quit)
        break;
      seen = pool->generation;
      g_mutex_unlock (&pool->lock);

      if (pool->nice != nice)
        {
          /* Lowering always works; raising it again may be refused, which is fine. */
          setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), pool->nice);
          nice = current_nice ();
        }
      run_tasks (pool, w->index);

      g_mutex_lock (&pool->lock);
      if (--pool->busy == 0)
        g_cond_signal (&pool->done);
    }
  g_mutex_unlock (&pool->lock);
  g_free (w);
  return NULL;
}

TrbCpuPool *
trb_cpu_pool_new (int n_threads)
{
  TrbCpuPool *pool = g_new0 (TrbCpuPool, 1);

  if (n_threads <= 0)
    n_threads = (int) g_get_num_processors ();
  pool->n_threads = CLAMP (n_threads, 1, 16);
  g_mutex_init (&pool->lock);
  g_cond_init (&pool->wake);
  g_cond_init (&pool->done);
  pool->nice = current_nice ();
  pool->scratch = g_new0 (float *, pool->n_threads + 1);
  pool->threads = g_new0 (GThread *, pool->n_threads);
  for (int i = 1; i < pool->n_threads; i++)
    {
      Worker *w = g_new (Worker, 1);

      w->pool = pool;
      w->index = i;
      pool->threads[i - 1] = g_thread_new ("trb-cpu-worker", worker_main, w);
    }
  return pool;
}

void
trb_cpu_pool_free (TrbCpuPool *pool)
{
  if (pool == NULL)
    return;
  g_mutex_lock (&pool->lock);
  pool->quit = TRUE;
  g_cond_broadcast (&pool->wake);
  g_mutex_unlock (&pool->lock);
  for (int i = 0; i + 1 < pool->n_threads; i++)
    g_thread_join (pool->threads[i]);
  for (int i = 0; i <= pool->n_threads; i++)
    g_free (pool->scratch[i]);
  g_free (pool->scratch);
  g_free (pool->threads);
  g_mutex_clear (&pool->lock);
  g_cond_clear (&pool->wake);
  g_cond_clear (&pool->done);
  g_free (pool);
}

int
trb_cpu_pool_get_n_threads (TrbCpuPool *pool)
{
  return pool->n_threads;
}

void
trb_cpu_pool_run (TrbCpuPool     *pool,
                  int             n_tasks,
                  TrbCpuTaskFunc  func,
                  gpointer        data)
{
  if (n_tasks <= 0)
    return;
  if (pool->n_threads == 1 || n_tasks == 1)
    {
      for (int t = 0; t < n_tasks; t++)
        func (t, 0, data);
      return;
    }

  g_mutex_lock (&pool->lock);
  pool->func = func;
  pool->data = data;
  pool->n_tasks = n_tasks;
  g_atomic_int_set (&pool->next_task, 0);
  pool->busy = pool->n_threads - 1;
  pool->nice = current_nice ();
  pool->generation++;
  g_cond_broadcast (&pool->wake);
  g_mutex_unlock (&pool->lock);

  run_tasks (pool, 0);

  g_mutex_lock (&pool->lock);
  while (pool->busy > 0)
    g_cond_wait (&pool->done, &pool->lock);
  g_mutex_unlock (&pool->lock);
}

void
trb_cpu_pool_reserve (TrbCpuPool *pool,
                      gsize       per_thread,
                      gsize       shared)
{
  if (per_thread > pool->per_thread)
    {
      for (int i = 0; i < pool->n_threads; i++)
        {
          g_free (pool->scratch[i]);
          pool->scratch[i] = g_new (float, per_thread);
        }
      pool->per_thread = per_thread;
    }
  if (shared > pool->shared)
    {
      g_free (pool->scratch[pool->n_threads]);
      pool->scratch[pool->n_threads] = g_new (float, shared);
      pool->shared = shared;
    }
}

float *
trb_cpu_pool_scratch (TrbCpuPool *pool,
                      int         thread)
{
  return pool->scratch[thread];
}

float *
trb_cpu_pool_shared (TrbCpuPool *pool)
{
  return pool->scratch[pool->n_threads];
}
