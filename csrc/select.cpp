// select.cpp: comparisons, choosing elements by condition or index (where,
// masked_fill, gather, scatter) and ordering (topk, sort, argmin, max/min with
// their indices). Ops with two results write both handles into an out buffer.
// Ops with a CPU kernel of their own take the direct route of kernel_route.h
// when no input needs a gradient.
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
    if (given(a) && given(b)) {
      const BorrowedTensor x = deref(a), y = deref(b);
      return TF_ROUTE(all_plain_cpu(*c, *x, *y), where(*c, *x, *y));
    }
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
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t), i = deref(index);
    return TF_ROUTE(all_plain_cpu(*x, *i), gather(*x, dim, *i));
  });
}

tf_tensor tf_scatter(tf_tensor t, int64_t dim, tf_tensor index, tf_tensor src, double value) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t), i = deref(index);
    if (!given(src)) return TF_ROUTE(all_plain_cpu(*x, *i), scatter(*x, dim, *i, js_scalar(value)));
    const BorrowedTensor y = deref(src);
    return TF_ROUTE(all_plain_cpu(*x, *i, *y), scatter(*x, dim, *i, *y));
  });
}

tf_tensor tf_scatter_add(tf_tensor t, int64_t dim, tf_tensor index, tf_tensor src) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t), i = deref(index), y = deref(src);
    return TF_ROUTE(all_plain_cpu(*x, *i, *y), scatter_add(*x, dim, *i, *y));
  });
}

int32_t tf_topk(tf_tensor t, int64_t k, int64_t dim, int32_t largest, int32_t sorted, tf_tensor* out) {
  return guard_status([&] {
    const BorrowedTensor x = deref(t);
    write_pair(TF_ROUTE(all_plain_cpu(*x), topk(*x, k, dim, largest != 0, sorted != 0)), out);
  });
}

int32_t tf_sort(tf_tensor t, int64_t dim, int32_t descending, int32_t stable, tf_tensor* out) {
  return guard_status([&] {
    const BorrowedTensor x = deref(t);
    write_pair(TF_ROUTE(all_plain_cpu(*x), sort(*x, stable != 0, dim, descending != 0)), out);
  });
}

tf_tensor tf_argsort(tf_tensor t, int64_t dim, int32_t descending, int32_t stable) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    return TF_ROUTE(all_plain_cpu(*x), argsort(*x, stable != 0, dim, descending != 0));
  });
}

tf_tensor tf_argmin(tf_tensor t, int64_t dim, int32_t has_dim, int32_t keepdim) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    const auto along = has_dim ? c10::optional<int64_t>(dim) : c10::nullopt;
    return TF_ROUTE(all_plain_cpu(*x), argmin(*x, along, keepdim != 0));
  });
}

int32_t tf_max_along(tf_tensor t, int64_t dim, int32_t keepdim, tf_tensor* out) {
  return guard_status([&] {
    const BorrowedTensor x = deref(t);
    write_pair(TF_ROUTE(all_plain_cpu(*x), max(*x, dim, keepdim != 0)), out);
  });
}

int32_t tf_min_along(tf_tensor t, int64_t dim, int32_t keepdim, tf_tensor* out) {
  return guard_status([&] {
    const BorrowedTensor x = deref(t);
    write_pair(TF_ROUTE(all_plain_cpu(*x), min(*x, dim, keepdim != 0)), out);
  });
}

}  // extern "C"
