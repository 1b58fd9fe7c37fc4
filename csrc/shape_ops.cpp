// shape_ops.cpp: slicing with a step, broadcasting views (expand), tiling
// (repeat), cutting into pieces (split, chunk), reordering (flip, roll) and
// triangles (tril, triu). split and chunk hand out every piece in one call.
// The copying ops take the direct route of kernel_route.h when they can; the
// views (slice, expand, split, chunk) only make metadata and have no CPU kernel.
#include <algorithm>
#include <limits>
#include <vector>

#include "internal.h"
#include "kernel_route.h"

using namespace torchffi;

namespace {

// Writes the pieces into out when they fit in cap and returns how many there
// are; a caller whose buffer was too small learns the count and asks again.
int64_t write_pieces(std::vector<at::Tensor>&& pieces, tf_tensor* out, int32_t cap) {
  const auto count = static_cast<int64_t>(pieces.size());
  if (count <= cap) wrap_all(std::move(pieces), out);
  return count;
}

// The number of pieces at::split and at::chunk will make, counted before any is
// made (-1 where LibTorch will refuse the call with its own message): cutting
// an empty dim into 2^31 chunks, or a broadcast view of 2^40 entries into
// single ones, would make more tensors than memory holds, in PyTorch as here.
bool cuttable(const at::Tensor& x, int64_t dim) { return x.dim() > 0 && dim >= -x.dim() && dim < x.dim(); }

int64_t split_count(const at::Tensor& x, int64_t split_size, int64_t dim) {
  if (!cuttable(x, dim) || split_size <= 0) return -1;
  const int64_t size = x.size(dim);
  return size == 0 ? 1 : size / split_size + (size % split_size != 0);
}

int64_t chunk_count(const at::Tensor& x, int64_t chunks, int64_t dim) {
  if (!cuttable(x, dim) || chunks <= 0) return -1;
  const int64_t size = x.size(dim);
  if (size == 0) return chunks;
  return split_count(x, size / chunks + (size % chunks != 0), dim);
}

// For entry points that return a count: the count, or -1 on failure.
template <typename Body>
int64_t guard_count(Body&& body) noexcept {
  int64_t count = -1;
  run_guarded([&] { count = body(); });
  return count;
}

}  // namespace

extern "C" {

tf_tensor tf_slice(tf_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step) {
  return guard_tensor([&] { return at::slice(deref(t), dim, start, end, step); });
}

tf_tensor tf_expand(tf_tensor t, const int64_t* shape, int32_t ndim) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    const auto sizes = int_list(shape, ndim);
    // LibTorch 1.13 lets some negative sizes through (a view of shape
    // [0, -1, -5] from a 0-dim tensor): -1 may only keep an existing size.
    const int64_t lead = static_cast<int64_t>(sizes.size()) - x->dim();
    for (int64_t i = 0; i < static_cast<int64_t>(sizes.size()); ++i) {
      TORCH_CHECK(sizes[i] >= 0 || (sizes[i] == -1 && i >= lead), "The expanded size of the tensor (", sizes[i],
                  ") isn't allowed", i < lead ? " in a leading, non-existing dimension " : " at dimension ", i);
    }
    return x->expand(sizes);
  });
}

tf_tensor tf_expand_as(tf_tensor t, tf_tensor other) {
  return guard_tensor([&] { return deref(t)->expand_as(*deref(other)); });
}

tf_tensor tf_repeat(tf_tensor t, const int64_t* reps, int32_t n) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    const auto repeats = int_list(reps, n);
    // LibTorch multiplies each size by its count unchecked; a product past
    // int64 would wrap around into a wrong (possibly small) size.
    const auto sizes = x->sizes();
    const size_t lead = repeats.size() - std::min(repeats.size(), sizes.size());
    for (size_t i = lead; repeats.size() >= sizes.size() && i < repeats.size(); ++i) {
      const int64_t size = sizes[i - lead], count = repeats[i];
      TORCH_CHECK(count < 0 || size == 0 || count <= std::numeric_limits<int64_t>::max() / size,
                  "repeat: ", size, " x ", count, " elements along dim ", i, " overflow int64");
    }
    return x->repeat(repeats);
  });
}

int64_t tf_split(tf_tensor t, const int64_t* sizes, int32_t nsizes, int32_t with_sizes, int64_t dim, tf_tensor* out, int32_t cap) {
  return guard_count([&]() -> int64_t {
    TORCH_CHECK(cap >= 0, "negative output capacity ", cap);
    const BorrowedTensor x = deref(t);
    if (with_sizes) {
      if (nsizes > cap) return nsizes;
      return write_pieces(at::split_with_sizes(*x, int_list(sizes, nsizes), dim), out, cap);
    }
    TORCH_CHECK(nsizes == 1 && sizes != nullptr, "expected one split size");
    const int64_t count = split_count(*x, sizes[0], dim);
    if (count > cap) return count;
    return write_pieces(at::split(*x, sizes[0], dim), out, cap);
  });
}

int64_t tf_chunk(tf_tensor t, int64_t chunks, int64_t dim, tf_tensor* out, int32_t cap) {
  return guard_count([&]() -> int64_t {
    TORCH_CHECK(cap >= 0, "negative output capacity ", cap);
    const BorrowedTensor x = deref(t);
    const int64_t count = chunk_count(*x, chunks, dim);
    if (count > cap) return count;
    return write_pieces(at::chunk(*x, chunks, dim), out, cap);
  });
}

tf_tensor tf_flip(tf_tensor t, const int64_t* dims, int32_t ndims) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    return TF_ROUTE(all_plain_cpu(*x), flip(*x, int_list(dims, ndims)));
  });
}

tf_tensor tf_roll(tf_tensor t, const int64_t* shifts, int32_t nshifts, const int64_t* dims, int32_t ndims) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    return TF_ROUTE(all_plain_cpu(*x), roll(*x, int_list(shifts, nshifts), int_list(dims, ndims)));
  });
}

tf_tensor tf_tril(tf_tensor t, int64_t k) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    return TF_ROUTE(all_plain_cpu(*x), tril(*x, k));
  });
}

tf_tensor tf_triu(tf_tensor t, int64_t k) {
  return guard_tensor([&] {
    const BorrowedTensor x = deref(t);
    return TF_ROUTE(all_plain_cpu(*x), triu(*x, k));
  });
}

}  // extern "C"
