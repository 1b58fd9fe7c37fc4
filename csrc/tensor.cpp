// tensor.cpp: creation, copying data in and out, metadata and freeing.
#include <dlfcn.h>
#include <malloc.h>

#include <algorithm>
#include <climits>

#include <cstring>
#include <mutex>
#include <vector>

#include <ATen/Parallel.h>

#include <c10/util/Logging.h>

#include "internal.h"

namespace torchffi {

namespace {
std::mutex counters_mutex;
// Every thread's counter, never freed: a thread may exit while handles it
// made are still alive (or were freed elsewhere), and its share must stay in the sum.
std::vector<HandleCounter*> counters;

HandleCounter* register_counter() {
  auto* counter = new HandleCounter();
  std::lock_guard<std::mutex> lock(counters_mutex);
  counters.push_back(counter);
  return counter;
}
}  // namespace

HandleCounter& this_thread_counter() {
  thread_local HandleCounter* counter = register_counter();
  return *counter;
}

int64_t live_handle_total() {
  std::lock_guard<std::mutex> lock(counters_mutex);
  int64_t total = 0;
  for (const auto* counter : counters) total += counter->value.load(std::memory_order_relaxed);
  return total;
}

namespace {
thread_local std::string last_error;

// Every c10::Error records a C++ backtrace when it is built (milliseconds of
// symbolizing), and the ABI drops it anyway: messages cross without one. So
// the library is loaded with backtrace collection switched off.
const bool backtraces_off = [] {
  c10::SetStackTraceFetcher([] { return std::string(); });
  return true;
}();
}  // namespace

void set_last_error(const char* message) {
  // Assigning may itself throw bad_alloc; losing the message beats aborting.
  try {
    last_error = message;
  } catch (...) {
  }
}

at::ScalarType to_scalar_type(int32_t code) {
  switch (code) {
    case 0: return at::kFloat;
    case 1: return at::kDouble;
    case 2: return at::kLong;
    case 3: return at::kInt;
    case 4: return at::kByte;
    case 5: return at::kBool;
  }
  TORCH_CHECK(false, "unknown dtype code ", code);
}

int32_t to_code(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return 0;
    case at::kDouble: return 1;
    case at::kLong: return 2;
    case at::kInt: return 3;
    case at::kByte: return 4;
    case at::kBool: return 5;
    default: TORCH_CHECK(false, "dtype ", type, " is not supported by torchffi");
  }
}

namespace {

// A shape from the caller, refused if any size is negative.
at::IntArrayRef checked_shape(const int64_t* shape, int32_t ndim) {
  auto sizes = int_list(shape, ndim);
  for (int64_t size : sizes) {
    TORCH_CHECK(size >= 0, "negative dimension ", size, " in shape ", sizes);
  }
  return sizes;
}

at::TensorOptions options(int32_t dtype) { return at::TensorOptions().dtype(to_scalar_type(dtype)); }

}  // namespace
}  // namespace torchffi

using namespace torchffi;

