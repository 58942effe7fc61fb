/* trb-reference.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The fp64 reference: plain, obvious loops for every op, used only as the test oracle. Layouts
 * are the ones every executor uses: activations sample-major and NCHW, dense weights
 * [out, in], convolution weights [out_c, in_c, kh, kw].
 */

#pragma once

#include "compute/trb-model-spec.h"

G_BEGIN_DECLS

/* C[M,N] = alpha·op(A)·op(B) + beta·C, row-major, op(A) is M×K and op(B) is K×N. */
void trb_ref_gemm             (gboolean        trans_a,
                               gboolean        trans_b,
                               int             m,
                               int             n,
                               int             k,
                               double          alpha,
                               const double   *a,
                               const double   *b,
                               double          beta,
                               double         *c);
void trb_ref_dense_forward    (const TrbLayer *layer,
                               int             n,
                               const double   *x,
                               const double   *w,
                               const double   *b,
                               double         *y);
void trb_ref_dense_backward   (const TrbLayer *layer,
                               int             n,
                               const double   *x,
                               const double   *w,
                               const double   *dy,
                               double         *dx,
                               double         *dw,
                               double         *db);
void trb_ref_conv2d_forward   (const TrbLayer *layer,
                               int             n,
                               const double   *x,
                               const double   *w,
                               const double   *b,
                               double         *y);
void trb_ref_conv2d_backward  (const TrbLayer *layer,
                               int             n,
                               const double   *x,
                               const double   *w,
                               const double   *dy,
                               double         *dx,
                               double         *dw,
                               double         *db);
void trb_ref_maxpool_forward  (const TrbLayer *layer,
                               int             n,
                               const double   *x,
                               double         *y);
void trb_ref_maxpool_backward (const TrbLayer *layer,
                               int             n,
                               const double   *x,
                               const double   *dy,
                               double         *dx);
void trb_ref_relu_forward     (gsize           count,
                               const double   *x,
                               double         *y);
void trb_ref_relu_backward    (gsize           count,
                               const double   *x,
                               const double   *dy,
                               double         *dx);
void trb_ref_dropout_forward  (const TrbLayer *layer,
                               guint           layer_index,
                               int             n,
                               guint64         seed,
                               guint64         step,
                               const double   *x,
                               double         *y);
void trb_ref_dropout_backward (const TrbLayer *layer,
                               guint           layer_index,
                               int             n,
                               guint64         seed,
                               guint64         step,
                               const double   *dy,
                               double         *dx);
/* Mean softmax cross-entropy; @dlogits (nullable) gets d(mean loss)/d(logits). */
void trb_ref_softmax_xent     (int             n,
                               int             classes,
                               const double   *logits,
                               const gint32   *labels,
                               double         *dlogits,
                               double         *loss_sum,
                               int            *correct);

G_END_DECLS
