// SPDX-License-Identifier: GPL-3.0-or-later
//
// dst[c][s·P + q] = src[s][c][q]: NCHW gradients to the [channels][batch·pixels] layout the
// convolution's weight-gradient product wants.
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) readonly buffer Src { float src[]; };
layout (set = 0, binding = 1) writeonly buffer Dst { float dst[]; };

layout (push_constant) uniform Params
{
  int n, c, plane, total;
} p;

void
main ()
{
  int idx = int (gl_GlobalInvocationID.x) + int (gl_GlobalInvocationID.y) * 65535 * 64;
  if (idx >= p.total)
    return;
  int q = idx % p.plane;
  int ch = (idx / p.plane) % p.c;
  int s = idx / (p.plane * p.c);
  dst[(ch * p.n + s) * p.plane + q] = src[idx];
}
