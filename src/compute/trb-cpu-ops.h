/* trb-cpu-ops.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The fp32 ops of the CPU executor: GEMMs go to OpenBLAS, the rest is plain C. Layouts match
 * trb-reference.h.
 */

#pragma once

#include "compute/trb-cpu-pool.h"
#include "compute/trb-model-spec.h"

G_BEGIN_DECLS

void  trb_cpu_gemm               (gboolean        trans_a,
                                  gboolean        trans_b,
                                  int             m,
                                  int             n,
                                  int             k,
                                  float           alpha,
                                  const float    *a,
                                  const float    *b,
                                  float           beta,
                                  float          *c);
/* Makes OpenBLAS run on the calling thread only until the matching trb_cpu_blas_restore();
 * calls nest and may come from several threads. */
void  trb_cpu_blas_single_threaded (void);
void  trb_cpu_blas_restore       (void);
/* A dense layer; @relu applies a ReLU to @y in the same pass. */
void  trb_cpu_dense_forward      (TrbCpuPool     *pool,
                                  const TrbLayer *layer,
                                  int             n,
                                  const float    *x,
                                  const float    *w,
                                  const float    *b,
                                  gboolean        relu,
                                  float          *y);
/* @dx (nullable) = @dy·W, zeroed where @mask (nullable: the output of a ReLU before this
 * layer) is not positive; @dw and @db the gradients of the weights and bias. */
void  trb_cpu_dense_backward     (TrbCpuPool     *pool,
                                  const TrbLayer *layer,
                                  int             n,
                                  const float    *x,
                                  const float    *w,
                                  const float    *dy,
                                  const float    *mask,
                                  float          *dx,
                                  float          *dw,
                                  float          *db);
/* The layer ops share their work among the threads of @pool, OpenBLAS running single-threaded
 * inside each (see trb_cpu_blas_single_threaded()); results do not depend on the thread count.
 *
 * Convolution as im2col + GEMM. @cols holds trb_cpu_conv2d_cols_size() floats, or is NULL
 * when that is 0 (the batch's columns are then built chunk by chunk in per-thread scratch).
 * Pass @cols_valid when @cols still holds what the forward pass of the same batch left there:
 * the backward pass then skips building the columns again. */
gsize trb_cpu_conv2d_cols_size   (const TrbLayer *layer,
                                  int             n);
void  trb_cpu_conv2d_forward     (TrbCpuPool     *pool,
                                  const TrbLayer *layer,
                                  int             n,
                                  const float    *x,
                                  const float    *w,
                                  const float    *b,
                                  float          *y,
                                  gboolean        relu,
                                  float          *cols);
/* @mask (nullable): the output of a ReLU fused into the forward pass; gradients are zeroed
 * where it is not positive. */
void  trb_cpu_conv2d_backward    (TrbCpuPool     *pool,
                                  const TrbLayer *layer,
                                  int             n,
                                  const float    *x,
                                  const float    *dy,
                                  const float    *mask,
                                  const float    *w,
                                  float          *dx,
                                  float          *dw,
                                  float          *db,
                                  float          *cols,
                                  gboolean        cols_valid);
void  trb_cpu_maxpool_forward    (TrbCpuPool     *pool,
                                  const TrbLayer *layer,
                                  int             n,
                                  const float    *x,
                                  float          *y,
                                  gint32         *argmax);
void  trb_cpu_maxpool_backward   (TrbCpuPool     *pool,
                                  const TrbLayer *layer,
                                  int             n,
                                  const gint32   *argmax,
                                  const float    *dy,
                                  float          *dx);
void  trb_cpu_relu_forward       (gsize           count,
                                  const float    *x,
                                  float          *y);
/* Uses the forward output @y: y > 0 exactly where x > 0. */
void  trb_cpu_relu_backward      (gsize           count,
                                  const float    *y,
                                  const float    *dy,
                                  float          *dx);
void  trb_cpu_dropout            (const TrbLayer *layer,
                                  guint           layer_index,
                                  int             n,
                                  guint64         seed,
                                  guint64         step,
                                  const float    *x,
                                  float          *y);
void  trb_cpu_softmax_xent       (int             n,
                                  int             classes,
                                  const float    *logits,
                                  const gint32   *labels,
                                  float          *dlogits,
                                  double         *loss_sum,
                                  int            *correct);

/* One optimizer step on @count elements of a parameter: weight decay, the FedProx term when
 * @anchor is given, then SGD (with momentum kept in @m) or Adam (moments in @m and @v, bias
 * corrections @bc1 = 1 − β₁ᵗ and @bc2 = 1 − β₂ᵗ). */
typedef struct
{
  gboolean adam;
  float    lr, wd, mu, momentum, beta1, beta2, eps, bc1, bc2;
} TrbCpuOptimizer;

void  trb_cpu_optimizer_update   (const TrbCpuOptimizer *optimizer,
                                  gsize                  count,
                                  float                 *w,
                                  const float           *g,
                                  float                 *m,
                                  float                 *v,
                                  const float           *anchor);

/* A parameter with its optimizer state: @v is used by Adam only, @anchor (nullable) is the
 * FedProx anchor. */
typedef struct
{
  float       *w;
  float       *m;
  float       *v;
  const float *anchor;
} TrbCpuParam;

/* The backward pass of a dense layer with the optimizer step fused in: @dx (nullable) as
 * trb_cpu_dense_backward() computes it from the weights before the step, then each block of
 * rows of the weight gradient is applied to @weight and @bias while it is still in cache,
 * instead of being written out and read back. With SGD momentum the gradient is accumulated
 * straight into the momentum (m = μm + g by the GEMM itself). The same as
 * trb_cpu_dense_backward() followed by trb_cpu_optimizer_update() up to rounding. */
void  trb_cpu_dense_backward_update (TrbCpuPool            *pool,
                                     const TrbLayer        *layer,
                                     int                    n,
                                     const float           *x,
                                     const float           *dy,
                                     const float           *mask,
                                     float                 *dx,
                                     const TrbCpuOptimizer *optimizer,
                                     const TrbCpuParam     *weight,
                                     const TrbCpuParam     *bias);

G_END_DECLS
