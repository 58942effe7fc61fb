// SPDX-License-Identifier: GPL-3.0-or-later
//
// The GPU profile of gemm.comp (same operands, strides, batch and epilogue): a workgroup of
// 16×16 invocations computes a BM×BN block of C, walking K in slices of BK. Each slice of A
// (BM×BK) and B (BK×BN) is loaded once into shared memory by the whole workgroup, neighbouring
// invocations reading neighbouring elements, and every invocation then accumulates its register
// tile from four-float shared-memory reads: 4×4 of a 64×64 block, or with BIG 8×8 of a 128×128
// block, as two by two 4×4 pieces 64 rows and columns apart, so that the invocations of a row
// read consecutive four-float words (no bank conflicts) and each pair of reads feeds 64
// multiply-adds instead of 16. Loads outside the matrices read zero and stores outside are
// skipped, so every size works; nothing depends on the subgroup size. With VEC4 (each
// operand's sizes and strides along the way it lies in memory are multiples of four, and so
// are C's) every invocation fetches one RGBA32F texel of each slice, four neighbouring
// elements along whichever direction the operand is contiguous in (A_ALONG_M, B_ALONG_K say
// which), so that loads are four times fewer and side by side for any transposition, and it
// writes C, reads the bias and the mask four columns at a time. On CPU drivers shared memory
// is slow: there the texel-buffer kernels without it are used.
#version 450

#ifdef BIG
#define BM 128
#define BN 128
#define BK 8
#else
#define BM 64
#define BN 64
#define BK 16
#endif
// The pieces of 4×4 an invocation computes, down and across.
#define RG (BM / 64)
#define CG (BN / 64)

layout (local_size_x = 16, local_size_y = 16) in;

#ifdef VEC4
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
const int A_ALONG_M = 32;   /* VEC4: A is contiguous along M (a_si = 1), else along K */
const int B_ALONG_K = 64;   /* VEC4: B is contiguous along K (b_sp = 1), else along N */

// Slice q of the K direction: sa[q][r] holds rows 4r…4r+3 of A's block, sb[q][s] columns
// 4s…4s+3 of B's.
shared vec4 sa[BK][BM / 4];
shared vec4 sb[BK][BN / 4];

