// kernel_route.h: the direct route of elementwise ops to LibTorch's CPU
// kernels, shared by every source file that defines such ops (ops.cpp,
// select.cpp): the test for a plain CPU tensor and the one-line op macros.
#pragma once

#include <ATen/CPUFunctions.h>
#include <ATen/ScalarOps.h>
#include <c10/core/impl/LocalDispatchKeySet.h>

#include "internal.h"

namespace torchffi {

// The dispatch keys of an ordinary dense CPU tensor, read off a real one so
// that this stays right whatever keys the LibTorch build gives every tensor.
// Made while the library loads, when no thread-local mode can be active.
inline const c10::DispatchKeySet plain_cpu_keys = at::empty({0}).key_set();

inline bool plain_tensor(const at::Tensor& t) {
  return t.key_set() == plain_cpu_keys && !t.requires_grad();
}

// True while this thread's dispatch state is LibTorch's default: no mode such
// as autocast or a below-autograd guard has added or removed keys.
inline bool no_dispatch_modes() {
  const auto local = c10::impl::tls_local_dispatch_key_set();
  return local.included_ == c10::default_included_set && local.excluded_ == c10::default_excluded_set;
}

// Whether an elementwise op may call its CPU kernel directly (at::cpu::add and
// friends) instead of going through the dispatcher. For dense CPU tensors that
// need no gradient the dispatcher's route is autograd, which records nothing,
// and then that same kernel: skipping the detour saves about 65 ns, a seventh
// of a 2x2 add. Anything else (a tensor that needs a gradient, an extra key
// such as a conjugate bit, a thread-local dispatch mode) takes the usual route.
// Forward-mode AD is not exposed, so no tensor carries a forward gradient.
inline bool plain_cpu(const at::Tensor& t) { return plain_tensor(t) && no_dispatch_modes(); }

inline bool plain_cpu(const at::Tensor& a, const at::Tensor& b) {
  return plain_tensor(a) && plain_tensor(b) && no_dispatch_modes();
}

// The same test for an op of any number of tensors (an index, a condition...).
template <typename... Tensors>
bool all_plain_cpu(const Tensors&... ts) {
  return (plain_tensor(ts) && ...) && no_dispatch_modes();
}

inline const at::Scalar& as_number(const at::Scalar& s) { return s; }

}  // namespace torchffi

// Elementwise ops with a CPU kernel of their own: see plain_cpu.
#define TF_UNARY_KERNEL(name, op)                                                  \
  tf_tensor name(tf_tensor t) {                                                    \
    return guard_tensor([&] {                                                      \
      const BorrowedTensor x = deref(t);                                           \
      return plain_cpu(*x) ? at::cpu::op(*x) : at::op(*x);                         \
    });                                                                            \
  }
#define TF_BINARY_KERNEL(name, op)                                                 \
  tf_tensor name(tf_tensor a, tf_tensor b) {                                       \
    return guard_tensor([&] {                                                      \
      const BorrowedTensor x = deref(a), y = deref(b);                             \
      return plain_cpu(*x, *y) ? at::cpu::op(*x, *y) : at::op(*x, *y);             \
    });                                                                            \
  }
// With a number: pow, eq, gt and lt have kernels that take it as it is (pass
// `as_number`); the kernels of add, sub, mul and div take it wrapped in a 0-dim
// tensor (pass `at::native::wrapped_scalar_tensor`), exactly as at::add(Tensor,
// Scalar) wraps it, so that it promotes like a Python number.
#define TF_SCALAR_KERNEL(name, op, operand)                                        \
  tf_tensor name(tf_tensor a, double b) {                                          \
    return guard_tensor([&] {                                                      \
      const BorrowedTensor x = deref(a);                                           \
      const at::Scalar s = js_scalar(b);                                           \
      return plain_cpu(*x) ? at::cpu::op(*x, operand(s)) : at::op(*x, s);          \
    });                                                                            \
  }
// Any other op with a CPU kernel: TF_ROUTE(direct, gather(x, dim, index)) calls
// at::cpu::gather when `direct` (see all_plain_cpu), else at::gather.
#define TF_ROUTE(direct, call) ((direct) ? at::cpu::call : at::call)
