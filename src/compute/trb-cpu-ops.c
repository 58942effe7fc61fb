/* trb-cpu-ops.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-cpu-ops"

#include "config.h"

#include "trb-cpu-ops.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "compute/trb-philox.h"

/* The element-wise loops are written so that they vectorise, which GCC does at -O2 only for
 * the simplest ones. None of them is a floating-point reduction the compiler could reorder. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif

void
trb_cpu_gemm (gboolean     trans_a,
              gboolean     trans_b,
              int          m,
              int          n,
              int          k,
              float        alpha,
              const float *a,
              const float *b,
              float        beta,
              float       *c)
{
  cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
               trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, trans_a ? m : k,
               b, trans_b ? k : n, beta, c, n);
}

/* Several executors may be stepping at once: the first to begin makes OpenBLAS
 * single-threaded and the last to end gives it its threads back. */
static GMutex blas_lock;
static int blas_users;
static int blas_saved_threads;

void
trb_cpu_blas_single_threaded (void)
{
  g_mutex_lock (&blas_lock);
  if (blas_users++ == 0)
    {
      blas_saved_threads = openblas_get_num_threads ();
      if (blas_saved_threads != 1)
        openblas_set_num_threads (1);
    }
  g_mutex_unlock (&blas_lock);
}

void
trb_cpu_blas_restore (void)
{
  g_mutex_lock (&blas_lock);
  if (blas_users > 0 && --blas_users == 0 && blas_saved_threads != 1)
    openblas_set_num_threads (blas_saved_threads);
  g_mutex_unlock (&blas_lock);
}

