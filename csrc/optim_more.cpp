// optim_more.cpp: AdamW and RMSprop over every parameter of the store, one C
// call per step, with their state kept in the store's slots (store.h).
//
// Each runs the very LibTorch ops of torch.optim's single-tensor path (1.13,
// which CPU parameters take by default: foreach=None means False there), in
// the same order with the same double scalars, so results are bit-identical
// to torch.optim. AdamW's moments and update take Adam's fused float32 loop
// (optim_kernels.cpp, bit-identical to those ops) where it applies.
#include <cmath>
#include <utility>
#include <vector>

#include <ATen/Dispatch.h>
#include <c10/util/Half.h>

#include "internal.h"
#include "optim_kernels.h"
#include "store.h"

using namespace torchffi;

namespace {

void check_unit(double v, const char* name) {
  TORCH_CHECK(std::isfinite(v) && v >= 0 && v < 1, name, " must be in [0, 1), got ", v);
}

void check_non_negative(double v, const char* name) {
  TORCH_CHECK(std::isfinite(v) && v >= 0, name, " must be a non-negative number, got ", v);
}

using Scalars = std::vector<std::pair<const char*, double>>;

// LibTorch refuses a scalar its tensor's dtype cannot hold (1e300 for a float32
// parameter), but only when it reaches that op, after the parameters before it
// have been stepped. So every scalar a step will use is checked against every
// parameter's dtype first, and a refused step changes nothing.
template <typename Of>
void check_scalars_fit(Store& store, Of&& scalars_of) {
  for (size_t id = 0; id < store.slots.size(); ++id) {
    auto& slot = store.slots[id];
    if (slot.buffer || !slot.value.mutable_grad().defined()) continue;
    const auto dtype = slot.value.scalar_type();
    if (!at::isFloatingType(dtype)) continue;
    for (const auto& [name, value] : scalars_of(slot)) {
      bool overflows = false;
      AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, dtype, "check_scalars_fit",
                                      [&] { overflows = c10::overflows<scalar_t, double>(value); });
      TORCH_CHECK(!overflows, name, " is ", value, ", which tensor ", id, "'s dtype ", dtype, " cannot hold");
    }
  }
}

}  // namespace

extern "C" {

int32_t tf_store_adamw(tf_store store, double lr, double beta1, double beta2, double eps, double weight_decay) {
  return guard_status([&] {
    check_rate(lr);
    check_unit(beta1, "beta1");
    check_unit(beta2, "beta2");
    check_non_negative(eps, "eps");
    check_non_negative(weight_decay, "weight decay");
    check_scalars_fit(deref_store(store), [&](const Slot& slot) {
      const double step = static_cast<double>(slot.adam_steps + 1);
      return Scalars{{"1 - lr * weight_decay", 1 - lr * weight_decay},
                     {"eps", eps},
                     {"the step size lr / (1 - beta1^step)", -lr / (1 - std::pow(beta1, step))}};
    });
    for_each_gradient(deref_store(store), [&](Slot& slot, const at::Tensor& grad) {
      if (!slot.exp_avg.defined()) {
        slot.exp_avg = at::zeros_like(slot.value, at::MemoryFormat::Preserve);
        slot.exp_avg_sq = at::zeros_like(slot.value, at::MemoryFormat::Preserve);
      }
      slot.adam_steps += 1;
      // Decoupled weight decay: the parameter shrinks before the Adam step.
      slot.value.mul_(1 - lr * weight_decay);
      // After the decay, the rest is Adam's step without its L2 term.
      adam_moments_step(slot, grad, lr, beta1, beta2, eps, 0.0);
    });
  });
}

int32_t tf_store_rmsprop(tf_store store, double lr, double alpha, double eps, double weight_decay, double momentum,
                         int32_t centered) {
  return guard_status([&] {
    check_rate(lr);
    // torch.optim.RMSprop only asks alpha >= 0; past 1 the running average
    // turns negative and the step NaN, so it is refused here.
    TORCH_CHECK(std::isfinite(alpha) && alpha >= 0 && alpha <= 1, "alpha must be in [0, 1], got ", alpha);
    check_non_negative(eps, "eps");
    check_non_negative(weight_decay, "weight decay");
    check_non_negative(momentum, "momentum");
    check_scalars_fit(deref_store(store), [&](const Slot&) {
      return Scalars{{"lr", -lr}, {"eps", eps}, {"weight decay", weight_decay}, {"momentum", momentum}};
    });
    for_each_gradient(deref_store(store), [&](Slot& slot, const at::Tensor& raw_grad) {
      if (!slot.square_avg.defined()) slot.square_avg = at::zeros_like(slot.value, at::MemoryFormat::Preserve);
      if (momentum > 0 && !slot.momentum_buffer.defined()) {
        slot.momentum_buffer = at::zeros_like(slot.value, at::MemoryFormat::Preserve);
      }
      if (centered && !slot.grad_avg.defined()) slot.grad_avg = at::zeros_like(slot.value, at::MemoryFormat::Preserve);
      const at::Tensor grad = weight_decay != 0 ? raw_grad.add(slot.value, weight_decay) : raw_grad;
      slot.square_avg.mul_(alpha).addcmul_(grad, grad, 1 - alpha);
      at::Tensor avg;
      if (centered) {
        slot.grad_avg.mul_(alpha).add_(grad, 1 - alpha);
        avg = slot.square_avg.addcmul(slot.grad_avg, slot.grad_avg, -1).sqrt_();
      } else {
        avg = slot.square_avg.sqrt();
      }
      avg.add_(eps);
      if (momentum > 0) {
        slot.momentum_buffer.mul_(momentum).addcdiv_(grad, avg);
        slot.value.add_(slot.momentum_buffer, -lr);
      } else {
        slot.value.addcdiv_(grad, avg, -lr);
      }
    });
  });
}

int32_t tf_store_restore_rmsprop_state(tf_store store, int64_t id, tf_tensor square_avg, tf_tensor grad_avg) {
  return guard_status([&] {
    auto& slot = deref_store(store).at(id);
    // Check everything before changing anything.
    auto new_square_avg = restored_state(slot, id, square_avg, "RMSprop's square average");
    auto new_grad_avg = restored_state(slot, id, grad_avg, "RMSprop's gradient average");
    slot.square_avg = new_square_avg;
    slot.grad_avg = new_grad_avg;
  });
}

}  // extern "C"
