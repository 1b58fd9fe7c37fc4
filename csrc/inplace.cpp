// inplace.cpp: ops that change their receiver (PyTorch's trailing underscore),
// and gradient clipping over a whole parameter store in one call.
#include <cmath>
#include <numeric>
#include <vector>

#include "internal.h"
#include "kernel_route.h"
#include "store.h"

using namespace torchffi;

namespace {

// The direct route for an in-place op skips ADInplaceOrView too, the kernel
// that bumps the version counter; bump it here, or autograd would not notice
// that a tensor it saved for backward has since been overwritten.
at::Tensor& bumped(at::Tensor& t) {
  t.unsafeGetTensorImpl()->bump_version();
  return t;
}

// The receiver of an in-place op: the handle's own tensor, not a copy, so that
// every handle sharing it (Memory's, a grad's) sees the change.
at::Tensor& receiver(const BorrowedTensor& t) { return const_cast<at::Tensor&>(*t); }

// Every dim of t, as torch.norm(g, p) passes them when no dim is given.
std::vector<int64_t> all_dims(const at::Tensor& t) {
  std::vector<int64_t> dims(static_cast<size_t>(t.dim()));
  std::iota(dims.begin(), dims.end(), 0);
  return dims;
}

}  // namespace

// In-place ops with a CPU kernel of their own: see plain_cpu and bumped. The
// ALPHA variants scale the operand first, in the kernel's own fused loop
// (`self + alpha * other`, as torch.optim.SGD's `add_(grad, alpha=-lr)` does).
#define TF_INPLACE_KERNEL(name, op)                                                \
  int32_t name(tf_tensor a, tf_tensor b) {                                         \
    return guard_status([&] {                                                      \
      const BorrowedTensor x = deref(a), y = deref(b);                             \
      at::Tensor& self = receiver(x);                                              \
      if (plain_cpu(self, *y)) {                                                   \
        bumped(at::cpu::op(self, *y));                                             \
      } else {                                                                     \
        self.op(*y);                                                               \
      }                                                                            \
    });                                                                            \
  }
#define TF_INPLACE_ALPHA_KERNEL(name, op)                                          \
  int32_t name(tf_tensor a, tf_tensor b, double alpha) {                           \
    return guard_status([&] {                                                      \
      const BorrowedTensor x = deref(a), y = deref(b);                             \
      at::Tensor& self = receiver(x);                                              \
      const at::Scalar scale = js_scalar(alpha);                                   \
      if (plain_cpu(self, *y)) {                                                   \
        bumped(at::cpu::op(self, *y, scale));                                      \
      } else {                                                                     \
        self.op(*y, scale);                                                        \
      }                                                                            \
    });                                                                            \
  }
// With a number, wrapped in a 0-dim tensor as at::add_(Tensor, Scalar) wraps it.
#define TF_INPLACE_SCALAR_KERNEL(name, op)                                         \
  int32_t name(tf_tensor a, double b) {                                            \
    return guard_status([&] {                                                      \
      const BorrowedTensor x = deref(a);                                           \
      at::Tensor& self = receiver(x);                                              \
      const at::Scalar s = js_scalar(b);                                           \
      if (plain_cpu(self)) {                                                       \
        bumped(at::cpu::op(self, at::native::wrapped_scalar_tensor(s)));           \
      } else {                                                                     \
        self.op(s);                                                                \
      }                                                                            \
    });                                                                            \
  }

extern "C" {

TF_INPLACE_ALPHA_KERNEL(tf_add_, add_)
TF_INPLACE_ALPHA_KERNEL(tf_sub_, sub_)
TF_INPLACE_KERNEL(tf_mul_, mul_)
TF_INPLACE_KERNEL(tf_div_, div_)
TF_INPLACE_SCALAR_KERNEL(tf_add_scalar_, add_)
TF_INPLACE_SCALAR_KERNEL(tf_sub_scalar_, sub_)
TF_INPLACE_SCALAR_KERNEL(tf_mul_scalar_, mul_)
TF_INPLACE_SCALAR_KERNEL(tf_div_scalar_, div_)

int32_t tf_zero_(tf_tensor t) {
  return guard_status([&] { receiver(deref(t)).zero_(); });
}

int32_t tf_fill_(tf_tensor t, double value) {
  return guard_status([&] { receiver(deref(t)).fill_(js_scalar(value)); });
}

int32_t tf_copy_(tf_tensor t, tf_tensor src) {
  return guard_status([&] { receiver(deref(t)).copy_(*deref(src)); });
}

int32_t tf_clamp_(tf_tensor t, double low, double high) {
  return guard_status([&] { receiver(deref(t)).clamp_(js_scalar(low), js_scalar(high)); });
}

int32_t tf_uniform_(tf_tensor t, double low, double high) {
  return guard_status([&] { receiver(deref(t)).uniform_(low, high); });
}

int32_t tf_normal_(tf_tensor t, double mean, double std) {
  return guard_status([&] { receiver(deref(t)).normal_(mean, std); });
}

int32_t tf_store_clip_grad_norm(tf_store store, double max_norm, double norm_type, double* total_norm) {
  return guard_status([&] {
    TORCH_CHECK(total_norm != nullptr, "null output pointer");
    std::vector<at::Tensor> grads;
    for (const auto& value : store_values(store)) {
      if (value.grad().defined()) grads.push_back(value.grad());
    }
    if (grads.empty()) {
      *total_norm = 0;
      return;
    }
    // torch.nn.utils.clip_grad_norm_ (1.13), op for op, so the result is bit-identical.
    at::NoGradGuard no_grad;
    at::Tensor total;
    if (std::isinf(norm_type) && norm_type > 0) {
      std::vector<at::Tensor> norms;
      for (const auto& g : grads) norms.push_back(g.detach().abs().max());
      total = norms.size() == 1 ? norms[0] : at::max(at::stack(norms));
    } else {
      std::vector<at::Tensor> norms;
      for (const auto& g : grads) norms.push_back(at::norm(g.detach(), norm_type, all_dims(g)));
      const auto stacked = at::stack(norms);
      total = at::norm(stacked, norm_type, all_dims(stacked));
    }
    // Python's `max_norm / (total_norm + 1e-6)` runs as reciprocal() * max_norm.
    const auto coefficient = at::clamp((total + 1e-6).reciprocal() * max_norm, c10::optional<at::Scalar>(), at::Scalar(1.0));
    for (auto& g : grads) g.detach().mul_(coefficient);
    *total_norm = total.item<double>();
  });
}

int32_t tf_store_clip_grad_value(tf_store store, double clip_value) {
  return guard_status([&] {
    at::NoGradGuard no_grad;
    for (const auto& value : store_values(store)) {
      if (value.grad().defined()) value.grad().detach().clamp_(-clip_value, clip_value);
    }
  });
}

}  // extern "C"
