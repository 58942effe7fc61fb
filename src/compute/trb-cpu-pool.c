/* trb-cpu-pool.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A training step hands out a dozen runs of tasks within a fraction of a millisecond, so
 * waking a sleeping thread for each (a futex call on both sides) would cost as much as the
 * work. Threads therefore spin for a short while after each run, watching for the next one,
 * and only then sleep on a condition variable; a run signals it only when someone sleeps.
 *
 * Thread t first takes the tasks t, t + n, t + 2n, … of a run (n threads) and then any task
 * left, so the same task goes to the same thread step after step when the machine is not busy
 * with other work: a block of weights read in the forward pass is still in that processor's
 * cache when the backward pass updates it.
 */

#define G_LOG_DOMAIN "trb-cpu-pool"

#include "config.h"

#include "trb-cpu-pool.h"

#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* How long a thread watches for the next run before going to sleep. */
#define SPIN_USEC 100

struct _TrbCpuPool
{
  int             n_threads;
  GThread       **threads;      /* n_threads − 1 workers */
  GMutex          lock;
  GCond           wake;
  GCond           done;
  int             generation;   /* atomic, bumped for each run */
  int             quit;         /* atomic */
  int             sleepers;     /* atomic: workers waiting on @wake */
  int             waiting;      /* atomic: the caller waits on @done */
  TrbCpuTaskFunc  func;
  gpointer        data;
  int             n_tasks;
  int            *claimed;      /* atomic flags, one per task */
  int             n_claimed;
  int             busy;         /* atomic: workers still in the current run */
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

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#elif defined(__aarch64__)
  __asm__ __volatile__ ("yield");
#endif
}

static int
current_nice (void)
{
  return getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid));
}

static inline gboolean
claim (TrbCpuPool *pool,
       int         task)
{
  return g_atomic_int_get (&pool->claimed[task]) == 0 &&
         g_atomic_int_compare_and_exchange (&pool->claimed[task], 0, 1);
}

static void
run_tasks (TrbCpuPool *pool,
           int         thread)
{
  int n = pool->n_tasks;

  for (int task = thread; task < n; task += pool->n_threads)
    if (claim (pool, task))
      pool->func (task, thread, pool->data);
  for (int k = 1; k < n; k++)
    {
      /* Left-overs, starting after this thread's own share to meet fewer others. */
      int task = (thread + k) % n;

      if (claim (pool, task))
        pool->func (task, thread, pool->data);
    }
}

/* Spins until *@value differs from @old, for at most SPIN_USEC; returns whether it did. */
static gboolean
spin_while_equal (int *value,
                  int  old)
{
  gint64 deadline = 0;

  for (guint i = 0;; i++)
    {
      if (g_atomic_int_get (value) != old)
        return TRUE;
      cpu_relax ();
      if ((i & 63) == 63)
        {
          gint64 now = g_get_monotonic_time ();

          if (deadline == 0)
            deadline = now + SPIN_USEC;
          else if (now > deadline)
            return FALSE;
        }
    }
}

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;
  TrbCpuPool *pool = w->pool;
  int seen = 0;
  int nice = current_nice ();

  for (;;)
    {
      if (!spin_while_equal (&pool->generation, seen))
        {
          g_mutex_lock (&pool->lock);
          g_atomic_int_inc (&pool->sleepers);
          while (!g_atomic_int_get (&pool->quit) && g_atomic_int_get (&pool->generation) == seen)
            g_cond_wait (&pool->wake, &pool->lock);
          g_atomic_int_dec_and_test (&pool->sleepers);
          g_mutex_unlock (&pool->lock);
        }
      if (g_atomic_int_get (&pool->quit))
        break;
      seen = g_atomic_int_get (&pool->generation);

      if (pool->nice != nice)
        {
          /* Lowering always works; raising it again may be refused, which is fine. */
          setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), pool->nice);
          nice = current_nice ();
        }
      run_tasks (pool, w->index);

      if (g_atomic_int_dec_and_test (&pool->busy) && g_atomic_int_get (&pool->waiting))
        {
          g_mutex_lock (&pool->lock);
          g_cond_signal (&pool->done);
          g_mutex_unlock (&pool->lock);
        }
    }
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
  g_atomic_int_set (&pool->quit, 1);
  g_cond_broadcast (&pool->wake);
  g_mutex_unlock (&pool->lock);
  for (int i = 0; i + 1 < pool->n_threads; i++)
    g_thread_join (pool->threads[i]);
  for (int i = 0; i <= pool->n_threads; i++)
    g_free (pool->scratch[i]);
  g_free (pool->scratch);
  g_free (pool->threads);
  g_free (pool->claimed);
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

  if (n_tasks > pool->n_claimed)
    {
      g_free (pool->claimed);
      pool->n_claimed = MAX (n_tasks, 64);
      pool->claimed = g_new0 (int, pool->n_claimed);
    }
  else
    memset (pool->claimed, 0, n_tasks * sizeof (int));
  pool->func = func;
  pool->data = data;
  pool->n_tasks = n_tasks;
  pool->nice = current_nice ();
  g_atomic_int_set (&pool->busy, pool->n_threads - 1);
  /* Everything above is published by this atomic operation (a full barrier). */
  g_atomic_int_inc (&pool->generation);
  if (g_atomic_int_get (&pool->sleepers) > 0)
    {
      g_mutex_lock (&pool->lock);
      g_cond_broadcast (&pool->wake);
      g_mutex_unlock (&pool->lock);
    }

  run_tasks (pool, 0);

  for (int busy; (busy = g_atomic_int_get (&pool->busy)) > 0;)
    if (!spin_while_equal (&pool->busy, busy))
      break;
  if (g_atomic_int_get (&pool->busy) > 0)
    {
      g_mutex_lock (&pool->lock);
      g_atomic_int_set (&pool->waiting, 1);
      while (g_atomic_int_get (&pool->busy) > 0)
        g_cond_wait (&pool->done, &pool->lock);
      g_atomic_int_set (&pool->waiting, 0);
      g_mutex_unlock (&pool->lock);
    }
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
