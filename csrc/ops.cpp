// ops.cpp: shape changes, indexing, elementwise math, reductions.
#include <vector>

#include "internal.h"
#include "kernel_route.h"

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

}  // namespace

// One line per op: the guard plus the LibTorch call it wraps.
#define TF_UNARY(name, expr) \
  tf_tensor name(tf_tensor t) { return guard_tensor([&] { return expr(deref(t)); }); }
#define TF_BINARY(name, expr) \
  tf_tensor name(tf_tensor a, tf_tensor b) { return guard_tensor([&] { return expr(deref(a), deref(b)); }); }

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
