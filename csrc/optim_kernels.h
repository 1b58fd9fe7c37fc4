// optim_kernels.h: single-pass float32 optimizer updates used by store.cpp.
#pragma once

#include <cstdint>

namespace torchffi {

// Whether this CPU runs the fused kernels (AVX2 with FMA). Elsewhere store.cpp
// falls back to LibTorch's own ops, whose rounding the kernels reproduce only
// where LibTorch itself uses fused multiply-adds.
bool fused_kernels_available();

// torch.optim.Adam's update of one parameter in one pass (see optim_kernels.cpp).
// Scalars arrive as LibTorch would see them: computed in double, then rounded to float.
void adam_update(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t n, float beta1,
                 float one_minus_beta1, float beta2, float one_minus_beta2, float weight_decay, float bias_correction2_sqrt,
                 float eps, float neg_step_size);

// torch.optim.SGD's momentum update of one parameter in one pass.
void momentum_update(float* param, const float* grad, float* buffer, int64_t n, float momentum, float neg_lr);

}  // namespace torchffi
