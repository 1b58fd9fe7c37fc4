// store.cpp: the parameter store behind Memory. It holds every parameter and
// its optimizer state, so that a whole optimizer step (or zero-grad) over all
// parameters is one call from JavaScript instead of several per parameter.
#include <cmath>
#include <mutex>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>

#include "internal.h"
#include "optim_kernels.h"
#include "store.h"

using namespace torchffi;

namespace {

at::Tensor& state_of(Slot& slot, int32_t kind) {
  switch (kind) {
    case 0: return slot.momentum_buffer;
    case 1: return slot.exp_avg;
    case 2: return slot.exp_avg_sq;
    case 3: return slot.square_avg;
    case 4: return slot.grad_avg;
  }
  TORCH_CHECK(false, "unknown optimizer state kind ", kind);
}


}  // namespace

namespace torchffi {

at::Tensor restored_state(const Slot& slot, int64_t id, tf_tensor t, const char* name) {
  if (t == nullptr) return at::Tensor();
  const auto source_borrow = deref(t);
  const at::Tensor& source = *source_borrow;
  TORCH_CHECK(source.sizes() == slot.value.sizes() && source.scalar_type() == slot.value.scalar_type(), name, " of tensor ", id,
              " must have shape ", slot.value.sizes(), " and dtype ", slot.value.scalar_type(), ", got ", source.sizes(), " and ",
              source.scalar_type());
  return source.detach().clone();
}

std::vector<at::Tensor> store_values(tf_store store) {
  std::vector<at::Tensor> values;
  for (const auto& slot : deref_store(store).slots) values.push_back(slot.value);
  return values;
}

void adam_moments_step(Slot& slot, const at::Tensor& raw_grad, double lr, double beta1, double beta2, double eps,
                       double l2) {
  const double step = static_cast<double>(slot.adam_steps);
  const double bias_correction1 = 1 - std::pow(beta1, step);
  const double bias_correction2 = 1 - std::pow(beta2, step);
  const double step_size = lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  if (fused_kernels_available() && fusable(slot.value, slot.value) && fusable(raw_grad, slot.value) &&
      fusable(slot.exp_avg, slot.value) && fusable(slot.exp_avg_sq, slot.value)) {
    adam_update(slot.value.data_ptr<float>(), raw_grad.data_ptr<float>(), slot.exp_avg.data_ptr<float>(),
                slot.exp_avg_sq.data_ptr<float>(), slot.value.numel(), static_cast<float>(beta1),
                static_cast<float>(1 - beta1), static_cast<float>(beta2), static_cast<float>(1 - beta2),
                static_cast<float>(l2), static_cast<float>(bias_correction2_sqrt), static_cast<float>(eps),
                static_cast<float>(-step_size));
    return;
  }
  at::Tensor grad = l2 != 0 ? raw_grad.add(slot.value, l2) : raw_grad;
  slot.exp_avg.mul_(beta1).add_(grad, 1 - beta1);
  slot.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
  auto denom = (slot.exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps);
  slot.value.addcdiv_(slot.exp_avg, denom, -step_size);
}

}  // namespace torchffi

