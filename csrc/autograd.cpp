// autograd.cpp: requires_grad, backward, gradients and grad mode. LibTorch's
// own autograd does the work; this file only moves handles across.
#include "internal.h"

using namespace torchffi;

extern "C" {

int32_t tf_requires_grad(tf_tensor t) {
  int32_t result = -1;
  guard_status([&] { result = deref(t)->requires_grad() ? 1 : 0; });
  return result;
}

int32_t tf_set_requires_grad(tf_tensor t, int32_t requires_grad) {
  return guard_status([&] { deref(t)->requires_grad_(requires_grad != 0); });
}

int32_t tf_backward(tf_tensor t, tf_tensor grad) {
  return guard_status([&] {
    const auto root_borrow = deref(t);
    const at::Tensor& root = *root_borrow;
    TORCH_CHECK(root.requires_grad(),
                "element 0 of tensors does not require grad and does not have a grad_fn "
                "(nothing it was computed from has requiresGrad set)");
    if (grad == nullptr) {
      root.backward();
    } else {
      root.backward(*deref(grad));
    }
  });
}

int32_t tf_has_grad(tf_tensor t) {
  int32_t result = -1;
  guard_status([&] { result = deref(t)->grad().defined() ? 1 : 0; });
  return result;
}

tf_tensor tf_grad(tf_tensor t) {
  return guard_tensor([&] {
    auto grad = deref(t)->grad();
    TORCH_CHECK(grad.defined(), "this tensor has no gradient");
    return grad;
  });
}

int32_t tf_grad_state(tf_tensor t, tf_tensor known) {
  int32_t result = -1;
  guard_status([&] {
    const auto& grad = deref(t)->grad();
    // A handle is the TensorImpl it holds a reference to, so while `known` is
    // alive no other tensor can take its address.
    if (!grad.defined()) result = 0;
    else result = reinterpret_cast<tf_tensor>(grad.unsafeGetTensorImpl()) == known ? 1 : 2;
  });
  return result;
}

int32_t tf_zero_grad(tf_tensor t) {
  return guard_status([&] { deref(t)->mutable_grad().reset(); });
}

int32_t tf_set_grad_enabled(int32_t enabled) {
  const bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(enabled != 0);
  return previous ? 1 : 0;
}

}  // extern "C"
