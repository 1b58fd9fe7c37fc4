// ops.cpp: shape changes, indexing, elementwise math, reductions.
#include <vector>

#include <ATen/CPUFunctions.h>
#include <ATen/ScalarOps.h>
#include <c10/core/impl/LocalDispatchKeySet.h>

#include "internal.h"

using namespace torchffi;

namespace {

std::vector<at::Tensor> tensor_list(const tf_tensor* ts, int32_t n) {
  TORCH_CHECK(n > 0, "expected a non-empty list of tensors");
  TORCH_CHECK(ts != nullptr, "null tensor list");
  std::vector<at::Tensor> list;
  list.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) list.push_back(*deref(ts[i]));
  return list;
}

// The dispatch keys of an ordinary dense CPU tensor, read off a real one so
// that this stays right whatever keys the LibTorch build gives every tensor.
// Made while the library loads, when no thread-local mode can be active.
const c10::DispatchKeySet plain_cpu_keys = at::empty({0}).key_set();

bool plain_tensor(const at::Tensor& t) {
  return t.key_set() == plain_cpu_keys && !t.requires_grad();
}

// True while this thread's dispatch state is LibTorch's default: no mode such
// as autocast or a below-autograd guard has added or removed keys.
bool no_dispatch_modes() {
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
bool plain_cpu(const at::Tensor& t) { return plain_tensor(t) && no_dispatch_modes(); }

bool plain_cpu(const at::Tensor& a, const at::Tensor& b) {
  return plain_tensor(a) && plain_tensor(b) && no_dispatch_modes();
}

const at::Scalar& as_number(const at::Scalar& s) { return s; }

}  // namespace

// One line per op: the guard plus the LibTorch call it wraps.
#define TF_UNARY(name, expr) \
  tf_tensor name(tf_tensor t) { return guard_tensor([&] { return expr(deref(t)); }); }
#define TF_BINARY(name, expr) \
  tf_tensor name(tf_tensor a, tf_tensor b) { return guard_tensor([&] { return expr(deref(a), deref(b)); }); }
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

