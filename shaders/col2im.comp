// SPDX-License-Identifier: GPL-3.0-or-later
//
// The adjoint of im2col, written as a gather (one invocation per input element sums every
// column entry that read it) so that it needs no atomics.
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) readonly buffer Cols { float cols[]; };
layout (set = 0, binding = 1) writeonly buffer DX { float dx[]; };

layout (push_constant) uniform Params
{
  int n, c, h, w, oh, ow, kh, kw, stride, pad_h, pad_w, total;
} p;

void
main ()
{
  int idx = int (gl_GlobalInvocationID.x) + int (gl_GlobalInvocationID.y) * 65535 * 64;
  if (idx >= p.total)
    return;
  int ix = idx % p.w;
  int iy = (idx / p.w) % p.h;
  int ch = (idx / (p.w * p.h)) % p.c;
  int s = idx / (p.w * p.h * p.c);
  int P = p.oh * p.ow;
  int nP = p.n * P;
  float acc = 0.0;
  for (int ky = 0; ky < p.kh; ky++)
    {
      int ty = iy + p.pad_h - ky;
      if (ty < 0 || ty % p.stride != 0)
        continue;
      int oy = ty / p.stride;
      if (oy >= p.oh)
        continue;
      for (int kx = 0; kx < p.kw; kx++)
        {
          int tx = ix + p.pad_w - kx;
          if (tx < 0 || tx % p.stride != 0)
            continue;
          int ox = tx / p.stride;
          if (ox >= p.ow)
            continue;
          int row = (ch * p.kh + ky) * p.kw + kx;
          acc += cols[row * nP + s * P + oy * p.ow + ox];
        }
    }
  dx[idx] = acc;
}
