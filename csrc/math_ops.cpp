// math_ops.cpp: more maths (activations, rounding, cumulative ops, norms and
// statistics, einsum, pooling) and more ways to create tensors.
#include <string>
#include <vector>

#include "internal.h"
#include "kernel_route.h"

using namespace torchffi;

namespace {

std::vector<at::Tensor> operands(const tf_tensor* ts, int32_t n) {
  TORCH_CHECK(n > 0, "expected at least one tensor");
  TORCH_CHECK(ts != nullptr, "null tensor list");
  std::vector<at::Tensor> list;
  list.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) list.push_back(*deref(ts[i]));
  return list;
}

// No dims means every element, as in PyTorch's std() and var() without a dim.
at::OptionalIntArrayRef optional_dims(const int64_t* dims, int32_t ndims) {
  if (ndims == 0) return c10::nullopt;
  return int_list(dims, ndims);
}

at::TensorOptions dtype_options(int32_t dtype) { return at::TensorOptions().dtype(to_scalar_type(dtype)); }

// A dtype code for a *_like function, where -1 keeps the input's dtype.
at::TensorOptions like_options(const at::Tensor& t, int32_t dtype) {
  return at::TensorOptions().dtype(dtype < 0 ? t.scalar_type() : to_scalar_type(dtype));
}

c10::string_view gelu_approximation(int32_t code) {
  TORCH_CHECK(code == 0 || code == 1, "unknown gelu approximation code ", code);
  return code == 0 ? "none" : "tanh";
}

}  // namespace

extern "C" {

TF_UNARY_KERNEL(tf_silu, silu)
TF_UNARY_KERNEL(tf_sin, sin)
TF_UNARY_KERNEL(tf_cos, cos)
TF_UNARY_KERNEL(tf_floor, floor)
TF_UNARY_KERNEL(tf_ceil, ceil)
TF_UNARY_KERNEL(tf_round, round)
TF_UNARY_KERNEL(tf_sign, sign)
TF_UNARY_KERNEL(tf_reciprocal, reciprocal)
TF_UNARY_KERNEL(tf_rsqrt, rsqrt)
TF_BINARY_KERNEL(tf_minimum, minimum)
TF_BINARY_KERNEL(tf_maximum, maximum)

tf_tensor tf_gelu(tf_tensor t, int32_t approximate) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    const auto mode = gelu_approximation(approximate);
    if (!plain_cpu(*x)) return at::gelu(*x, mode);
    // gelu's CPU kernel hands float tensors to oneDNN, which asserts that the
    // autograd keys are switched off, as the dispatcher's autograd layer leaves them.
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    return at::cpu::gelu(*x, mode);
  });
}

tf_tensor tf_leaky_relu(tf_tensor t, double slope) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    return plain_cpu(*x) ? at::cpu::leaky_relu(*x, slope) : at::leaky_relu(*x, slope);
  });
}

tf_tensor tf_softplus(tf_tensor t, double beta, double threshold) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    return plain_cpu(*x) ? at::cpu::softplus(*x, beta, threshold) : at::softplus(*x, beta, threshold);
  });
}

tf_tensor tf_bmm(tf_tensor a, tf_tensor b) {
  return guard_tensor([&] { return at::bmm(deref(a), deref(b)); });
}

tf_tensor tf_einsum(const char* equation, int32_t length, const tf_tensor* ts, int32_t n) {
  return guard_tensor([&] {
    TORCH_CHECK(length >= 0 && (length == 0 || equation != nullptr), "null or negative-length equation");
    return at::einsum(c10::string_view(equation, static_cast<size_t>(length)), operands(ts, n));
  });
}

tf_tensor tf_cumsum(tf_tensor t, int64_t dim) {
  return guard_tensor([&] { return at::cumsum(deref(t), dim); });
}

tf_tensor tf_cumprod(tf_tensor t, int64_t dim) {
  return guard_tensor([&] { return at::cumprod(deref(t), dim); });
}

tf_tensor tf_prod(tf_tensor t, int64_t dim, int32_t has_dim, int32_t keepdim) {
  return guard_tensor([&] { return has_dim ? at::prod(deref(t), dim, keepdim != 0) : at::prod(deref(t)); });
}

tf_tensor tf_std(tf_tensor t, const int64_t* dims, int32_t ndims, int32_t unbiased, int32_t keepdim) {
  return guard_tensor([&] { return at::std(deref(t), optional_dims(dims, ndims), unbiased != 0, keepdim != 0); });
}

tf_tensor tf_var(tf_tensor t, const int64_t* dims, int32_t ndims, int32_t unbiased, int32_t keepdim) {
  return guard_tensor([&] { return at::var(deref(t), optional_dims(dims, ndims), unbiased != 0, keepdim != 0); });
}

tf_tensor tf_norm(tf_tensor t, double p, const int64_t* dims, int32_t ndims, int32_t keepdim) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    // torch.norm(x, p) without a dim passes every dim, so the same kernel runs.
    std::vector<int64_t> every(static_cast<size_t>(x->dim()));
    for (size_t i = 0; i < every.size(); ++i) every[i] = static_cast<int64_t>(i);
    const at::IntArrayRef over = ndims == 0 ? at::IntArrayRef(every) : int_list(dims, ndims);
    return at::norm(*x, at::Scalar(p), over, keepdim != 0);
  });
}

tf_tensor tf_logsumexp(tf_tensor t, const int64_t* dims, int32_t ndims, int32_t keepdim) {
  return guard_tensor([&] { return at::logsumexp(deref(t), int_list(dims, ndims), keepdim != 0); });
}

tf_tensor tf_avg_pool2d(tf_tensor input, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                        int64_t padding_h, int64_t padding_w, int32_t ceil_mode, int32_t count_include_pad) {
  return guard_tensor([&] {
    return at::avg_pool2d(deref(input), {kernel_h, kernel_w}, {stride_h, stride_w}, {padding_h, padding_w}, ceil_mode != 0,
                          count_include_pad != 0);
  });
}

tf_tensor tf_adaptive_avg_pool2d(tf_tensor input, int64_t height, int64_t width) {
  return guard_tensor([&] { return at::adaptive_avg_pool2d(deref(input), {height, width}); });
}

tf_tensor tf_eye(int64_t n, int64_t m, int32_t dtype) {
  return guard_tensor([&] { return at::eye(n, m, dtype_options(dtype)); });
}

tf_tensor tf_linspace(double start, double end, int64_t steps, int32_t dtype) {
  return guard_tensor([&] { return at::linspace(js_scalar(start), js_scalar(end), steps, dtype_options(dtype)); });
}

tf_tensor tf_zeros_like(tf_tensor t, int32_t dtype) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    return at::zeros_like(*x, like_options(*x, dtype));
  });
}

tf_tensor tf_ones_like(tf_tensor t, int32_t dtype) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    return at::ones_like(*x, like_options(*x, dtype));
  });
}

tf_tensor tf_rand_like(tf_tensor t, int32_t dtype) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    return at::rand_like(*x, like_options(*x, dtype));
  });
}

tf_tensor tf_randn_like(tf_tensor t, int32_t dtype) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    return at::randn_like(*x, like_options(*x, dtype));
  });
}

tf_tensor tf_randint(int64_t low, int64_t high, const int64_t* shape, int32_t ndim, int32_t dtype) {
  return guard_tensor([&] {
    const auto sizes = int_list(shape, ndim);
    for (int64_t size : sizes) TORCH_CHECK(size >= 0, "negative dimension ", size, " in shape ", sizes);
    return at::randint(low, high, sizes, dtype_options(dtype));
  });
}

}  // extern "C"
