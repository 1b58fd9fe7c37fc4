// internal.h: what every source file of the shim shares: the handle type, the
// live-handle counter, dtype codes and the guards that keep C++ exceptions on
// this side of the ABI.
#pragma once

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <atomic>
#include <string>
#include <vector>

#include "torchffi.h"

namespace torchffi {

// The live-handle count, kept per thread so that making and freeing a handle
// costs no locked instruction; a handle made on one thread may be freed on
// another, so only the sum over all threads (live_handle_total) means anything.
struct HandleCounter {
  std::atomic<int64_t> value{0};
};
HandleCounter& this_thread_counter();
int64_t live_handle_total();

inline void count_handles(int64_t delta) {
  auto& value = this_thread_counter().value;
  // Only this thread writes its counter; readers may see a slightly old value.
  value.store(value.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}

// Stores the failure message for this thread; tf_last_error() copies it out.
void set_last_error(const char* message);

using ImplPtr = c10::intrusive_ptr<at::TensorImpl, at::UndefinedTensorImpl>;

// A handle is a TensorImpl* that owns one reference. BorrowedTensor lends it
// out as an at::Tensor for the length of a call without touching the
// reference count (the same borrow PyTorch's MaybeOwned<Tensor> performs).
class BorrowedTensor {
 public:
  explicit BorrowedTensor(tf_tensor t) : tensor_(adopt(t)) {}
  ~BorrowedTensor() { tensor_.unsafeReleaseTensorImpl(); }
  BorrowedTensor(const BorrowedTensor&) = delete;
  BorrowedTensor& operator=(const BorrowedTensor&) = delete;

  const at::Tensor& operator*() const { return tensor_; }
  const at::Tensor* operator->() const { return &tensor_; }
  operator const at::Tensor&() const { return tensor_; }

 private:
  static at::Tensor adopt(tf_tensor t) {
    TORCH_CHECK(t != nullptr, "null tensor handle");
    return at::Tensor(ImplPtr::reclaim(reinterpret_cast<at::TensorImpl*>(t)));
  }
  at::Tensor tensor_;
};

inline BorrowedTensor deref(tf_tensor t) { return BorrowedTensor(t); }

// Hands the reference held by value to a new handle.
inline tf_tensor wrap(at::Tensor&& value) {
  TORCH_CHECK(value.defined(), "internal error: an operation returned an undefined tensor");
  count_handles(1);
  return reinterpret_cast<tf_tensor>(value.unsafeReleaseTensorImpl());
}

// Hands each tensor of a multi-result op to a new handle in out[0..n): all or
// nothing, so a failure never leaves some of the handles made.
inline void wrap_all(std::vector<at::Tensor>&& values, tf_tensor* out) {
  TORCH_CHECK(out != nullptr, "null output buffer");
  for (const auto& value : values) {
    TORCH_CHECK(value.defined(), "internal error: an operation returned an undefined tensor");
  }
  for (size_t i = 0; i < values.size(); ++i) out[i] = wrap(std::move(values[i]));
}

at::ScalarType to_scalar_type(int32_t code);
int32_t to_code(at::ScalarType type);

inline at::IntArrayRef int_list(const int64_t* values, int32_t length) {
  TORCH_CHECK(length >= 0, "negative list length ", length);
  TORCH_CHECK(length == 0 || values != nullptr, "null list pointer");
  return at::IntArrayRef(values, static_cast<size_t>(length));
}

// A number from JavaScript acts like a Python scalar: integral values stay
// integers so `int_tensor + 2` keeps its dtype, others promote to floating point.
inline at::Scalar js_scalar(double value) {
  if (value == static_cast<double>(static_cast<int64_t>(value)) && value > -9.2e18 && value < 9.2e18) {
    return at::Scalar(static_cast<int64_t>(value));
  }
  return at::Scalar(value);
}

// Runs body, turning any exception into this thread's error message; returns
// whether it succeeded. Every entry point goes through here.
template <typename Body>
bool run_guarded(Body&& body) noexcept {
  try {
    body();
    return true;
  } catch (const c10::Error& e) {
    set_last_error(e.what_without_backtrace());
  } catch (const std::exception& e) {
    set_last_error(e.what());
  } catch (...) {
    set_last_error("unknown C++ exception");
  }
  return false;
}

// For entry points that make a tensor: its new handle, or NULL on failure.
template <typename Body>
tf_tensor guard_tensor(Body&& body) noexcept {
  tf_tensor result = nullptr;
  run_guarded([&] { result = wrap(body()); });
  return result;
}

// For everything else: status 0 on success, 1 on failure.
template <typename Body>
int32_t guard_status(Body&& body) noexcept {
  return run_guarded(body) ? 0 : 1;
}

}  // namespace torchffi