extern "C" {

tf_store tf_store_new(void) {
  try {
    return reinterpret_cast<tf_store>(new Store());
  } catch (const std::exception& e) {
    set_last_error(e.what());
  }
  return nullptr;
}

void tf_store_free(tf_store store) { delete reinterpret_cast<Store*>(store); }

int64_t tf_store_push(tf_store store, tf_tensor t) {
  int64_t id = -1;
  guard_status([&] {
    auto& s = deref_store(store);
    Slot slot;
    slot.value = *deref(t);
    s.slots.push_back(std::move(slot));
    id = static_cast<int64_t>(s.slots.size()) - 1;
  });
  return id;
}

int64_t tf_store_push_buffer(tf_store store, tf_tensor t) {
  int64_t id = -1;
  guard_status([&] {
    auto& s = deref_store(store);
    Slot slot;
    slot.value = *deref(t);
    slot.buffer = true;
    s.slots.push_back(std::move(slot));
    id = static_cast<int64_t>(s.slots.size()) - 1;
  });
  return id;
}

tf_tensor tf_store_get(tf_store store, int64_t id) {
  return guard_tensor([&] { return at::Tensor(deref_store(store).at(id).value); });
}

int32_t tf_store_assign(tf_store store, int64_t id, tf_tensor src) {
  return guard_status([&] {
    auto& target = deref_store(store).at(id).value;
    const auto source_borrow = deref(src);
    const at::Tensor& source = *source_borrow;
    TORCH_CHECK(target.sizes() == source.sizes(), "tensor ", id, " has shape ", target.sizes(), " but the new value has shape ",
                source.sizes());
    TORCH_CHECK(target.scalar_type() == source.scalar_type(), "tensor ", id, " has dtype ", target.scalar_type(),
                " but the new value has dtype ", source.scalar_type());
    at::NoGradGuard no_grad;
    target.copy_(source);
  });
}

int32_t tf_store_zero_grad(tf_store store) {
  return guard_status([&] {
    for (auto& slot : deref_store(store).slots) slot.value.mutable_grad().reset();
  });
}

int32_t tf_store_sgd(tf_store store, double lr) {
  return guard_status([&] {
    check_rate(lr);
    for_each_gradient(deref_store(store), [&](Slot& slot, const at::Tensor& grad) { slot.value.add_(grad, -lr); });
  });
}

int32_t tf_store_sgd_momentum(tf_store store, double lr, double momentum) {
  return guard_status([&] {
    check_rate(lr);
    TORCH_CHECK(std::isfinite(momentum) && momentum >= 0, "momentum must be a non-negative number, got ", momentum);
    // torch.optim.SGD: the first buffer is the gradient itself, then buf = momentum * buf + grad.
    for_each_gradient(deref_store(store), [&](Slot& slot, const at::Tensor& grad) {
      if (!slot.momentum_buffer.defined()) {
        slot.momentum_buffer = grad.clone().detach();
        slot.value.add_(slot.momentum_buffer, -lr);
      } else if (fused_kernels_available() && fusable(slot.value, slot.value) && fusable(grad, slot.value) &&
                 fusable(slot.momentum_buffer, slot.value)) {
        momentum_update(slot.value.data_ptr<float>(), grad.data_ptr<float>(), slot.momentum_buffer.data_ptr<float>(),
                        slot.value.numel(), static_cast<float>(momentum), static_cast<float>(-lr));
      } else {
        slot.momentum_buffer.mul_(momentum).add_(grad);
        slot.value.add_(slot.momentum_buffer, -lr);
      }
    });
  });
}

int32_t tf_store_adam(tf_store store, double lr, double beta1, double beta2, double eps, double weight_decay) {
  return guard_status([&] {
    check_rate(lr);
    TORCH_CHECK(beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1), got ", beta1);
    TORCH_CHECK(beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1), got ", beta2);
    TORCH_CHECK(eps >= 0, "eps must be non-negative, got ", eps);
    TORCH_CHECK(weight_decay >= 0, "weight decay must be non-negative, got ", weight_decay);
    // The arithmetic and its order follow torch.optim.Adam's single-tensor path (1.13).
    for_each_gradient(deref_store(store), [&](Slot& slot, const at::Tensor& raw_grad) {
      if (!slot.exp_avg.defined()) {
        slot.exp_avg = at::zeros_like(slot.value, at::MemoryFormat::Contiguous);
        slot.exp_avg_sq = at::zeros_like(slot.value, at::MemoryFormat::Contiguous);
      }
      slot.adam_steps += 1;
      adam_moments_step(slot, raw_grad, lr, beta1, beta2, eps, weight_decay);
    });
  });
}

int32_t tf_store_has_state(tf_store store, int64_t id, int32_t kind) {
  int32_t result = -1;
  guard_status([&] { result = state_of(deref_store(store).at(id), kind).defined() ? 1 : 0; });
  return result;
}

tf_tensor tf_store_state(tf_store store, int64_t id, int32_t kind) {
  return guard_tensor([&] {
    auto state = state_of(deref_store(store).at(id), kind);
    TORCH_CHECK(state.defined(), "tensor ", id, " has no optimizer state of kind ", kind);
    return state;
  });
}

int64_t tf_store_adam_steps(tf_store store, int64_t id) {
  int64_t result = -1;
  guard_status([&] { result = deref_store(store).at(id).adam_steps; });
  return result;
}

int32_t tf_store_restore_state(tf_store store, int64_t id, tf_tensor momentum, tf_tensor exp_avg, tf_tensor exp_avg_sq,
                               int64_t adam_steps) {
  return guard_status([&] {
    auto& slot = deref_store(store).at(id);
    TORCH_CHECK(adam_steps >= 0, "Adam's step count must be non-negative, got ", adam_steps);
    TORCH_CHECK((exp_avg == nullptr) == (exp_avg_sq == nullptr), "Adam's two moments must be restored together");
    // Check everything before changing anything.
    auto new_momentum = restored_state(slot, id, momentum, "the momentum buffer");
    auto new_exp_avg = restored_state(slot, id, exp_avg, "Adam's first moment");
    auto new_exp_avg_sq = restored_state(slot, id, exp_avg_sq, "Adam's second moment");
    slot.momentum_buffer = new_momentum;
    slot.exp_avg = new_exp_avg;
    slot.exp_avg_sq = new_exp_avg_sq;
    slot.adam_steps = adam_steps;
  });
}

tf_tensor tf_get_rng_state(void) {
  return guard_tensor([&] {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    return generator.get_state();
  });
}

int32_t tf_set_rng_state(tf_tensor state) {
  return guard_status([&] {
    const auto bytes_borrow = deref(state);
    const at::Tensor& bytes = *bytes_borrow;
    TORCH_CHECK(bytes.scalar_type() == at::kByte && bytes.dim() == 1, "a generator state is a 1-D uint8 tensor, got ",
                bytes.scalar_type(), " ", bytes.sizes());
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(bytes.contiguous());
  });
}

}  // extern "C"