void
main ()
{
  int tx = int (gl_LocalInvocationID.x), ty = int (gl_LocalInvocationID.y);
  int lid = ty * 16 + tx;
  int block_i = int (gl_WorkGroupID.y) * BM;
  int block_j = int (gl_WorkGroupID.x) * BN;
  int z = int (gl_WorkGroupID.z);
  int a_base = p.a_off + z * p.a_bs;
  int b_base = p.b_off + z * p.b_bs;
  // acc[(g * CG + h) * 4 + t]: row 4 ty + t of piece g down, columns 4 tx … 4 tx + 3 of piece
  // h across.
  vec4 acc[RG * CG * 4];

  for (int t = 0; t < RG * CG * 4; t++)
    acc[t] = vec4 (0.0);

  for (int q0 = 0; q0 < p.k; q0 += BK)
    {
#ifdef VEC4
      // BM·BK / 4 = BK·BN / 4 = 256 texels of each operand's slice, one per invocation.
      if ((p.flags & A_ALONG_M) != 0)
        {
          int q = lid / (BM / 4), r4 = lid % (BM / 4);
          int i = block_i + 4 * r4;
          vec4 v = vec4 (0.0);

          if (i < p.m && q0 + q < p.k)
            v = texelFetch (A, (a_base + (q0 + q) * p.a_sp + i) >> 2);
          sa[q][r4] = v;
        }
      else
        {
          int row = lid / (BK / 4), t = lid % (BK / 4);
          int i = block_i + row, qa = q0 + 4 * t;
          vec4 v = vec4 (0.0);

          if (i < p.m && qa < p.k)
            v = texelFetch (A, (a_base + i * p.a_si + qa) >> 2);
          for (int u = 0; u < 4; u++)
            sa[4 * t + u][row / 4][row % 4] = v[u];
        }
      if ((p.flags & B_ALONG_K) != 0)
        {
          int col = lid / (BK / 4), t = lid % (BK / 4);
          int j = block_j + col, qb = q0 + 4 * t;
          vec4 w = vec4 (0.0);

          if (j < p.n && qb < p.k)
            w = texelFetch (B, (b_base + j * p.b_sj + qb) >> 2);
          for (int u = 0; u < 4; u++)
            sb[4 * t + u][col / 4][col % 4] = w[u];
        }
      else
        {
          int q = lid / (BN / 4), c4 = lid % (BN / 4);
          int j = block_j + 4 * c4;
          vec4 w = vec4 (0.0);

          if (j < p.n && q0 + q < p.k)
            w = texelFetch (B, (b_base + (q0 + q) * p.b_sp + j) >> 2);
          sb[q][c4] = w;
        }
#else
      // BM·BK = BK·BN = 1,024 elements of each operand's slice, four per invocation.
      for (int r = 0; r < 4; r++)
        {
          int e = lid + 256 * r;
          int row = e / BK, q = e % BK;
          int i = block_i + row, qa = q0 + q;
          float v = 0.0;

          if (i < p.m && qa < p.k)
            v = texelFetch (A, a_base + i * p.a_si + qa * p.a_sp).r;
          sa[q][row / 4][row % 4] = v;

          int qb = e / BN, col = e % BN;
          int j = block_j + col;
          float w = 0.0;

          if (j < p.n && q0 + qb < p.k)
            w = texelFetch (B, b_base + (q0 + qb) * p.b_sp + j * p.b_sj).r;
          sb[qb][col / 4][col % 4] = w;
        }
#endif
      barrier ();

      for (int q = 0; q < BK; q++)
        {
          vec4 a[RG];
          vec4 b[CG];

          for (int g = 0; g < RG; g++)
            a[g] = sa[q][g * 16 + ty];
          for (int h = 0; h < CG; h++)
            b[h] = sb[q][h * 16 + tx];
          for (int g = 0; g < RG; g++)
            for (int h = 0; h < CG; h++)
              {
                int at = (g * CG + h) * 4;

                acc[at] = fma (vec4 (a[g].x), b[h], acc[at]);
                acc[at + 1] = fma (vec4 (a[g].y), b[h], acc[at + 1]);
                acc[at + 2] = fma (vec4 (a[g].z), b[h], acc[at + 2]);
                acc[at + 3] = fma (vec4 (a[g].w), b[h], acc[at + 3]);
              }
        }
      barrier ();
    }

  int c_base = z * p.c_bs;
#ifdef VEC4
  for (int g = 0; g < RG; g++)
    for (int t = 0; t < 4; t++)
      {
        int i = block_i + g * 64 + ty * 4 + t;
        if (i >= p.m)
          break;
        for (int h = 0; h < CG; h++)
          {
            int j = block_j + h * 64 + tx * 4;
            if (j >= p.n)
              break;
            int ci = (c_base + i * p.ldc + j) >> 2;
            vec4 v = p.alpha * acc[(g * CG + h) * 4 + t];
            if ((p.flags & BIAS_COL) != 0)
              v += bias[j >> 2];
            if ((p.flags & BIAS_ROW) != 0)
              v += bias[i >> 2][i & 3];
            if ((p.flags & RELU) != 0)
              v = max (v, vec4 (0.0));
            if ((p.flags & MASK) != 0)
              v = mix (vec4 (0.0), v, greaterThan (mask[ci], vec4 (0.0)));
            c[ci] = v;
          }
      }
#else
  for (int g = 0; g < RG; g++)
    for (int t = 0; t < 4; t++)
      {
        int i = block_i + g * 64 + ty * 4 + t;
        if (i >= p.m)
          break;
        for (int h = 0; h < CG; h++)
          for (int u = 0; u < 4; u++)
            {
              int j = block_j + h * 64 + tx * 4 + u;
              if (j >= p.n)
                break;
              int ci = c_base + i * p.ldc + j;
              float v = p.alpha * acc[(g * CG + h) * 4 + t][u];
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
