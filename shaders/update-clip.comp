// SPDX-License-Identifier: GPL-3.0-or-later
//
// Scales the update by min(1, C / ‖u‖), reading ‖u‖² from the reduction's result. An update
// that holds NaN or infinities is left as it is (the host reports it as diverged).
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) buffer Update { float u[]; };
layout (set = 0, binding = 5) readonly buffer Result { uint result[]; };

layout (push_constant) uniform Params
{
  uint total;
  float max_norm;
} p;

void
main ()
{
  uint i = (gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x) * 64u +
           gl_LocalInvocationID.x;
  float squared = uintBitsToFloat (result[2]) + uintBitsToFloat (result[3]);
  float norm = sqrt (squared);

  if (i >= p.total || result[4] != 0u || !(norm > p.max_norm))
    return;
  u[i] = u[i] * (p.max_norm / norm);
}
