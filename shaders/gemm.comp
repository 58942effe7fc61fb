// SPDX-License-Identifier: GPL-3.0-or-later
//
// C = alpha·op(A)·op(B) (+ C) with a fused epilogue (bias per column or per row, ReLU, and a
// mask that zeroes the outputs where a saved ReLU output is not positive). Operands are
// addressed with strides, so one shader serves NN, NT and TN, and gl_WorkGroupID.z walks a batch
// of independent products. Each invocation computes a TM×TN register tile with no shared
// memory, reading A and B through uniform texel buffers: the profile that suits CPU Vulkan
// drivers, where texel fetches are much cheaper than storage-buffer loads. Edge tiles clamp
// their loads and guard their stores, so every size works without padding.
//
// With UPDATE defined it is a dense layer's weight gradient fused with the optimizer (for
// shapes the vec4 kernels cannot take): C is never written; the invocations of the first column
// of tiles also sum A's rows over K (the bias gradient), and each gradient goes straight into
// the update of the parameters, their momentum and second moment (binding 0 to 3, whole
// buffers, at the offsets of the push constants) with the arithmetic of optimizer.comp.
#version 450

#ifndef TM
#define TM 8
#endif
#ifndef TN
#define TN 8
#endif

// Rows of invocations a workgroup (8 by default); the update kernels take one row of 8, which
// keeps every SIMD lane busy on a layer of a few outputs.
#ifndef LY
#define LY 8
#endif

layout (local_size_x = 8, local_size_y = LY) in;

#ifdef UPDATE
layout (set = 0, binding = 0) buffer W { float w[]; };
layout (set = 0, binding = 1) buffer M { float m[]; };
layout (set = 0, binding = 2) buffer V { float v[]; };
layout (set = 0, binding = 3) readonly buffer Anchor { float anchor[]; };
layout (set = 0, binding = 8) uniform Step
{
  float lr, momentum, weight_decay, prox_mu;
  float beta1, beta2, eps, bc1;
  float bc2;
  int adam, use_anchor, pad0;
} st;
#else
#ifdef VEC4_OUT
/* N, the row stride and the offsets of C are multiples of four (and TN): C, the bias and the
 * mask are read and written four floats at a time, a quarter of the buffer accesses. */
layout (set = 0, binding = 0) buffer C { vec4 c[]; };
layout (set = 0, binding = 1) readonly buffer Bias { vec4 bias[]; };
layout (set = 0, binding = 2) readonly buffer Mask { vec4 mask[]; };
#else
layout (set = 0, binding = 0) buffer C { float c[]; };
layout (set = 0, binding = 1) readonly buffer Bias { float bias[]; };
layout (set = 0, binding = 2) readonly buffer Mask { float mask[]; };
#endif
#endif
layout (set = 0, binding = 6) uniform samplerBuffer A;
layout (set = 0, binding = 7) uniform samplerBuffer B;

layout (push_constant) uniform Params
{
  int m, n, k;
  int a_off, a_si, a_sp;
  int b_off, b_sp, b_sj;
  int a_bs, b_bs, c_bs;
  int ldc, flags;
  float alpha;
  int w_off, bias_off;
} p;

const int BIAS_COL = 1;
const int BIAS_ROW = 2;
const int RELU = 4;
const int MASK = 16;

#ifdef UPDATE
#ifndef OPTIMIZER
#define OPTIMIZER 0
#endif
/* OPTIMIZER picks the update: 1 plain SGD, 2 SGD with momentum, 3 Adam, none of them with
 * FedProx's term; 0 any of them, chosen at run time from the step's values. On CPU drivers
 * both sides of a branch cost time, so the recording takes the variant for its steps. */

/* The step's values, read once: a uniform read may cost as much as a buffer read. */
float lr, momentum, weight_decay, prox_mu, beta1, beta2, eps, bc1, bc2;
bool adam, use_anchor;

void
load_step ()
{
  lr = st.lr;
  momentum = st.momentum;
  weight_decay = st.weight_decay;
  prox_mu = st.prox_mu;
  beta1 = st.beta1;
  beta2 = st.beta2;
  eps = st.eps;
  bc1 = st.bc1;
  bc2 = st.bc2;
  adam = st.adam != 0;
  use_anchor = st.use_anchor != 0;
}