extern "C" {

int32_t tf_last_error(char* buf, int32_t cap) {
  const auto length = static_cast<int32_t>(last_error.size());
  if (buf != nullptr && cap > 0) {
    const int32_t n = length < cap - 1 ? length : cap - 1;
    std::memcpy(buf, last_error.data(), static_cast<size_t>(n));
    buf[n] = '\0';
  }
  return length;
}

int64_t tf_live_tensors(void) { return live_handle_total(); }

void tf_free(tf_tensor t) {
  if (t == nullptr) return;
  // Reclaiming the handle's reference and dropping it at once releases the tensor.
  ImplPtr::reclaim(reinterpret_cast<at::TensorImpl*>(t));
  count_handles(-1);
}

void tf_free_many(const tf_tensor* ts, int32_t n) {
  if (ts == nullptr) return;
  for (int32_t i = 0; i < n; ++i) tf_free(ts[i]);
}

tf_tensor tf_from_data(const void* data, int64_t nbytes, const int64_t* shape, int32_t ndim, int32_t dtype) {
  return guard_tensor([&] {
    const auto sizes = checked_shape(shape, ndim);
    auto result = at::empty(sizes, options(dtype));
    const int64_t expected = result.numel() * static_cast<int64_t>(result.element_size());
    TORCH_CHECK(nbytes == expected, "data holds ", nbytes, " bytes but shape ", sizes, " needs ", expected);
    if (expected > 0) {
      TORCH_CHECK(data != nullptr, "null data pointer");
      std::memcpy(result.data_ptr(), data, static_cast<size_t>(expected));
    }
    return result;
  });
}

int32_t tf_copy_out(tf_tensor t, int32_t dtype, void* out, int64_t nbytes) {
  return guard_status([&] {
    auto source = deref(t)->detach().to(to_scalar_type(dtype)).contiguous();
    const int64_t expected = source.numel() * static_cast<int64_t>(source.element_size());
    TORCH_CHECK(nbytes == expected, "output buffer holds ", nbytes, " bytes but the tensor needs ", expected);
    if (expected > 0) {
      TORCH_CHECK(out != nullptr, "null output pointer");
      std::memcpy(out, source.data_ptr(), static_cast<size_t>(expected));
    }
  });
}

int32_t tf_meta(tf_tensor t, int64_t* out, int32_t cap) {
  return guard_status([&] {
    const auto tensor_borrow = deref(t);
    const at::Tensor& tensor = *tensor_borrow;
    const int64_t ndim = tensor.dim();
    TORCH_CHECK(out != nullptr && cap >= 3, "metadata buffer too small");
    out[0] = to_code(tensor.scalar_type());
    out[1] = ndim;
    out[2] = tensor.requires_grad() ? 1 : 0;
    TORCH_CHECK(cap >= 3 + ndim, "metadata buffer too small for ", ndim, " dims");
    for (int64_t i = 0; i < ndim; ++i) out[3 + i] = tensor.size(i);
  });
}

int32_t tf_item(tf_tensor t, double* out) {
  return guard_status([&] {
    const auto tensor_borrow = deref(t);
    const at::Tensor& tensor = *tensor_borrow;
    TORCH_CHECK(tensor.numel() == 1, "a Tensor with ", tensor.numel(),
                " elements cannot be converted to a number (item() needs exactly one)");
    *out = tensor.item<double>();
  });
}

tf_tensor tf_zeros(const int64_t* shape, int32_t ndim, int32_t dtype) {
  return guard_tensor([&] { return at::zeros(checked_shape(shape, ndim), options(dtype)); });
}

tf_tensor tf_ones(const int64_t* shape, int32_t ndim, int32_t dtype) {
  return guard_tensor([&] { return at::ones(checked_shape(shape, ndim), options(dtype)); });
}

tf_tensor tf_full(const int64_t* shape, int32_t ndim, double value, int32_t dtype) {
  return guard_tensor([&] { return at::full(checked_shape(shape, ndim), js_scalar(value), options(dtype)); });
}

tf_tensor tf_rand(const int64_t* shape, int32_t ndim, int32_t dtype) {
  return guard_tensor([&] { return at::rand(checked_shape(shape, ndim), options(dtype)); });
}

tf_tensor tf_randn(const int64_t* shape, int32_t ndim, int32_t dtype) {
  return guard_tensor([&] { return at::randn(checked_shape(shape, ndim), options(dtype)); });
}

tf_tensor tf_arange(double start, double end, double step, int32_t dtype) {
  return guard_tensor([&] { return at::arange(js_scalar(start), js_scalar(end), js_scalar(step), options(dtype)); });
}

int32_t tf_manual_seed(int64_t seed) {
  return guard_status([&] { at::manual_seed(static_cast<uint64_t>(seed)); });
}

tf_tensor tf_uniform(const int64_t* shape, int32_t ndim, double low, double high, int32_t dtype) {
  return guard_tensor([&] { return at::empty(checked_shape(shape, ndim), options(dtype)).uniform_(low, high); });
}

// LibTorch's thread setting does not reach OpenBLAS, whose own threads then
// compete with ours on small matrices; set both so "n threads" means n.
void set_blas_threads(int32_t n) {
  for (const char* name : {"libopenblas.so.0", "libblas.so.3"}) {
    void* library = dlopen(name, RTLD_LAZY | RTLD_NOLOAD);
    if (library == nullptr) continue;
    using SetThreads = void (*)(int);
    auto set = reinterpret_cast<SetThreads>(dlsym(library, "openblas_set_num_threads"));
    if (set != nullptr) set(n);
    dlclose(library);
    if (set != nullptr) return;
  }
}

int32_t tf_set_num_threads(int32_t n) {
  return guard_status([&] {
    TORCH_CHECK(n >= 1, "the number of threads must be at least 1, got ", n);
    at::set_num_threads(n);
    set_blas_threads(n);
  });
}

int32_t tf_get_num_threads(void) { return at::get_num_threads(); }

int32_t tf_tune_allocator(int64_t mmap_threshold, int64_t trim_threshold) {
  return guard_status([&] {
    TORCH_CHECK(mmap_threshold > 0 && trim_threshold > 0, "allocator thresholds must be positive");
    TORCH_CHECK(mallopt(M_MMAP_THRESHOLD, static_cast<int>(std::min<int64_t>(mmap_threshold, INT32_MAX))) == 1,
                "malloc refused an mmap threshold of ", mmap_threshold, " bytes");
    TORCH_CHECK(mallopt(M_TRIM_THRESHOLD, static_cast<int>(std::min<int64_t>(trim_threshold, INT32_MAX))) == 1,
                "malloc refused a trim threshold of ", trim_threshold, " bytes");
  });
}

tf_tensor tf_randperm(int64_t n) {
  return guard_tensor([&] { return at::randperm(n, at::TensorOptions().dtype(at::kLong)); });
}

}  // extern "C"
