// SPDX-License-Identifier: GPL-3.0-or-later
//
// The GEMM of gemm.comp when A is read along M and B along N (C = Aᵀ·B, as a weight gradient),
// with M, N, strides and offsets multiples of four: each K-step fetches eight rows of A and
// eight columns of B in four RGBA32F texels and adds their outer product to an 8×8 tile.
//
// With UPDATE defined it is a dense layer's weight gradient fused with the optimizer: C is never
// written; the invocations of the first column of tiles also sum A's rows over K (the bias
// gradient, Σ dY), and each gradient goes straight into the update of the parameters, their
// momentum and second moment (binding 0 to 3, whole buffers, at the offsets of the push
// constants), four at a time, with the arithmetic of optimizer.comp.
#version 450

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
layout (set = 0, binding = 0) buffer C { float c[]; };
layout (set = 0, binding = 1) readonly buffer Bias { float bias[]; };
layout (set = 0, binding = 2) readonly buffer Mask { float mask[]; };
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

/* Parameters 4i … 4i + 3 take a step along their gradient. */
void
update (int i, vec4 grad)
{
  vec4 wi = texelFetch (W_in, i);
  grad += weight_decay * wi;
#if OPTIMIZER == 1
  w[i] = wi - lr * grad;
#elif OPTIMIZER == 2
  vec4 mi = momentum * texelFetch (M_in, i) + grad;
  m[i] = mi;
  w[i] = wi - lr * mi;
#elif OPTIMIZER == 3
  vec4 mi = beta1 * texelFetch (M_in, i) + (1.0 - beta1) * grad;
  vec4 vi = beta2 * texelFetch (V_in, i) + (1.0 - beta2) * grad * grad;
  m[i] = mi;
  v[i] = vi;
  w[i] = wi - lr * (mi / bc1) / (sqrt (vi / bc2) + eps);
#else
  if (use_anchor)
    grad += prox_mu * (wi - anchor[i]);
  if (adam)
    {
      vec4 mi = beta1 * texelFetch (M_in, i) + (1.0 - beta1) * grad;
      vec4 vi = beta2 * texelFetch (V_in, i) + (1.0 - beta2) * grad * grad;
      m[i] = mi;
      v[i] = vi;
      w[i] = wi - lr * (mi / bc1) / (sqrt (vi / bc2) + eps);
    }
  else if (momentum != 0.0)
    {
      vec4 mi = momentum * texelFetch (M_in, i) + grad;
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
  /* Tiles are numbered down the columns of C and dealt out along x, so that the SIMD lanes
   * of a CPU driver (8 invocations of a workgroup along x) are all busy but at the very end
   * of C, whatever its shape, and neighbouring lanes share the columns of B they read. */
  int tiles_m = (p.m + 8 - 1) / 8;
  int tile = int (gl_GlobalInvocationID.x);
  int i0 = (tile - (tile / tiles_m) * tiles_m) * 8;
  int j0 = (tile / tiles_m) * 8;
  int z = int (gl_WorkGroupID.z);

  if (i0 >= p.m || j0 >= p.n)
    return;

  /* Offsets in vec4 units; the second half-tile stays inside the matrix at the edges. */
  int a_base = (p.a_off + z * p.a_bs + i0) >> 2;
  int b_base = (p.b_off + z * p.b_bs + j0) >> 2;
  int a_second = (min (i0 + 4, p.m - 4) - i0) >> 2;
  int b_second = (min (j0 + 4, p.n - 4) - j0) >> 2;
  int a_row = p.a_sp >> 2;
  int b_row = p.b_sp >> 2;
  vec4 acc0[8];
  vec4 acc1[8];
  vec4 sum0 = vec4 (0.0);
  vec4 sum1 = vec4 (0.0);

  for (int t = 0; t < 8; t++)
    {
      acc0[t] = vec4 (0.0);
      acc1[t] = vec4 (0.0);
    }

  /* Four K-steps an iteration (then the rest one by one): on CPU drivers the loop's own
   * overhead is a good part of a short iteration. */
  int q = 0;
  for (; q + 4 <= p.k; q += 4)
    {
      int qa = a_base + q * a_row;
      int qb = b_base + q * b_row;

      for (int kk = 0; kk < 4; kk++)
        {
          vec4 a0 = texelFetch (A, qa);
          vec4 a1 = texelFetch (A, qa + a_second);
          vec4 b0 = texelFetch (B, qb);
          vec4 b1 = texelFetch (B, qb + b_second);

#ifdef UPDATE
          sum0 += a0;
          sum1 += a1;
#endif
          for (int t = 0; t < 4; t++)
            {
              acc0[t] = fma (vec4 (a0[t]), b0, acc0[t]);
              acc1[t] = fma (vec4 (a0[t]), b1, acc1[t]);
              acc0[t + 4] = fma (vec4 (a1[t]), b0, acc0[t + 4]);
              acc1[t + 4] = fma (vec4 (a1[t]), b1, acc1[t + 4]);
            }
          qa += a_row;
          qb += b_row;
        }
    }
  for (; q < p.k; q++)
    {
      int qa = a_base + q * a_row;
      int qb = b_base + q * b_row;
      vec4 a0 = texelFetch (A, qa);
      vec4 a1 = texelFetch (A, qa + a_second);
      vec4 b0 = texelFetch (B, qb);
      vec4 b1 = texelFetch (B, qb + b_second);

#ifdef UPDATE
      sum0 += a0;
      sum1 += a1;
#endif
      for (int t = 0; t < 4; t++)
        {
          acc0[t] = fma (vec4 (a0[t]), b0, acc0[t]);
          acc1[t] = fma (vec4 (a0[t]), b1, acc1[t]);
          acc0[t + 4] = fma (vec4 (a1[t]), b0, acc0[t + 4]);
          acc1[t + 4] = fma (vec4 (a1[t]), b1, acc1[t + 4]);
        }
    }

#ifdef UPDATE
  load_step ();
  for (int t = 0; t < 8; t++)
    {
      int i = i0 + t;
      if (i >= p.m)
        break;
      int wi = (p.w_off + i * p.ldc + j0) >> 2;
      update (wi, p.alpha * acc0[t]);
      if (j0 + 4 < p.n)
        update (wi + 1, p.alpha * acc1[t]);
    }
  if (j0 == 0)
    {
      update ((p.bias_off + i0) >> 2, p.alpha * sum0);
      if (i0 + 4 < p.m)
        update (((p.bias_off + i0) >> 2) + 1, p.alpha * sum1);
    }
#else
  int c_base = z * p.c_bs;
  for (int t = 0; t < 8; t++)
    {
      int i = i0 + t;
      if (i >= p.m)
        break;
      for (int u = 0; u < 8; u++)
        {
          int j = j0 + u;
          if (j >= p.n)
            break;
          int ci = c_base + i * p.ldc + j;
          float v = p.alpha * (u < 4 ? acc0[t][u] : acc1[t][u - 4]);
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
