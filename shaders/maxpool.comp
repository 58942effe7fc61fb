// SPDX-License-Identifier: GPL-3.0-or-later
//
// Max pooling forward, saving the index of the first maximum of each window.
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) readonly buffer X { float x[]; };
layout (set = 0, binding = 1) writeonly buffer Y { float y[]; };
layout (set = 0, binding = 2) writeonly buffer Arg { int arg[]; };

layout (push_constant) uniform Params
{
  int h, w, oh, ow, kh, kw, stride, total;
} p;

void
main ()
{
  int idx = int (gl_GlobalInvocationID.x) + int (gl_GlobalInvocationID.y) * 65535 * 64;
  if (idx >= p.total)
    return;
  int ox = idx % p.ow;
  int oy = (idx / p.ow) % p.oh;
  int plane = idx / (p.ow * p.oh);
  int base = plane * p.h * p.w;
  int best = (oy * p.stride) * p.w + ox * p.stride;
  float best_v = x[base + best];
  for (int ky = 0; ky < p.kh; ky++)
    for (int kx = 0; kx < p.kw; kx++)
      {
        int i = (oy * p.stride + ky) * p.w + ox * p.stride + kx;
        float v = x[base + i];
        if (v > best_v)
          {
            best_v = v;
            best = i;
          }
      }
  y[idx] = best_v;
  arg[idx] = best;
}
