// SPDX-License-Identifier: GPL-3.0-or-later
//
// One pass over every parameter: weight decay, FedProx's proximal term, then SGD with momentum
// (PyTorch's form) or Adam. The per-step values live in a uniform buffer that the host rewrites
// before each replay of the recorded step. Each invocation updates four parameters with
// four-float loads and stores (the parameters' total and offset are multiples of four): on CPU
// drivers a buffer access costs about the same for one float as for four.
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) buffer W { vec4 w[]; };
layout (set = 0, binding = 1) readonly buffer G { vec4 g[]; };
layout (set = 0, binding = 2) buffer M { vec4 m[]; };
layout (set = 0, binding = 3) buffer V { vec4 v[]; };
layout (set = 0, binding = 4) readonly buffer Anchor { vec4 anchor[]; };
layout (set = 0, binding = 8) uniform Step
{
  float lr, momentum, weight_decay, prox_mu;
  float beta1, beta2, eps, bc1;
  float bc2;
  int adam, use_anchor, pad0;
} st;

layout (push_constant) uniform Params
{
  int total;   /* in groups of four */
  int first;   /* the first group */
} p;

void
main ()
{
  int i = int (gl_GlobalInvocationID.x) + int (gl_GlobalInvocationID.y) * 65535 * 64;
  if (i >= p.total)
    return;
  i += p.first;
  vec4 wi = w[i];
  vec4 grad = g[i] + st.weight_decay * wi;
  if (st.use_anchor != 0)
    grad += st.prox_mu * (wi - anchor[i]);
  if (st.adam != 0)
    {
      vec4 mi = st.beta1 * m[i] + (1.0 - st.beta1) * grad;
      vec4 vi = st.beta2 * v[i] + (1.0 - st.beta2) * grad * grad;
      m[i] = mi;
      v[i] = vi;
      w[i] = wi - st.lr * (mi / st.bc1) / (sqrt (vi / st.bc2) + st.eps);
    }
  else if (st.momentum != 0.0)
    {
      vec4 mi = st.momentum * m[i] + grad;
      m[i] = mi;
      w[i] = wi - st.lr * mi;
    }
  else
    w[i] = wi - st.lr * grad;
}
