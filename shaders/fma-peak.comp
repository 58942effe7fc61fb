// SPDX-License-Identifier: GPL-3.0-or-later
//
// The device's arithmetic peak, for the benchmark: every invocation runs eight independent
// chains of four-float multiply-adds in its registers, then writes their sum so that none of
// the work can be left out. 64 floating-point operations an iteration.
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) writeonly buffer Out { float sums[]; };

layout (push_constant) uniform Params
{
  int iterations;
  float m, a;
} p;

void
main ()
{
  vec4 m = vec4 (p.m);
  vec4 a = vec4 (p.a);
  vec4 a0 = vec4 (float (gl_GlobalInvocationID.x % 97u) * 1e-3);
  vec4 a1 = a0 + 0.01, a2 = a0 + 0.02, a3 = a0 + 0.03;
  vec4 a4 = a0 + 0.04, a5 = a0 + 0.05, a6 = a0 + 0.06, a7 = a0 + 0.07;

  for (int i = 0; i < p.iterations; i++)
    {
      a0 = fma (a0, m, a);
      a1 = fma (a1, m, a);
      a2 = fma (a2, m, a);
      a3 = fma (a3, m, a);
      a4 = fma (a4, m, a);
      a5 = fma (a5, m, a);
      a6 = fma (a6, m, a);
      a7 = fma (a7, m, a);
    }
  vec4 s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
  sums[gl_GlobalInvocationID.x] = (s.x + s.y) + (s.z + s.w);
}
