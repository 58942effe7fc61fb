/* trb-compute-types.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Types shared by every part of the compute engine: the error domain, the training data
 * interface and the per-step hyper-parameters that every executor understands.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TRB_COMPUTE_ERROR (trb_compute_error_quark ())

typedef enum
{
  TRB_COMPUTE_ERROR_INVALID_SPEC,
  TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
  TRB_COMPUTE_ERROR_INVALID_DATA,
  TRB_COMPUTE_ERROR_NO_DEVICE,
  TRB_COMPUTE_ERROR_DEVICE_LOST,
  TRB_COMPUTE_ERROR_UNSUPPORTED,
  TRB_COMPUTE_ERROR_DIVERGED,
  TRB_COMPUTE_ERROR_FAILED,
} TrbComputeError;

GQuark trb_compute_error_quark (void);

typedef enum
{
  TRB_FEATURE_U8,
  TRB_FEATURE_F32,
} TrbFeatureType;

/**
 * TrbDataSource:
 * @n_samples: number of samples
 * @feature_size: number of features of one sample (the product of the model's input shape)
 * @feature_type: whether @features holds bytes or floats
 * @features: @n_samples × @feature_size values, sample-major; bytes are scaled by @u8_scale
 * @u8_scale: factor applied to byte features by trb_data_source_gather() and an executor's
 *   upload_dataset() (1/255 maps pixels to [0, 1]); ignored for floats. The trainer and
 *   trb_evaluate() replace it with the model's `input.scale`, so that the spec decides.
 * @labels: @n_samples class indices
 *
 * The trainer's view of a local data set. It is plain memory so that any reader (IDX, CSV,
 * image folders) can adapt to it without the compute engine knowing about it. The memory is
 * owned by the caller and must stay valid while a trainer uses it.
 */
typedef struct
{
  gsize           n_samples;
  gsize           feature_size;
  TrbFeatureType  feature_type;
  const void     *features;
  double          u8_scale;
  const gint32   *labels;
} TrbDataSource;

/* A batch as executors see it: features already converted to floats. */
typedef struct
{
  int           n;
  const float  *x;
  const gint32 *labels;
} TrbBatch;

typedef enum
{
  TRB_OPTIMIZER_SGD,
  TRB_OPTIMIZER_ADAM,
} TrbOptimizerKind;

/**
 * TrbStepParams:
 *
 * Per-step values. SGD uses @momentum (heavy ball, v = μv + g, w -= lr·v, as PyTorch does);
 * Adam uses @beta1, @beta2 and @eps with bias correction at step @step (1-based).
 * @weight_decay adds λw to the gradient; @prox_mu adds μ(w − w_global) (FedProx), which needs
 * the global weights set with trb_executor_set_prox_anchor(). @dropout_seed and @step key the
 * counter-based random numbers of dropout so every executor drops the same units.
 */
typedef struct
{
  TrbOptimizerKind optimizer;
  double           learning_rate;
  double           momentum;
  double           weight_decay;
  double           beta1;
  double           beta2;
  double           eps;
  double           prox_mu;
  guint64          dropout_seed;
  guint64          step;
} TrbStepParams;

typedef struct
{
  double loss_sum;   /* sum over the batch of the per-sample loss */
  int    correct;    /* samples whose arg-max matches the label */
  int    n;
} TrbStepResult;

G_END_DECLS
