// SPDX-License-Identifier: GPL-3.0-or-later
//
// update = trained − global, in place over the trained parameters. One invocation per element;
// groups past 65,535 spill into y.
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) buffer Update { float u[]; };
layout (set = 0, binding = 1) readonly buffer Global { float g[]; };

layout (push_constant) uniform Params
{
  uint total;
} p;

void
main ()
{
  uint i = (gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x) * 64u +
           gl_LocalInvocationID.x;

  if (i < p.total)
    u[i] = u[i] - g[i];
}
