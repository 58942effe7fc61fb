// SPDX-License-Identifier: GPL-3.0-or-later
//
// dx = y > 0 ? dy : 0, with y the saved ReLU output.
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) readonly buffer DY { float dy[]; };
layout (set = 0, binding = 1) writeonly buffer DX { float dx[]; };
layout (set = 0, binding = 2) readonly buffer Y { float y[]; };

layout (push_constant) uniform Params
{
  int total;
} p;

void
main ()
{
  int idx = int (gl_GlobalInvocationID.x) + int (gl_GlobalInvocationID.y) * 65535 * 64;
  if (idx >= p.total)
    return;
  dx[idx] = y[idx] > 0.0 ? dy[idx] : 0.0;
}
