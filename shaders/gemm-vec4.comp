// SPDX-License-Identifier: GPL-3.0-or-later
//
// The GEMM of gemm.comp for the common case where A is read along its rows and B along its
// rows (NN), with K, N, strides and offsets all multiples of four: A and B are fetched four
// floats at a time through RGBA32F texel buffers, a quarter of the fetches of the scalar kernel
// for a TM×8 register tile held in vec4 accumulators.
#version 450

// TM rows of C an invocation (8 by default; fewer wastes less of a small M such as a batch of 10).
#ifndef TM
#define TM 8
#endif

layout (local_size_x = 8, local_size_y = 1) in;

#ifdef VEC4_OUT
/* N, C's row stride and offsets are multiples of four: C, the bias and the mask are read and
 * written four floats at a time, a quarter of the buffer accesses. */
layout (set = 0, binding = 0) buffer C { vec4 c[]; };
layout (set = 0, binding = 1) readonly buffer Bias { vec4 bias[]; };
layout (set = 0, binding = 2) readonly buffer Mask { vec4 mask[]; };
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
} p;

const int BIAS_COL = 1;
const int BIAS_ROW = 2;
const int RELU = 4;
const int MASK = 16;

#ifdef VEC4_OUT
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

  /* Offsets in vec4 units. */
  int a_base = (p.a_off + z * p.a_bs) >> 2;
  int b_base = (p.b_off + z * p.b_bs + j0) >> 2;
  int b_second = min (j0 + 4, p.n - 4) - j0;   /* stays inside the row at the right edge */
  int b_row = p.b_sp >> 2;
  int ai[TM];
  vec4 acc0[TM];
  vec4 acc1[TM];

  for (int t = 0; t < TM; t++)
    {
      ai[t] = a_base + ((min (i0 + t, p.m - 1) * p.a_si) >> 2);
      acc0[t] = vec4 (0.0);
      acc1[t] = vec4 (0.0);
    }

  for (int q = 0; q < p.k; q += 4)
    {
      int qa = q >> 2;
      int qb = b_base + q * b_row;
      vec4 b0[4];
      vec4 b1[4];

      for (int kk = 0; kk < 4; kk++)
        {
          b0[kk] = texelFetch (B, qb + kk * b_row);
          b1[kk] = texelFetch (B, qb + kk * b_row + (b_second >> 2));
        }
      for (int t = 0; t < TM; t++)
        {
          vec4 a = texelFetch (A, ai[t] + qa);
          acc0[t] = fma (vec4 (a.x), b0[0], acc0[t]);
          acc1[t] = fma (vec4 (a.x), b1[0], acc1[t]);
          acc0[t] = fma (vec4 (a.y), b0[1], acc0[t]);
          acc1[t] = fma (vec4 (a.y), b1[1], acc1[t]);
          acc0[t] = fma (vec4 (a.z), b0[2], acc0[t]);
          acc1[t] = fma (vec4 (a.z), b1[2], acc1[t]);
          acc0[t] = fma (vec4 (a.w), b0[3], acc0[t]);
          acc1[t] = fma (vec4 (a.w), b1[3], acc1[t]);
        }
    }

#ifdef VEC4_OUT
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
#else
  int c_base = z * p.c_bs;
  for (int t = 0; t < TM; t++)
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