/* Parameter i takes a step along its gradient. */
void
update (int i, float grad)
{
  float wi = w[i];
  grad += weight_decay * wi;
#if OPTIMIZER == 1
  w[i] = wi - lr * grad;
#elif OPTIMIZER == 2
  float mi = momentum * m[i] + grad;
  m[i] = mi;
  w[i] = wi - lr * mi;
#elif OPTIMIZER == 3
  float mi = beta1 * m[i] + (1.0 - beta1) * grad;
  float vi = beta2 * v[i] + (1.0 - beta2) * grad * grad;
  m[i] = mi;
  v[i] = vi;
  w[i] = wi - lr * (mi / bc1) / (sqrt (vi / bc2) + eps);
#else
  if (use_anchor)
    grad += prox_mu * (wi - anchor[i]);
  if (adam)
    {
      float mi = beta1 * m[i] + (1.0 - beta1) * grad;
      float vi = beta2 * v[i] + (1.0 - beta2) * grad * grad;
      m[i] = mi;
      v[i] = vi;
      w[i] = wi - lr * (mi / bc1) / (sqrt (vi / bc2) + eps);
    }
  else if (momentum != 0.0)
    {
      float mi = momentum * m[i] + grad;
      m[i] = mi;
      w[i] = wi - lr * mi;
    }
  else
    w[i] = wi - lr * grad;
#endif
}
#endif

void
main ()
{
  int i0 = int (gl_GlobalInvocationID.y) * TM;
  int j0 = int (gl_GlobalInvocationID.x) * TN;
  int z = int (gl_WorkGroupID.z);

  if (i0 >= p.m || j0 >= p.n)
    return;

  int a_base = p.a_off + z * p.a_bs;
  int b_base = p.b_off + z * p.b_bs;
  int ai[TM];
  int bj[TN];
  float acc[TM][TN];
  float sum[TM];

  for (int t = 0; t < TM; t++)
    ai[t] = a_base + min (i0 + t, p.m - 1) * p.a_si;
  for (int u = 0; u < TN; u++)
    bj[u] = b_base + min (j0 + u, p.n - 1) * p.b_sj;
  for (int t = 0; t < TM; t++)
    {
      sum[t] = 0.0;
      for (int u = 0; u < TN; u++)
        acc[t][u] = 0.0;
    }

  for (int q = 0; q < p.k; q++)
    {
      float av[TM];
      float bv[TN];
      int ap = q * p.a_sp;
      int bp = q * p.b_sp;

      for (int t = 0; t < TM; t++)
        av[t] = texelFetch (A, ai[t] + ap).r;
      for (int u = 0; u < TN; u++)
        bv[u] = texelFetch (B, bj[u] + bp).r;
#ifdef UPDATE
      for (int t = 0; t < TM; t++)
        sum[t] += av[t];
#endif
      for (int t = 0; t < TM; t++)
        for (int u = 0; u < TN; u++)
          acc[t][u] = fma (av[t], bv[u], acc[t][u]);
    }

#ifdef UPDATE
  load_step ();
  for (int t = 0; t < TM; t++)
    {
      int i = i0 + t;
      if (i >= p.m)
        break;
      for (int u = 0; u < TN; u++)
        {
          int j = j0 + u;
          if (j >= p.n)
            break;
          update (p.w_off + i * p.ldc + j, p.alpha * acc[t][u]);
        }
      if (j0 == 0)
        update (p.bias_off + i, p.alpha * sum[t]);
    }
#elif defined(VEC4_OUT)
  int c_base = z * p.c_bs;
  for (int t = 0; t < TM; t++)
    {
      int i = i0 + t;
      if (i >= p.m)
        break;
      for (int u = 0; u < TN; u += 4)
        {
          int j = j0 + u;
          if (j >= p.n)
            break;
          int ci = (c_base + i * p.ldc + j) >> 2;
          vec4 v = p.alpha * vec4 (acc[t][u], acc[t][u + 1], acc[t][u + 2], acc[t][u + 3]);
          if ((p.flags & BIAS_COL) != 0)
            v += bias[j >> 2];
          if ((p.flags & BIAS_ROW) != 0)
            v += bias[i >> 2][i & 3];
          if ((p.flags & RELU) != 0)
            v = max (v, vec4 (0.0));
          if ((p.flags & MASK) != 0)
            {
              bvec4 keep = greaterThan (mask[ci], vec4 (0.0));
              v = vec4 (keep.x ? v.x : 0.0, keep.y ? v.y : 0.0, keep.z ? v.z : 0.0,
                        keep.w ? v.w : 0.0);
            }
          c[ci] = v;
        }
    }
#else
  int c_base = z * p.c_bs;
  for (int t = 0; t < TM; t++)
    {
      int i = i0 + t;
      if (i >= p.m)
        break;
      for (int u = 0; u < TN; u++)
        {
          int j = j0 + u;
          if (j >= p.n)
            break;
          int ci = c_base + i * p.ldc + j;
          float v = p.alpha * acc[t][u];
          if ((p.flags & BIAS_COL) != 0)
            v += bias[j];
          if ((p.flags & BIAS_ROW) != 0)
            v += bias[i];
          if ((p.flags & RELU) != 0)
            v = max (v, 0.0);
          if ((p.flags & MASK) != 0 && !(mask[ci] > 0.0))
            v = 0.0;
          c[ci] = v;
        }
    }
#endif
}