/* Row-major GEMM on sub-blocks, on the calling thread's share of OpenBLAS. */
static void
gemm_ld (gboolean     trans_a,
         gboolean     trans_b,
         int          m,
         int          n,
         int          k,
         const float *a,
         int          lda,
         const float *b,
         int          ldb,
         float        beta,
         float       *c,
         int          ldc)
{
  if (m <= 0 || n <= 0)
    return;
  cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
               trans_b ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

/* A fixed split of @size columns into blocks (multiples of 16) for a product of @work
 * multiply-adds: one block when it is too small to share out. */
static int
split_blocks (int    size,
              gsize  work,
              int   *block)
{
  int nb = work < (gsize) 1 << 20 ? 1 : MIN (8, (size + 31) / 32);

  *block = ((size + nb - 1) / nb + 15) / 16 * 16;
  return (size + *block - 1) / *block;
}

typedef struct
{
  TrbCpuPool            *pool;
  const TrbLayer        *l;
  int                    n;
  const float           *x;
  const float           *w;
  const float           *b;
  const float           *dy;
  const float           *mask;
  float                 *y;
  float                 *dx;
  float                 *dw;
  float                 *db;
  gboolean               relu;
  const TrbCpuOptimizer *o;      /* the fused optimizer step, or NULL */
  const TrbCpuParam     *pw;
  const TrbCpuParam     *pb;
  int                    block;
  int                    n_blocks;
  int                    dx_block;
  int                    n_weight_tasks; /* of this run; the rest compute dx */
} DenseJob;

static void
dense_forward_task (int      task,
                    int      thread,
                    gpointer data)
{
  DenseJob *j = data;
  int in = j->l->in_c, out = j->l->out_c;
  int o0 = task * j->block, o1 = MIN (out, o0 + j->block);

  for (int s = 0; s < j->n; s++)
    memcpy (j->y + (gsize) s * out + o0, j->b + o0, (o1 - o0) * sizeof (float));
  gemm_ld (FALSE, TRUE, j->n, o1 - o0, in, j->x, in, j->w + (gsize) o0 * in, in, 1.0f,
           j->y + o0, out);
  if (j->relu)
    for (int s = 0; s < j->n; s++)
      {
        float *row = j->y + (gsize) s * out;

        for (int o = o0; o < o1; o++)
          row[o] = row[o] > 0 ? row[o] : 0.0f;
      }
}

void
trb_cpu_dense_forward (TrbCpuPool     *pool,
                       const TrbLayer *l,
                       int             n,
                       const float    *x,
                       const float    *w,
                       const float    *b,
                       gboolean        relu,
                       float          *y)
{
  DenseJob j = { .pool = pool, .l = l, .n = n, .x = x, .w = w, .b = b, .y = y, .relu = relu };

  j.n_blocks = split_blocks (l->out_c, (gsize) n * l->in_c * l->out_c, &j.block);
  trb_cpu_pool_run (pool, j.n_blocks, dense_forward_task, &j);
}

/* After m = μm + g: the rest of an SGD momentum step (weight decay and the FedProx term join
 * the momentum, as in trb_cpu_optimizer_update()). */
static void
momentum_finish (const TrbCpuOptimizer *o,
                 gsize                  count,
                 float       *restrict  w,
                 float       *restrict  m,
                 const float *restrict  anchor)
{
  float lr = o->lr, wd = o->wd, mu = o->mu;

  if (anchor != NULL)
    for (gsize k = 0; k < count; k++)
      {
        m[k] += wd * w[k] + mu * (w[k] - anchor[k]);
        w[k] -= lr * m[k];
      }
  else if (wd != 0)
    for (gsize k = 0; k < count; k++)
      {
        m[k] += wd * w[k];
        w[k] -= lr * m[k];
      }
  else
    for (gsize k = 0; k < count; k++)
      w[k] -= lr * m[k];
}

static void
dense_weight_rows (DenseJob *j,
                   int       task,
                   int       thread)
{
  int in = j->l->in_c, out = j->l->out_c;
  int o0 = task * j->block, o1 = MIN (out, o0 + j->block), rows = o1 - o0;
  const float *dy = j->dy + o0;
  float *db = j->o ? trb_cpu_pool_scratch (j->pool, thread) : j->db + o0;

  for (int o = 0; o < rows; o++)
    {
      float acc = 0;

      for (int s = 0; s < j->n; s++)
        acc += dy[(gsize) s * out + o];
      db[o] = acc;
    }

  if (j->o == NULL)
    {
      gemm_ld (TRUE, FALSE, rows, in, j->n, dy, out, j->x, in, 0.0f, j->dw + (gsize) o0 * in,
               in);
      return;
    }

  {
    const TrbCpuOptimizer *o = j->o;
    const TrbCpuParam *pw = j->pw, *pb = j->pb;
    gsize first = (gsize) o0 * in, count = (gsize) rows * in;
    const float *anchor = pw->anchor ? pw->anchor + first : NULL;

    if (!o->adam && o->momentum != 0)
      {
        gemm_ld (TRUE, FALSE, rows, in, j->n, dy, out, j->x, in, o->momentum, pw->m + first, in);
        momentum_finish (o, count, pw->w + first, pw->m + first, anchor);
      }
    else
      {
        float *g = db + j->block;

        gemm_ld (TRUE, FALSE, rows, in, j->n, dy, out, j->x, in, 0.0f, g, in);
        trb_cpu_optimizer_update (o, count, pw->w + first, g, pw->m + first,
                                  pw->v ? pw->v + first : NULL, anchor);
      }
    trb_cpu_optimizer_update (o, rows, pb->w + o0, db, pb->m + o0, pb->v ? pb->v + o0 : NULL,
                              pb->anchor ? pb->anchor + o0 : NULL);
  }
}

static void
dense_data_columns (DenseJob *j,
                    int       task)
{
  int in = j->l->in_c, out = j->l->out_c;
  int i0 = task * j->dx_block, i1 = MIN (in, i0 + j->dx_block);

  gemm_ld (FALSE, FALSE, j->n, i1 - i0, out, j->dy, out, j->w + i0, in, 0.0f, j->dx + i0, in);
  if (j->mask != NULL)
    for (int s = 0; s < j->n; s++)
      {
        const float *mask = j->mask + (gsize) s * in;
        float *dx = j->dx + (gsize) s * in;

        for (int i = i0; i < i1; i++)
          dx[i] = mask[i] > 0 ? dx[i] : 0.0f;
      }
}

/* Tasks below n_weight_tasks compute (or apply) rows of the weight gradient, the rest
 * columns of dx. */
static void
dense_backward_task (int      task,
                     int      thread,
                     gpointer data)
{
  DenseJob *j = data;

  if (task < j->n_weight_tasks)
    dense_weight_rows (j, task, thread);
  else
    dense_data_columns (j, task - j->n_weight_tasks);
}

static int
dense_backward_setup (DenseJob *j)
{
  gsize work = (gsize) j->n * j->l->in_c * j->l->out_c;

  j->n_blocks = split_blocks (j->l->out_c, work, &j->block);
  return j->dx != NULL ? split_blocks (j->l->in_c, work, &j->dx_block) : 0;
}

void
trb_cpu_dense_backward (TrbCpuPool     *pool,
                        const TrbLayer *l,
                        int             n,
                        const float    *x,
                        const float    *w,
                        const float    *dy,
                        const float    *mask,
                        float          *dx,
                        float          *dw,
                        float          *db)
{
  DenseJob j = { .pool = pool, .l = l, .n = n, .x = x, .w = w, .dy = dy, .mask = mask,
                 .dx = dx, .dw = dw, .db = db };
  int n_dx = dense_backward_setup (&j);

  j.n_weight_tasks = j.n_blocks;
  trb_cpu_pool_run (pool, j.n_blocks + n_dx, dense_backward_task, &j);
}

void
trb_cpu_dense_backward_update (TrbCpuPool            *pool,
                               const TrbLayer        *l,
                               int                    n,
                               const float           *x,
                               const float           *dy,
                               const float           *mask,
                               float                 *dx,
                               const TrbCpuOptimizer *o,
                               const TrbCpuParam     *weight,
                               const TrbCpuParam     *bias)
{
  DenseJob j = { .pool = pool, .l = l, .n = n, .x = x, .w = weight->w, .dy = dy, .mask = mask,
                 .dx = dx, .o = o, .pw = weight, .pb = bias };
  int n_dx = dense_backward_setup (&j);

  /* Scratch for the bias gradient, and for the weight gradient unless it goes straight into
   * the momentum. */
  trb_cpu_pool_reserve (pool, (gsize) j.block * (!o->adam && o->momentum != 0 ? 1 : 1 + l->in_c),
                        0);
  /* dx needs the weights before the step. */
  j.n_weight_tasks = 0;
  trb_cpu_pool_run (pool, n_dx, dense_backward_task, &j);
  j.n_weight_tasks = j.n_blocks;
  trb_cpu_pool_run (pool, j.n_blocks, dense_backward_task, &j);
}

/* GCC turns the copy loops below into calls to memcpy and memset, which for rows of a few
 * dozen floats cost more than the copy: keep them as (vectorised) loops. */
#if defined(__GNUC__) && !defined(__clang__)
#define TRB_NO_MEMCPY_CALLS __attribute__ ((optimize ("no-tree-loop-distribute-patterns")))
#else
#define TRB_NO_MEMCPY_CALLS
#endif

/* GCC leaves a loop of float comparisons and selects as branches while comparisons may trap;
 * nothing here uses floating-point exceptions. */
#if defined(__GNUC__) && !defined(__clang__)
#define TRB_SELECTS_VECTORISE __attribute__ ((optimize ("no-trapping-math")))
#else
#define TRB_SELECTS_VECTORISE
#endif

/* With stride 1 the input planes are first copied into @padded, (in_h + 2·pad_h) ×
 * (in_w + 2·pad_w) each with zeros around, so that every row of the columns is one copy of
 * out_w floats with no bounds to test: rows of a dozen floats cost more in tests than in
 * copies. conv_padded_size() floats a sample, none for other strides. */
static gsize
padded_plane (const TrbLayer *l)
{
  return (gsize) (l->in_h + 2 * l->pad_h) * (l->in_w + 2 * l->pad_w);
}

static gsize
conv_padded_size (const TrbLayer *l)
{
  return l->stride == 1 ? (gsize) l->in_c * padded_plane (l) : 0;
}

static TRB_NO_MEMCPY_CALLS void
pad_planes (const TrbLayer *l,
            int             n,
            const float    *x,
            float          *padded)
{
  int pw = l->in_w + 2 * l->pad_w;
  gsize plane = padded_plane (l);

  for (gsize c = 0; c < (gsize) n * l->in_c; c++)
    {
      const float *src = x + c * l->in_h * l->in_w;
      float *dst = padded + c * plane;

      memset (dst, 0, (gsize) l->pad_h * pw * sizeof (float));
      for (int y = 0; y < l->in_h; y++)
        {
          float *d = dst + (gsize) (l->pad_h + y) * pw;

          for (int i = 0; i < l->pad_w; i++)
            d[i] = d[pw - 1 - i] = 0;
          for (int i = 0; i < l->in_w; i++)
            d[l->pad_w + i] = src[(gsize) y * l->in_w + i];
        }
      memset (dst + (gsize) (l->pad_h + l->in_h) * pw, 0,
              (gsize) l->pad_h * pw * sizeof (float));
    }
}

/* dst[r][0 … width − 1] = src[r·stride …] for @rows rows of @width floats (stride ≥ width),
 * packed. With rows of at least three floats every row but the last is copied four floats at
 * a time, running at most three floats into the next row, which then writes them; and the
 * reads past a row of src end before the last row's do. */
static inline void
copy_rows (int                    rows,
           int                    width,
           const float *restrict  src,
           int                    stride,
           float       *restrict  dst)
{
  int width4 = (width + 3) & ~3;

  if (width < 3)
    {
      for (int r = 0; r < rows; r++)
        for (int x = 0; x < width; x++)
          dst[(gsize) r * width + x] = src[(gsize) r * stride + x];
      return;
    }
  for (int r = 0; r < rows - 1; r++)
    for (int x = 0; x < width4; x += 4)
      for (int u = 0; u < 4; u++)
        dst[(gsize) r * width + x + u] = src[(gsize) r * stride + x + u];
  for (int x = 0; x < width; x++)
    dst[(gsize) (rows - 1) * width + x] = src[(gsize) (rows - 1) * stride + x];
}

/* cols[(ic·kh + ky)·kw + kx][s·P + p] = x[s][ic][oy·stride − pad + ky][ox·stride − pad + kx] */
static TRB_NO_MEMCPY_CALLS void
im2col (const TrbLayer *l,
        int             n,
        const float    *x,
        float          *padded,
        float          *cols)
{
  gsize P = (gsize) l->out_h * l->out_w, nP = n * P;
  int pw = l->in_w + 2 * l->pad_w, ow = l->out_w;

  if (l->stride == 1)
    pad_planes (l, n, x, padded);
  for (int ic = 0; ic < l->in_c; ic++)
    for (int ky = 0; ky < l->kernel_h; ky++)
      for (int kx = 0; kx < l->kernel_w; kx++)
        {
          float *row = cols + (((gsize) ic * l->kernel_h + ky) * l->kernel_w + kx) * nP;

          for (int s = 0; s < n; s++)
            {
              float *dst = row + s * P;

              if (l->stride == 1)
                {
                  const float *src = padded + ((gsize) s * l->in_c + ic) * padded_plane (l) +
                                     (gsize) ky * pw + kx;

                  copy_rows (l->out_h, ow, src, pw, dst);
                  continue;
                }
              for (int oy = 0; oy < l->out_h; oy++)
                {
                  const float *plane = x + ((gsize) s * l->in_c + ic) * l->in_h * l->in_w;
                  int iy = oy * l->stride - l->pad_h + ky;

                  for (int ox = 0; ox < ow; ox++)
                    {
                      int ix = ox * l->stride - l->pad_w + kx;
                      gboolean inside = iy >= 0 && iy < l->in_h && ix >= 0 && ix < l->in_w;

                      dst[(gsize) oy * ow + ox] = inside ? plane[(gsize) iy * l->in_w + ix] : 0.0f;
                    }
                }
            }
        }
}

/* The adjoint of im2col: with stride 1 the sums go into @padded, whose inner part is then
 * copied out to dx. */
static TRB_NO_MEMCPY_CALLS void
col2im (const TrbLayer *l,
        int             n,
        const float    *cols,
        float          *padded,
        float          *dx)
{
  gsize P = (gsize) l->out_h * l->out_w, nP = n * P;
  int pw = l->in_w + 2 * l->pad_w, ow = l->out_w;

  if (l->stride == 1)
    memset (padded, 0, (gsize) n * conv_padded_size (l) * sizeof (float));
  else
    memset (dx, 0, (gsize) n * l->in_c * l->in_h * l->in_w * sizeof (float));
  for (int ic = 0; ic < l->in_c; ic++)
    for (int ky = 0; ky < l->kernel_h; ky++)
      for (int kx = 0; kx < l->kernel_w; kx++)
        {
          const float *row = cols + (((gsize) ic * l->kernel_h + ky) * l->kernel_w + kx) * nP;

          for (int s = 0; s < n; s++)
            {
              const float *src = row + s * P;

              if (l->stride == 1)
                {
                  float *dst = padded + ((gsize) s * l->in_c + ic) * padded_plane (l) +
                               (gsize) ky * pw + kx;

                  for (int oy = 0; oy < l->out_h; oy++)
                    for (int ox = 0; ox < ow; ox++)
                      dst[(gsize) oy * pw + ox] += src[(gsize) oy * ow + ox];
                  continue;
                }
              for (int oy = 0; oy < l->out_h; oy++)
                {
                  float *plane = dx + ((gsize) s * l->in_c + ic) * l->in_h * l->in_w;
                  int iy = oy * l->stride - l->pad_h + ky;

                  for (int ox = 0; ox < ow; ox++)
                    {
                      int ix = ox * l->stride - l->pad_w + kx;

                      if (iy >= 0 && iy < l->in_h && ix >= 0 && ix < l->in_w)
                        plane[(gsize) iy * l->in_w + ix] += src[(gsize) oy * ow + ox];
                    }
                }
            }
        }
  if (l->stride == 1)
    for (gsize c = 0; c < (gsize) n * l->in_c; c++)
      for (int y = 0; y < l->in_h; y++)
        {
          const float *src = padded + c * padded_plane (l) + (gsize) (l->pad_h + y) * pw +
                             l->pad_w;
          float *dst = dx + (c * l->in_h + y) * l->in_w;

          for (int x = 0; x < l->in_w; x++)
            dst[x] = src[x];
        }
}

/* Samples are split into at most CONV_GROUPS groups of consecutive samples, the tasks that
 * threads share; a group runs over chunks of samples small enough (about 2 MiB of columns) to
 * stay in cache between im2col, the GEMMs and col2im, each thread with its own scratch. The
 * split depends only on the shapes, so the sums come out the same whatever the thread count. */
#define CONV_GROUPS 8

static gsize
conv_per_sample (const TrbLayer *l)
{
  return (gsize) l->in_c * l->kernel_h * l->kernel_w * l->out_h * l->out_w;
}

static int
conv_chunk (const TrbLayer *l,
            int             n)
{
  return (int) CLAMP ((gsize) 524288 / MAX (conv_per_sample (l), 1), 1, (gsize) MAX (n, 1));
}

/* When the columns of the whole batch are small (up to 16 MiB) they are built once in the
 * forward pass and kept for the backward pass. */
gsize
trb_cpu_conv2d_cols_size (const TrbLayer *l,
                          int             n)
{
  gsize whole = conv_per_sample (l) * MAX (n, 1);

  return whole <= (gsize) 4 * 1024 * 1024 ? whole : 0;
}

typedef struct
{
  TrbCpuPool     *pool;
  const TrbLayer *l;
  int             n;
  int             n_groups;
  int             chunk;
  int             K;
  gsize           P;
  gsize           in_size;
  const float    *x;
  const float    *w;
  const float    *b;
  const float    *dy;
  const float    *mask;
  float          *y;
  float          *dx;
  float          *cols;
  gboolean        cols_valid;
  gboolean        relu;
  float          *dw_part;
  double         *db_part;
} ConvJob;

static void
conv_job_init (ConvJob        *j,
               TrbCpuPool     *pool,
               const TrbLayer *l,
               int             n,
               float          *cols,
               gboolean        backward)
{
  gsize per_thread;

  memset (j, 0, sizeof *j);
  j->pool = pool;
  j->l = l;
  j->n = n;
  j->n_groups = MIN (n, CONV_GROUPS);
  j->K = l->in_c * l->kernel_h * l->kernel_w;
  j->P = (gsize) l->out_h * l->out_w;
  j->in_size = (gsize) l->in_c * l->in_h * l->in_w;
  j->chunk = MIN (conv_chunk (l, n), (n + j->n_groups - 1) / MAX (j->n_groups, 1));
  j->cols = cols;
  per_thread = (gsize) l->out_c * j->chunk * j->P + j->chunk * conv_padded_size (l);
  if (cols == NULL)
    per_thread += (gsize) j->K * j->chunk * j->P;
  /* The shared area holds each group's bias sums (as doubles) then its weight gradient. */
  trb_cpu_pool_reserve (pool, per_thread, backward ?
                        (gsize) j->n_groups * l->out_c * (2 + (gsize) j->K) : 0);
  if (backward)
    {
      j->db_part = (double *) trb_cpu_pool_shared (pool);
      j->dw_part = trb_cpu_pool_shared (pool) + (gsize) j->n_groups * l->out_c * 2;
    }
}

/* Samples first … end − 1 of group @group out of @n_groups. Pooling splits a batch into the
 * same groups as convolutions, so that with the pool's fixed share of tasks a group of samples
 * stays with one thread, and in its processor's cache, from layer to layer. */
static void
sample_group (int  n,
              int  n_groups,
              int  group,
              int *first,
              int *end)
{
  *first = (int) ((gint64) n * group / n_groups);
  *end = (int) ((gint64) n * (group + 1) / n_groups);
}

static void
group_range (const ConvJob *j,
             int            group,
             int           *first,
             int           *end)
{
  sample_group (j->n, j->n_groups, group, first, end);
}

/* A thread's scratch: the GEMM output, the columns unless the whole batch's are kept, then
 * the padded planes. */
static float *
chunk_padded (const ConvJob *j,
              int            thread)
{
  return trb_cpu_pool_scratch (j->pool, thread) + (gsize) j->l->out_c * j->chunk * j->P +
         (j->cols == NULL ? (gsize) j->K * j->chunk * j->P : 0);
}

static float *
chunk_cols (const ConvJob *j,
            int            thread,
            int            s0)
{
  if (j->cols != NULL)
    return j->cols + (gsize) s0 * j->K * j->P;
  return trb_cpu_pool_scratch (j->pool, thread) + (gsize) j->l->out_c * j->chunk * j->P;
}

static void
conv_forward_task (int      group,
                   int      thread,
                   gpointer data)
{
  ConvJob *j = data;
  const TrbLayer *l = j->l;
  float *tmp = trb_cpu_pool_scratch (j->pool, thread);
  gsize P = j->P;
  int first, end;

  group_range (j, group, &first, &end);
  for (int s0 = first; s0 < end; s0 += j->chunk)
    {
      int c = MIN (j->chunk, end - s0), cP = (int) (c * P);
      float *cols = chunk_cols (j, thread, s0);

      im2col (l, c, j->x + s0 * j->in_size, chunk_padded (j, thread), cols);
      gemm_ld (FALSE, FALSE, l->out_c, cP, j->K, j->w, j->K, cols, cP, 0.0f, tmp, cP);
      for (int s = 0; s < c; s++)
        for (int oc = 0; oc < l->out_c; oc++)
          {
            const float *src = tmp + (gsize) oc * cP + s * P;
            float *dst = j->y + ((gsize) (s0 + s) * l->out_c + oc) * P;
            float bias = j->b[oc];

            if (j->relu)
              for (gsize p = 0; p < P; p++)
                dst[p] = MAX (src[p] + bias, 0.0f);
            else
              for (gsize p = 0; p < P; p++)
                dst[p] = src[p] + bias;
          }
    }
}

void
trb_cpu_conv2d_forward (TrbCpuPool     *pool,
                        const TrbLayer *l,
                        int             n,
                        const float    *x,
                        const float    *w,
                        const float    *b,
                        float          *y,
                        gboolean        relu,
                        float          *cols)
{
  ConvJob j;

  conv_job_init (&j, pool, l, n, cols, FALSE);
  j.x = x;
  j.w = w;
  j.b = b;
  j.y = y;
  j.relu = relu;
  trb_cpu_pool_run (pool, j.n_groups, conv_forward_task, &j);
}

static void
mask_copy (gsize                   count,
           const float *restrict   src,
           const float *restrict   mask,
           float       *restrict   dst)
{
  for (gsize p = 0; p < count; p++)
    {
      float v = src[p];

      dst[p] = mask[p] > 0 ? v : 0.0f;
    }
}

/* In eight interleaved partial sums, a fixed order that vectorises. */
static double
sum_floats (const float *x,
            gsize        count)
{
  float part[8] = { 0 };
  double acc = 0;
  gsize p = 0;

  for (; p + 8 <= count; p += 8)
    for (int i = 0; i < 8; i++)
      part[i] += x[p + i];
  for (; p < count; p++)
    acc += x[p];
  for (int i = 0; i < 8; i++)
    acc += part[i];
  return acc;
}

static void
conv_backward_task (int      group,
                    int      thread,
                    gpointer data)
{
  ConvJob *j = data;
  const TrbLayer *l = j->l;
  float *tmp = trb_cpu_pool_scratch (j->pool, thread);
  float *dw = j->dw_part + (gsize) group * l->out_c * j->K;
  double *db = j->db_part + (gsize) group * l->out_c;
  gsize P = j->P;
  int first, end;

  group_range (j, group, &first, &end);
  for (int oc = 0; oc < l->out_c; oc++)
    db[oc] = 0;
  for (int s0 = first; s0 < end; s0 += j->chunk)
    {
      int c = MIN (j->chunk, end - s0), cP = (int) (c * P);
      float *cols = chunk_cols (j, thread, s0);

      /* dy is [n][oc][P]; the GEMMs want [oc][c·P], masked by a fused ReLU's output. */
      for (int oc = 0; oc < l->out_c; oc++)
        {
          float *row = tmp + (gsize) oc * cP;

          for (int s = 0; s < c; s++)
            {
              gsize at = ((gsize) (s0 + s) * l->out_c + oc) * P;

              if (j->mask != NULL)
                mask_copy (P, j->dy + at, j->mask + at, row + s * P);
              else
                memcpy (row + s * P, j->dy + at, P * sizeof (float));
            }
          db[oc] += sum_floats (row, cP);
        }
      if (!(j->cols != NULL && j->cols_valid))
        im2col (l, c, j->x + s0 * j->in_size, chunk_padded (j, thread), cols);
      gemm_ld (FALSE, TRUE, l->out_c, j->K, cP, tmp, cP, cols, cP, s0 == first ? 0.0f : 1.0f,
               dw, j->K);
      if (j->dx != NULL)
        {
          gemm_ld (TRUE, FALSE, j->K, cP, l->out_c, j->w, j->K, tmp, cP, 0.0f, cols, cP);
          col2im (l, c, cols, chunk_padded (j, thread), j->dx + s0 * j->in_size);
        }
    }
}

void
trb_cpu_conv2d_backward (TrbCpuPool     *pool,
                         const TrbLayer *l,
                         int             n,
                         const float    *x,
                         const float    *dy,
                         const float    *mask,
                         const float    *w,
                         float          *dx,
                         float          *dw,
                         float          *db,
                         float          *cols,
                         gboolean        cols_valid)
{
  ConvJob j;
  gsize nw = (gsize) l->out_c * l->in_c * l->kernel_h * l->kernel_w;

  conv_job_init (&j, pool, l, n, cols, TRUE);
  j.x = x;
  j.dy = dy;
  j.mask = mask;
  j.w = w;
  j.dx = dx;
  j.cols_valid = cols_valid;
  trb_cpu_pool_run (pool, j.n_groups, conv_backward_task, &j);
  /* The groups' sums, always added in the same order. */
  memcpy (dw, j.dw_part, nw * sizeof (float));
  for (int g = 1; g < j.n_groups; g++)
    {
      const float *part = j.dw_part + g * nw;

      for (gsize i = 0; i < nw; i++)
        dw[i] += part[i];
    }
  for (int oc = 0; oc < l->out_c; oc++)
    {
      double acc = 0;

      for (int g = 0; g < j.n_groups; g++)
        acc += j.db_part[(gsize) g * l->out_c + oc];
      db[oc] = (float) acc;
    }
}

typedef struct _PoolJob
{
  const TrbLayer *l;
  int             n;
  const float    *x;
  const float    *dy;
  float          *y;
  float          *dx;
  const gint32   *argmax_in;
  gint32         *argmax;
  void          (*per_sample) (const struct _PoolJob *j,
                               int                    s);
} PoolJob;

/* A group of samples, as the convolutions split the batch. */
static void
pool_group_task (int      group,
                 int      thread,
                 gpointer data)
{
  PoolJob *j = data;
  int first, end;

  sample_group (j->n, MIN (j->n, CONV_GROUPS), group, &first, &end);
  for (int s = first; s < end; s++)
    j->per_sample (j, s);
}

/* One row of the common 2×2 window with stride 2, the first maximum as argmax: branch-free,
 * and through restrict pointers, so that it vectorises. */
static TRB_SELECTS_VECTORISE void
maxpool_row_2x2 (int                     out_w,
                 int                     in_w,
                 int                     i0,
                 const float *restrict   r0,
                 const float *restrict   r1,
                 float       *restrict   yo,
                 gint32      *restrict   ao)
{
  for (int ox = 0; ox < out_w; ox++)
    {
      float a = r0[2 * ox], b = r0[2 * ox + 1];
      float c = r1[2 * ox], d = r1[2 * ox + 1];
      float v = a;
      int off = 0;

      off = b > v ? 1 : off;
      v = b > v ? b : v;
      off = c > v ? in_w : off;
      v = c > v ? c : v;
      off = d > v ? in_w + 1 : off;
      v = d > v ? d : v;
      yo[ox] = v;
      ao[ox] = i0 + 2 * ox + off;
    }
}

static void
maxpool_forward_sample (const PoolJob *j,
                        int            s)
{
  const TrbLayer *l = j->l;
  gsize in_plane = (gsize) l->in_h * l->in_w;

  for (int c = 0; c < l->out_c; c++)
    {
      const float *plane = j->x + ((gsize) s * l->in_c + c) * in_plane;
      gsize base = ((gsize) s * l->out_c + c) * l->out_h * l->out_w;

      /* The common 2×2 window with stride 2, same choice of argmax (first maximum). */
      if (l->kernel_h == 2 && l->kernel_w == 2 && l->stride == 2)
        {
          for (int oy = 0; oy < l->out_h; oy++)
            {
              const float *r0 = plane + (gsize) 2 * oy * l->in_w, *r1 = r0 + l->in_w;
              float *yo = j->y + base + (gsize) oy * l->out_w;
              gint32 *ao = j->argmax + base + (gsize) oy * l->out_w;
              int i0 = 2 * oy * l->in_w;

              maxpool_row_2x2 (l->out_w, l->in_w, i0, r0, r1, yo, ao);
            }
          continue;
        }

      for (int oy = 0; oy < l->out_h; oy++)
        for (int ox = 0; ox < l->out_w; ox++)
          {
            int best = (oy * l->stride) * l->in_w + ox * l->stride;
            float best_v = plane[best];

            for (int ky = 0; ky < l->kernel_h; ky++)
              for (int kx = 0; kx < l->kernel_w; kx++)
                {
                  int i = (oy * l->stride + ky) * l->in_w + ox * l->stride + kx;
                  if (plane[i] > best_v)
                    {
                      best_v = plane[i];
                      best = i;
                    }
                }
            j->y[base + (gsize) oy * l->out_w + ox] = best_v;
            j->argmax[base + (gsize) oy * l->out_w + ox] = best;
          }
    }
}

void
trb_cpu_maxpool_forward (TrbCpuPool     *pool,
                         const TrbLayer *l,
                         int             n,
                         const float    *x,
                         float          *y,
                         gint32         *argmax)
{
  PoolJob j = { l, n, x, NULL, y, NULL, NULL, argmax, maxpool_forward_sample };

  trb_cpu_pool_run (pool, MIN (n, CONV_GROUPS), pool_group_task, &j);
}

static void
maxpool_backward_sample (const PoolJob *j,
                         int            s)
{
  const TrbLayer *l = j->l;
  gsize in_plane = (gsize) l->in_h * l->in_w, out_plane = (gsize) l->out_h * l->out_w;

  memset (j->dx + (gsize) s * l->in_c * in_plane, 0, l->in_c * in_plane * sizeof (float));
  for (gsize sc = (gsize) s * l->out_c; sc < (gsize) (s + 1) * l->out_c; sc++)
    for (gsize p = 0; p < out_plane; p++)
      j->dx[sc * in_plane + j->argmax_in[sc * out_plane + p]] += j->dy[sc * out_plane + p];
}

void
trb_cpu_maxpool_backward (TrbCpuPool     *pool,
                          const TrbLayer *l,
                          int             n,
                          const gint32   *argmax,
                          const float    *dy,
                          float          *dx)
{
  PoolJob j = { l, n, NULL, dy, NULL, dx, argmax, NULL, maxpool_backward_sample };

  trb_cpu_pool_run (pool, MIN (n, CONV_GROUPS), pool_group_task, &j);
}

void
trb_cpu_relu_forward (gsize        count,
                      const float *x,
                      float       *y)
{
  for (gsize i = 0; i < count; i++)
    y[i] = x[i] > 0 ? x[i] : 0.0f;
}

void
trb_cpu_relu_backward (gsize        count,
                       const float *y,
                       const float *dy,
                       float       *dx)
{
  for (gsize i = 0; i < count; i++)
    dx[i] = y[i] > 0 ? dy[i] : 0.0f;
}

void
trb_cpu_dropout (const TrbLayer *l,
                 guint           layer_index,
                 int             n,
                 guint64         seed,
                 guint64         step,
                 const float    *x,
                 float          *y)
{
  gsize count = (gsize) n * l->in_c * l->in_h * l->in_w;
  float scale = (float) (1.0 / (1.0 - l->rate));

  for (gsize i = 0; i < count; i++)
    y[i] = trb_dropout_keeps (seed, step, layer_index, i, l->rate) ? x[i] * scale : 0.0f;
}

void
trb_cpu_softmax_xent (int           n,
                      int           classes,
                      const float  *logits,
                      const gint32 *labels,
                      float        *dlogits,
                      double       *loss_sum,
                      int          *correct)
{
  *loss_sum = 0;
  *correct = 0;
  for (int s = 0; s < n; s++)
    {
      const float *z = logits + (gsize) s * classes;
      float max = z[0], sum = 0;
      int arg = 0;

      for (int c = 1; c < classes; c++)
        if (z[c] > max)
          {
            max = z[c];
            arg = c;
          }
      for (int c = 0; c < classes; c++)
        sum += expf (z[c] - max);
      *loss_sum += logf (sum) + max - z[labels[s]];
      *correct += arg == labels[s];
      if (dlogits != NULL)
        for (int c = 0; c < classes; c++)
          dlogits[(gsize) s * classes + c] =
            (expf (z[c] - max) / sum - (c == labels[s] ? 1.0f : 0.0f)) / n;
    }
}

static inline G_ALWAYS_INLINE void
update_loop (gsize                   count,
             gboolean                adam,
             gboolean                momentum,
             gboolean                prox,
             const TrbCpuOptimizer  *o,
             float       *restrict   w,
             const float *restrict   g,
             float       *restrict   m,
             float       *restrict   v,
             const float *restrict   anchor)
{
  float lr = o->lr, wd = o->wd, mu = o->mu, mom = o->momentum;
  float b1 = o->beta1, b2 = o->beta2, eps = o->eps, bc1 = o->bc1, bc2 = o->bc2;

  for (gsize k = 0; k < count; k++)
    {
      float grad = g[k] + wd * w[k];

      if (prox)
        grad += mu * (w[k] - anchor[k]);
      if (adam)
        {
          m[k] = b1 * m[k] + (1 - b1) * grad;
          v[k] = b2 * v[k] + (1 - b2) * grad * grad;
          w[k] -= lr * (m[k] / bc1) / (sqrtf (v[k] / bc2) + eps);
        }
      else if (momentum)
        {
          m[k] = mom * m[k] + grad;
          w[k] -= lr * m[k];
        }
      else
        w[k] -= lr * grad;
    }
}

void
trb_cpu_optimizer_update (const TrbCpuOptimizer *o,
                          gsize                  count,
                          float                 *w,
                          const float           *g,
                          float                 *m,
                          float                 *v,
                          const float           *anchor)
{
  /* One loop for each case, each without branches, so that they vectorise. */
  if (o->adam)
    {
      if (anchor != NULL)
        update_loop (count, TRUE, FALSE, TRUE, o, w, g, m, v, anchor);
      else
        update_loop (count, TRUE, FALSE, FALSE, o, w, g, m, v, NULL);
    }
  else if (o->momentum != 0)
    {
      if (anchor != NULL)
        update_loop (count, FALSE, TRUE, TRUE, o, w, g, m, v, anchor);
      else
        update_loop (count, FALSE, TRUE, FALSE, o, w, g, m, v, NULL);
    }
  else
    {
      if (anchor != NULL)
        update_loop (count, FALSE, FALSE, TRUE, o, w, g, m, v, anchor);
      else
        update_loop (count, FALSE, FALSE, FALSE, o, w, g, m, v, NULL);
    }
}
