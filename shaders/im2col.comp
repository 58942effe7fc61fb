// SPDX-License-Identifier: GPL-3.0-or-later
//
// cols[(c·kh + ky)·kw + kx][s·P + oy·ow + ox] = x[s][c][oy·stride − pad + ky][ox·stride − pad + kx]
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) readonly buffer X { float x[]; };
layout (set = 0, binding = 1) writeonly buffer Cols { float cols[]; };

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
  int P = p.oh * p.ow;
  int nP = p.n * P;
  int col = idx % nP;
  int row = idx / nP;
  int s = col / P;
  int pp = col % P;
  int oy = pp / p.ow, ox = pp % p.ow;
  int kx = row % p.kw;
  int ky = (row / p.kw) % p.kh;
  int ch = row / (p.kw * p.kh);
  int iy = oy * p.stride - p.pad_h + ky;
  int ix = ox * p.stride - p.pad_w + kx;
  float v = 0.0;
  if (iy >= 0 && iy < p.h && ix >= 0 && ix < p.w)
    v = x[((s * p.c + ch) * p.h + iy) * p.w + ix];
  cols[idx] = v;
}
