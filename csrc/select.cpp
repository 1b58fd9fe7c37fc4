// select.cpp: comparisons, choosing elements by condition or index (where,
// masked_fill, gather, scatter) and ordering (topk, sort, argmin, max/min with
// their indices). Ops with two results write both handles into an out buffer.
#include <tuple>

#include "internal.h"
#include "kernel_route.h"

using namespace torchffi;

namespace {

// A tensor argument that may be NULL, meaning "use the number instead".
bool given(tf_tensor t) { return t != nullptr; }

// The (values, indices) pair LibTorch returns, handed out as two handles.
int32_t write_pair(std::tuple<at::Tensor, at::Tensor>&& pair, tf_tensor* out) {
  wrap_all({std::move(std::get<0>(pair)), std::move(std::get<1>(pair))}, out);
  return 0;
}

}  // namespace

extern "C" {

TF_BINARY_KERNEL(tf_ge, ge)
TF_BINARY_KERNEL(tf_le, le)
TF_BINARY_KERNEL(tf_ne, ne)
TF_SCALAR_KERNEL(tf_ge_scalar, ge, as_number)
TF_SCALAR_KERNEL(tf_le_scalar, le, as_number)
TF_SCALAR_KERNEL(tf_ne_scalar, ne, as_number)

tf_tensor tf_where(tf_tensor cond, tf_tensor a, double a_value, tf_tensor b, double b_value) {
  return guard_tensor([&] {
    const BorrowedTensor c = deref(cond);
    if (given(a) && given(b)) return at::where(*c, *deref(a), *deref(b));
    if (given(a)) return at::where(*c, *deref(a), js_scalar(b_value));
    if (given(b)) return at::where(*c, js_scalar(a_value), *deref(b));
    return at::where(*c, js_scalar(a_value), js_scalar(b_value));
  });
}

tf_tensor tf_masked_fill(tf_tensor t, tf_tensor mask, tf_tensor value, double number) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t), m = deref(mask);
    return given(value) ? at::masked_fill(*x, *m, *deref(value)) : at::masked_fill(*x, *m, js_scalar(number));
  });
}

tf_tensor tf_gather(tf_tensor t, int64_t dim, tf_tensor index) {
  return guard_tensor([&] { return at::gather(deref(t), dim, deref(index)); });
}

tf_tensor tf_scatter(tf_tensor t, int64_t dim, tf_tensor index, tf_tensor src, double value) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t), i = deref(index);
    return given(src) ? at::scatter(*x, dim, *i, *deref(src)) : at::scatter(*x, dim, *i, js_scalar(value));
  });
}

tf_tensor tf_scatter_add(tf_tensor t, int64_t dim, tf_tensor index, tf_tensor src) {
  return guard_tensor([&] { return at::scatter_add(deref(t), dim, deref(index), deref(src)); });
}

int32_t tf_topk(tf_tensor t, int64_t k, int64_t dim, int32_t largest, int32_t sorted, tf_tensor* out) {
  return guard_status([&] { write_pair(at::topk(deref(t), k, dim, largest != 0, sorted != 0), out); });
}

int32_t tf_sort(tf_tensor t, int64_t dim, int32_t descending, int32_t stable, tf_tensor* out) {
  return guard_status([&] { write_pair(at::sort(deref(t), stable != 0, dim, descending != 0), out); });
}

tf_tensor tf_argsort(tf_tensor t, int64_t dim, int32_t descending, int32_t stable) {
  return guard_tensor([&] { return at::argsort(deref(t), stable != 0, dim, descending != 0); });
}

tf_tensor tf_argmin(tf_tensor t, int64_t dim, int32_t has_dim, int32_t keepdim) {
  return guard_tensor([&] {
    return has_dim ? at::argmin(deref(t), dim, keepdim != 0) : at::argmin(deref(t));
  });
}

int32_t tf_max_along(tf_tensor t, int64_t dim, int32_t keepdim, tf_tensor* out) {
  return guard_status([&] { write_pair(at::max(deref(t), dim, keepdim != 0), out); });
}

int32_t tf_min_along(tf_tensor t, int64_t dim, int32_t keepdim, tf_tensor* out) {
  return guard_status([&] { write_pair(at::min(deref(t), dim, keepdim != 0), out); });
}

}  // extern "C"
