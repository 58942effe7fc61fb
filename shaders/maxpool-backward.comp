// SPDX-License-Identifier: GPL-3.0-or-later
//
// Max pooling backward as a gather: each input element adds the gradients of the windows
// whose saved maximum it was.
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) readonly buffer DY { float dy[]; };
layout (set = 0, binding = 1) writeonly buffer DX { float dx[]; };
layout (set = 0, binding = 2) readonly buffer Arg { int arg[]; };

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
  int local_i = idx % (p.h * p.w);
  int plane = idx / (p.h * p.w);
  int iy = local_i / p.w, ix = local_i % p.w;
  int oy_lo = max (0, (iy - p.kh + p.stride) / p.stride);
  int oy_hi = min (p.oh - 1, iy / p.stride);
  int ox_lo = max (0, (ix - p.kw + p.stride) / p.stride);
  int ox_hi = min (p.ow - 1, ix / p.stride);
  float acc = 0.0;
  for (int oy = oy_lo; oy <= oy_hi; oy++)
    for (int ox = ox_lo; ox <= ox_hi; ox++)
      {
        int o = (plane * p.oh + oy) * p.ow + ox;
        if (arg[o] == local_i)
          acc += dy[o];
      }
  dx[idx] = acc;
}
