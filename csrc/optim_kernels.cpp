// optim_kernels.cpp: Adam and SGD-momentum updates in one pass over memory.
//
// torch.optim runs each update as a chain of LibTorch ops (Adam: mul_, add_,
// mul_, addcmul_, sqrt, div, add_, addcdiv_), each a full pass with its own
// dispatch, and two temporaries. These loops do the same arithmetic in one
// pass and give bit-identical results: every step below mirrors one of those
// ops, with a fused multiply-add exactly where LibTorch's AVX2 kernel has one
// (add_ with alpha, addcmul_) and separate roundings everywhere else, in its
// order of operations (checked element by element against LibTorch's ops).
// This file is compiled with -ffp-contract=off so the compiler adds no others.
#include "optim_kernels.h"

#include <ATen/Parallel.h>

#include <cmath>

namespace torchffi {

namespace {

constexpr int64_t kGrain = 32768;

__attribute__((target("avx2,fma"))) void adam_range(float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                                                     int64_t begin, int64_t end, float beta1, float one_minus_beta1,
                                                     float beta2, float one_minus_beta2, float weight_decay,
                                                     float bias_correction2_sqrt, float eps, float neg_step_size) {
  for (int64_t i = begin; i < end; ++i) {
    float g = grad[i];
    if (weight_decay != 0.0f) g = __builtin_fmaf(param[i], weight_decay, g);           // grad.add(param, alpha=wd)
    const float m = __builtin_fmaf(g, one_minus_beta1, exp_avg[i] * beta1);            // mul_(b1).add_(g, alpha=1-b1)
    const float v = __builtin_fmaf(one_minus_beta2 * g, g, exp_avg_sq[i] * beta2);     // mul_(b2).addcmul_(g, g, 1-b2)
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    const float denom = __builtin_sqrtf(v) / bias_correction2_sqrt + eps;              // (sqrt / bc2_sqrt).add_(eps)
    param[i] = param[i] + (neg_step_size * m) / denom;                                 // addcdiv_(m, denom, -step_size)
  }
}

__attribute__((target("avx2,fma"))) void momentum_range(float* param, const float* grad, float* buffer, int64_t begin,
                                                         int64_t end, float momentum, float neg_lr) {
  for (int64_t i = begin; i < end; ++i) {
    const float b = buffer[i] * momentum + grad[i];                                    // mul_(m).add_(grad)
    buffer[i] = b;
    param[i] = __builtin_fmaf(b, neg_lr, param[i]);                                    // add_(buf, alpha=-lr)
  }
}

}  // namespace

bool fused_kernels_available() {
  static const bool available = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return available;
}

void adam_update(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t n, float beta1,
                 float one_minus_beta1, float beta2, float one_minus_beta2, float weight_decay, float bias_correction2_sqrt,
                 float eps, float neg_step_size) {
  at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
    adam_range(param, grad, exp_avg, exp_avg_sq, begin, end, beta1, one_minus_beta1, beta2, one_minus_beta2, weight_decay,
               bias_correction2_sqrt, eps, neg_step_size);
  });
}

void momentum_update(float* param, const float* grad, float* buffer, int64_t n, float momentum, float neg_lr) {
  at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) { momentum_range(param, grad, buffer, begin, end, momentum, neg_lr); });
}

}  // namespace torchffi
