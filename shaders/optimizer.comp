// SPDX-License-Identifier: GPL-3.0-or-later
//
// One pass over every parameter: weight decay, FedProx's proximal term, then SGD with momentum
// (PyTorch's form) or Adam. The per-step values live in a uniform buffer that the host rewrites
// before each replay of the recorded step.
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) buffer W { float w[]; };
layout (set = 0, binding = 1) readonly buffer G { float g[]; };
layout (set = 0, binding = 2) buffer M { float m[]; };
layout (set = 0, binding = 3) buffer V { float v[]; };
layout (set = 0, binding = 4) readonly buffer Anchor { float anchor[]; };
layout (set = 0, binding = 8) uniform Step
{
  float lr, momentum, weight_decay, prox_mu;
  float beta1, beta2, eps, bc1;
  float bc2;
  int adam, use_anchor, pad0;
} st;

layout (push_constant) uniform Params
{
  int total;
} p;

void
main ()
{
  int i = int (gl_GlobalInvocationID.x) + int (gl_GlobalInvocationID.y) * 65535 * 64;
  if (i >= p.total)
    return;
  float wi = w[i];
  float grad = g[i] + st.weight_decay * wi;
  if (st.use_anchor != 0)
    grad += st.prox_mu * (wi - anchor[i]);
  if (st.adam != 0)
    {
      float mi = st.beta1 * m[i] + (1.0 - st.beta1) * grad;
      float vi = st.beta2 * v[i] + (1.0 - st.beta2) * grad * grad;
      m[i] = mi;
      v[i] = vi;
      w[i] = wi - st.lr * (mi / st.bc1) / (sqrt (vi / st.bc2) + st.eps);
    }
  else if (st.momentum != 0.0)
    {
      float mi = st.momentum * m[i] + grad;
      m[i] = mi;
      w[i] = wi - st.lr * mi;
    }
  else
    w[i] = wi - st.lr * grad;
}