extern "C" {

tf_tensor tf_view(tf_tensor t, const int64_t* shape, int32_t ndim) {
  return guard_tensor([&] { return deref(t)->view(int_list(shape, ndim)); });
}

tf_tensor tf_reshape(tf_tensor t, const int64_t* shape, int32_t ndim) {
  return guard_tensor([&] { return deref(t)->reshape(int_list(shape, ndim)); });
}

tf_tensor tf_flatten(tf_tensor t, int64_t start, int64_t end) {
  return guard_tensor([&] { return deref(t)->flatten(start, end); });
}

tf_tensor tf_unsqueeze(tf_tensor t, int64_t dim) {
  return guard_tensor([&] { return deref(t)->unsqueeze(dim); });
}

tf_tensor tf_squeeze(tf_tensor t, int64_t dim, int32_t all_dims) {
  return guard_tensor([&] { return all_dims ? deref(t)->squeeze() : deref(t)->squeeze(dim); });
}

tf_tensor tf_transpose(tf_tensor t, int64_t dim0, int64_t dim1) {
  return guard_tensor([&] { return deref(t)->transpose(dim0, dim1); });
}

TF_UNARY(tf_t, at::t)

tf_tensor tf_permute(tf_tensor t, const int64_t* dims, int32_t ndims) {
  return guard_tensor([&] { return deref(t)->permute(int_list(dims, ndims)); });
}

tf_tensor tf_narrow(tf_tensor t, int64_t dim, int64_t start, int64_t length) {
  return guard_tensor([&] { return deref(t)->narrow(dim, start, length); });
}

tf_tensor tf_select(tf_tensor t, int64_t dim, int64_t index) {
  return guard_tensor([&] { return deref(t)->select(dim, index); });
}

tf_tensor tf_index_select(tf_tensor t, int64_t dim, tf_tensor index) {
  return guard_tensor([&] { return deref(t)->index_select(dim, *deref(index)); });
}

tf_tensor tf_cat(const tf_tensor* ts, int32_t n, int64_t dim) {
  return guard_tensor([&] { return at::cat(tensor_list(ts, n), dim); });
}

tf_tensor tf_stack(const tf_tensor* ts, int32_t n, int64_t dim) {
  return guard_tensor([&] { return at::stack(tensor_list(ts, n), dim); });
}

TF_UNARY(tf_contiguous, [](const at::Tensor& x) { return x.contiguous(); })

TF_BINARY_KERNEL(tf_add, add)
TF_BINARY_KERNEL(tf_sub, sub)
TF_BINARY_KERNEL(tf_mul, mul)
TF_BINARY_KERNEL(tf_div, div)
TF_BINARY_KERNEL(tf_pow, pow)
TF_BINARY_KERNEL(tf_eq, eq)
TF_BINARY_KERNEL(tf_gt, gt)
TF_BINARY_KERNEL(tf_lt, lt)
TF_BINARY(tf_matmul, at::matmul)

TF_SCALAR_KERNEL(tf_add_scalar, add, at::native::wrapped_scalar_tensor)
TF_SCALAR_KERNEL(tf_sub_scalar, sub, at::native::wrapped_scalar_tensor)
TF_SCALAR_KERNEL(tf_mul_scalar, mul, at::native::wrapped_scalar_tensor)
TF_SCALAR_KERNEL(tf_div_scalar, div, at::native::wrapped_scalar_tensor)
TF_SCALAR_KERNEL(tf_pow_scalar, pow, as_number)
TF_SCALAR_KERNEL(tf_eq_scalar, eq, as_number)
TF_SCALAR_KERNEL(tf_gt_scalar, gt, as_number)
TF_SCALAR_KERNEL(tf_lt_scalar, lt, as_number)

TF_UNARY_KERNEL(tf_neg, neg)
TF_UNARY_KERNEL(tf_exp, exp)
TF_UNARY_KERNEL(tf_log, log)
TF_UNARY_KERNEL(tf_sqrt, sqrt)
TF_UNARY(tf_abs, at::abs)
TF_UNARY_KERNEL(tf_relu, relu)
TF_UNARY_KERNEL(tf_sigmoid, sigmoid)
TF_UNARY_KERNEL(tf_tanh, tanh)
TF_UNARY(tf_clone, at::clone)
TF_UNARY(tf_detach, at::detach)

tf_tensor tf_clamp(tf_tensor t, double low, double high) {
  return guard_tensor([&] { return at::clamp(deref(t), js_scalar(low), js_scalar(high)); });
}

tf_tensor tf_softmax(tf_tensor t, int64_t dim) {
  return guard_tensor([&] { return at::softmax(deref(t), dim); });
}

tf_tensor tf_log_softmax(tf_tensor t, int64_t dim) {
  return guard_tensor([&] { return at::log_softmax(deref(t), dim); });
}

tf_tensor tf_to_dtype(tf_tensor t, int32_t dtype) {
  return guard_tensor([&] { return deref(t)->to(to_scalar_type(dtype)); });
}

tf_tensor tf_sum(tf_tensor t, const int64_t* dims, int32_t ndims, int32_t keepdim) {
  return guard_tensor([&] {
    return ndims == 0 ? at::sum(deref(t)) : at::sum(deref(t), int_list(dims, ndims), keepdim != 0);
  });
}

tf_tensor tf_mean(tf_tensor t, const int64_t* dims, int32_t ndims, int32_t keepdim) {
  return guard_tensor([&] {
    return ndims == 0 ? at::mean(deref(t)) : at::mean(deref(t), int_list(dims, ndims), keepdim != 0);
  });
}

tf_tensor tf_max(tf_tensor t, int64_t dim, int32_t has_dim, int32_t keepdim) {
  return guard_tensor([&] {
    return has_dim ? std::get<0>(at::max(deref(t), dim, keepdim != 0)) : at::max(deref(t));
  });
}

tf_tensor tf_min(tf_tensor t, int64_t dim, int32_t has_dim, int32_t keepdim) {
  return guard_tensor([&] {
    return has_dim ? std::get<0>(at::min(deref(t), dim, keepdim != 0)) : at::min(deref(t));
  });
}

tf_tensor tf_argmax(tf_tensor t, int64_t dim, int32_t has_dim, int32_t keepdim) {
  return guard_tensor([&] {
    return has_dim ? at::argmax(deref(t), dim, keepdim != 0) : at::argmax(deref(t));
  });
}

}  // extern "C"
