// SPDX-License-Identifier: GPL-3.0-or-later
//
// The GEMM of gemm.comp when only B can be read four floats at a time: B along N (N, B's row
// stride and offsets multiples of four, through an RGBA32F texel buffer) and A one float at a
// time with any strides (an R32F texel buffer), as a layer of 10 classes or a convolution whose
// K is not a multiple of four. Each invocation computes TM rows × 8 columns of C in vec4
// accumulators, two four-float fetches of B and TM fetches of A a K-step, and writes C (and
// reads the bias and the ReLU mask) four floats at a time, so C's row stride and offset are
// multiples of four too.
//
// With UPDATE defined it is a dense layer's weight gradient fused with the optimizer, as in
// gemm-vec4-tn.comp: C is never written, the invocations of the first column of tiles sum A's
// rows over K (the bias gradient) and the gradients go straight into the update.
#version 450

#ifndef TM
#define TM 8
#endif

layout (local_size_x = 8, local_size_y = 1) in;

#ifdef UPDATE
layout (set = 0, binding = 0) buffer W { vec4 w[]; };
layout (set = 0, binding = 1) buffer M { vec4 m[]; };
layout (set = 0, binding = 2) buffer V { vec4 v[]; };
layout (set = 0, binding = 3) readonly buffer Anchor { vec4 anchor[]; };
/* The same parameters, momentum and second moment, read as texels. */
layout (set = 0, binding = 9) uniform samplerBuffer W_in;
layout (set = 0, binding = 10) uniform samplerBuffer M_in;
layout (set = 0, binding = 11) uniform samplerBuffer V_in;
layout (set = 0, binding = 8) uniform Step
{
  float lr, momentum, weight_decay, prox_mu;
  float beta1, beta2, eps, bc1;
  float bc2;
  int adam, use_anchor, pad0;
} st;
#else
layout (set = 0, binding = 0) buffer C { vec4 c[]; };
layout (set = 0, binding = 1) readonly buffer Bias { vec4 bias[]; };
layout (set = 0, binding = 2) readonly buffer Mask { vec4 mask[]; };
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
 * FedProx's term; 0 any of them, chosen at run time from the step's values. */

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

/* The update of one parameter, or of four (optimizer.comp's arithmetic). */
#define UPDATE_BODY(T, wi, mi_in, vi_in, anchor_in, grad, w_out, m_out, v_out) \
  { \
    T g_ = grad + weight_decay * wi; \
    if (OPTIMIZER == 0 && use_anchor) \
      g_ += prox_mu * (wi - anchor_in); \
    if (OPTIMIZER == 3 || (OPTIMIZER == 0 && adam)) \
      { \
        T mi_ = beta1 * mi_in + (1.0 - beta1) * g_; \
        T vi_ = beta2 * vi_in + (1.0 - beta2) * g_ * g_; \
        m_out = mi_; \
        v_out = vi_; \
        w_out = wi - lr * (mi_ / bc1) / (sqrt (vi_ / bc2) + eps); \
      } \
    else if (OPTIMIZER == 2 || (OPTIMIZER == 0 && momentum != 0.0)) \
      { \
        T mi_ = momentum * mi_in + g_; \
        m_out = mi_; \
        w_out = wi - lr * mi_; \
      } \
    else \
      w_out = wi - lr * g_; \
  }

/* Parameters 4i … 4i + 3 take a step along their gradient. */
void
update4 (int i, vec4 grad)
{
  vec4 wi = texelFetch (W_in, i);
  UPDATE_BODY (vec4, wi, texelFetch (M_in, i), texelFetch (V_in, i), anchor[i], grad, w[i], m[i],
               v[i])
}

/* Parameter i takes a step along its gradient. */
void
update1 (int i, float grad)
{
  int q = i >> 2, r = i & 3;
  float wi = texelFetch (W_in, q)[r];
  UPDATE_BODY (float, wi, texelFetch (M_in, q)[r], texelFetch (V_in, q)[r], anchor[q][r], grad,
               w[q][r], m[q][r], v[q][r])
}
#else
vec4
epilogue (int ci, int i, int j, vec4 acc)
{
  vec4 v = p.alpha * acc;
  if ((p.flags & BIAS_COL) != 0)
    v += bias[j >> 2];
  if ((p.flags & BIAS_ROW) != 0)
    v += bias[i >> 2][i & 3];
  if ((p.flags & RELU) != 0)
    v = max (v, vec4 (0.0));
  if ((p.flags & MASK) != 0)
    {
      bvec4 keep = greaterThan (mask[ci], vec4 (0.0));
      v = vec4 (keep.x ? v.x : 0.0, keep.y ? v.y : 0.0, keep.z ? v.z : 0.0, keep.w ? v.w : 0.0);
    }
  return v;
}
#endif

void
main ()
{
  /* Tiles are numbered down the columns of C and dealt out along x, so that the SIMD lanes
   * of a CPU driver (8 invocations of a workgroup along x) are all busy but at the very end
   * of C, whatever its shape, and neighbouring lanes share the columns of B they read. */
  int tiles_m = (p.m + TM - 1) / TM;
  int tile = int (gl_GlobalInvocationID.x);
  int i0 = (tile - (tile / tiles_m) * tiles_m) * TM;
  int j0 = (tile / tiles_m) * 8;
  int z = int (gl_WorkGroupID.z);

  if (i0 >= p.m || j0 >= p.n)
    return;

  int a_base = p.a_off + z * p.a_bs;
  /* B in vec4 units; the second half-tile stays inside the row at the right edge. */
  int b_base = (p.b_off + z * p.b_bs + j0) >> 2;
  int b_second = (min (j0 + 4, p.n - 4) - j0) >> 2;
  int b_row = p.b_sp >> 2;
  int ai[TM];
  vec4 acc0[TM];
  vec4 acc1[TM];
  float sum[TM];

  for (int t = 0; t < TM; t++)
    {
      ai[t] = a_base + min (i0 + t, p.m - 1) * p.a_si;
      acc0[t] = vec4 (0.0);
      acc1[t] = vec4 (0.0);
      sum[t] = 0.0;
    }

  for (int q = 0; q < p.k; q++)
    {
      int qb = b_base + q * b_row;
      int qa = q * p.a_sp;
      vec4 b0 = texelFetch (B, qb);
      vec4 b1 = texelFetch (B, qb + b_second);

      for (int t = 0; t < TM; t++)
        {
          float a = texelFetch (A, ai[t] + qa).r;
#ifdef UPDATE
          sum[t] += a;
#endif
          acc0[t] = fma (vec4 (a), b0, acc0[t]);
          acc1[t] = fma (vec4 (a), b1, acc1[t]);
        }
    }

#ifdef UPDATE
  load_step ();
  for (int t = 0; t < TM; t++)
    {
      int i = i0 + t;
      if (i >= p.m)
        break;
      int wi = (p.w_off + i * p.ldc + j0) >> 2;
      update4 (wi, p.alpha * acc0[t]);
      if (j0 + 4 < p.n)
        update4 (wi + 1, p.alpha * acc1[t]);
      if (j0 == 0)
        update1 (p.bias_off + i, p.alpha * sum[t]);
    }
#else
  int c_base = z * p.c_bs;
  for (int t = 0; t < TM; t++)
    {
      int i = i0 + t;
      if (i >= p.m)
        break;
      int ci = (c_base + i * p.ldc + j0) >> 2;
      c[ci] = epilogue (ci, i, j0, acc0[t]);
      if (j0 + 4 < p.n)
        c[ci + 1] = epilogue (ci + 1, i, j0 + 4, acc1[t]);
    }
#endif
}
