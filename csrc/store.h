// store.h: what other source files may see of the parameter store (store.cpp):
// its slots, so that optimizers in their own files (optim_more.cpp) keep their
// state beside the parameters like the ones in store.cpp.
#pragma once

#include <cmath>
#include <vector>

#include "internal.h"

namespace torchffi {

struct Slot {
  at::Tensor value;
  // Optimizer state, created on first use and kept across steps. Names follow
  // torch.optim's state keys; AdamW shares Adam's, RMSprop shares the momentum
  // buffer, as each optimizer names it so.
  at::Tensor momentum_buffer;
  at::Tensor exp_avg;
  at::Tensor exp_avg_sq;
  int64_t adam_steps = 0;
  at::Tensor square_avg;  // RMSprop
  at::Tensor grad_avg;    // RMSprop with centered=True
  // A buffer (register_buffer) is never a parameter: no optimizer steps it,
  // even when its gradient has been turned on (PyTorch's optimizers never see it).
  bool buffer = false;
};

struct Store {
  std::vector<Slot> slots;

  Slot& at(int64_t id) {
    TORCH_CHECK(id >= 0 && id < static_cast<int64_t>(slots.size()), "no tensor with id ", id, " in this Memory (it holds ",
                slots.size(), ")");
    return slots[static_cast<size_t>(id)];
  }
};

inline Store& deref_store(tf_store store) {
  TORCH_CHECK(store != nullptr, "null store handle");
  return *reinterpret_cast<Store*>(store);
}

// Runs step on every tensor that has a gradient, then drops the gradients, all
// without recording autograd history. Buffers are skipped (and keep any
// gradient), so no optimizer touches them.
template <typename Step>
void for_each_gradient(Store& store, Step&& step) {
  at::NoGradGuard no_grad;
  for (auto& slot : store.slots) {
    if (slot.buffer) continue;
    auto& grad = slot.value.mutable_grad();
    if (!grad.defined()) continue;
    step(slot, grad);
    grad.reset();
  }
}

// Whether a tensor can take the fused float32 loops of optim_kernels.cpp:
// contiguous float32 on the CPU, the same size as the parameter.
inline bool fusable(const at::Tensor& t, const at::Tensor& like) {
  return t.scalar_type() == at::kFloat && t.is_contiguous() && t.numel() == like.numel() && t.device().is_cpu();
}

inline void check_rate(double lr) {
  TORCH_CHECK(std::isfinite(lr) && lr > 0, "learning rate must be a positive number, got ", lr);
}

// Adam's update of one parameter once its step count has gone up: the bias
// corrections, both moments and the step, in torch.optim.Adam's order (1.13),
// through the fused float32 loop of optim_kernels.cpp where it applies. `l2`
// is Adam's weight decay; AdamW decays the parameter itself first and passes 0.
void adam_moments_step(Slot& slot, const at::Tensor& raw_grad, double lr, double beta1, double beta2, double eps,
                       double l2);

// The store's tensors (the same tensors, not copies: gradients and in-place
// changes are shared), for entry points in other files that work on them all.
// A copy of the optimizer state `t` (undefined when t is null) for slot `id`,
// after checking it has the parameter's shape and dtype; `name` says which
// state it is. Restores copy every tensor first and assign after, so a refused
// one changes nothing.
at::Tensor restored_state(const Slot& slot, int64_t id, tf_tensor t, const char* name);

std::vector<at::Tensor> store_values(tf_store store);

}  // namespace torchffi
