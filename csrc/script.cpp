// script.cpp: TorchScript modules (torch::jit::load) behind opaque handles:
// forward, modes, named tensors, save, and forward calls packaged as jobs
// that run on another thread so JavaScript's event loop stays free.
#include <torch/script.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "internal.h"

using namespace torchffi;

namespace {

using Module = torch::jit::Module;

Module& deref_module(tf_module module) {
  TORCH_CHECK(module != nullptr, "null module handle");
  return *reinterpret_cast<Module*>(module);
}

std::string checked_path(const char* path) {
  TORCH_CHECK(path != nullptr && path[0] != '\0', "empty path");
  return std::string(path);
}

// Named tensors of one kind, in PyTorch's order (recursive, prefixed names).
std::vector<std::pair<std::string, at::Tensor>> named(Module& module, int32_t kind) {
  std::vector<std::pair<std::string, at::Tensor>> result;
  if (kind == 0) {
    for (const auto& item : module.named_parameters(/*recurse=*/true)) result.emplace_back(item.name, item.value);
  } else if (kind == 1) {
    for (const auto& item : module.named_buffers(/*recurse=*/true)) result.emplace_back(item.name, item.value);
  } else {
    TORCH_CHECK(false, "unknown tensor kind ", kind, " (0 parameters, 1 buffers)");
  }
  return result;
}

std::vector<c10::IValue> input_list(const tf_tensor* inputs, int32_t n) {
  TORCH_CHECK(n >= 0 && (n == 0 || inputs != nullptr), "bad input list");
  std::vector<c10::IValue> values;
  values.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; i++) values.emplace_back(at::Tensor(*deref(inputs[i])));
  return values;
}

// A result of forward, flattened depth-first into tensors.
void flatten(const c10::IValue& value, std::vector<at::Tensor>& out) {
  if (value.isTensor()) {
    out.push_back(value.toTensor());
  } else if (value.isTuple()) {
    for (const auto& element : value.toTupleRef().elements()) flatten(element, out);
  } else if (value.isList()) {
    for (const auto& element : value.toListRef()) flatten(element, out);
  } else {
    TORCH_CHECK(false, "forward returned a ", value.tagKind(), "; only tensors and tuples or lists of tensors are supported");
  }
}

// Hands the outputs to the caller as new handles, all or none.
int32_t hand_out(const std::vector<at::Tensor>& tensors, bool is_tuple, tf_tensor* outputs, int32_t cap, int32_t* tuple_flag) {
  TORCH_CHECK(outputs != nullptr && tuple_flag != nullptr, "null output buffer");
  TORCH_CHECK(static_cast<int64_t>(tensors.size()) <= cap, "forward returned ", tensors.size(), " tensors, more than the ", cap,
              " supported");
  for (const auto& t : tensors) TORCH_CHECK(t.defined(), "forward returned an undefined tensor");
  for (size_t i = 0; i < tensors.size(); i++) outputs[i] = wrap(at::Tensor(tensors[i]));
  *tuple_flag = is_tuple ? 1 : 0;
  return static_cast<int32_t>(tensors.size());
}

struct JobState {
  Module module;
  std::vector<c10::IValue> inputs;
  std::vector<at::Tensor> outputs;
  bool is_tuple = false;
  std::string error;
  std::atomic<bool> done{false};
  std::atomic<bool> started{false};

  void run() noexcept {
    try {
      // Inference only: no autograd history is recorded off the JavaScript thread.
      at::NoGradGuard no_grad;
      auto result = module.forward(inputs);
      is_tuple = !result.isTensor();
      flatten(result, outputs);
    } catch (const c10::Error& e) {
      error = e.what_without_backtrace();
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "unknown C++ exception";
    }
    inputs.clear();
    done.store(true, std::memory_order_release);
  }
};

using Job = std::shared_ptr<JobState>;

Job& deref_job(tf_job job) {
  TORCH_CHECK(job != nullptr, "null job handle");
  return *reinterpret_cast<Job*>(job);
}

}  // namespace

extern "C" {

tf_module tf_script_load(const char* path) {
  Module* result = nullptr;
  run_guarded([&] { result = new Module(torch::jit::load(checked_path(path), c10::Device(c10::kCPU))); });
  return reinterpret_cast<tf_module>(result);
}

void tf_script_free(tf_module module) { delete reinterpret_cast<Module*>(module); }

int32_t tf_script_save(tf_module module, const char* path) {
  return guard_status([&] { deref_module(module).save(checked_path(path)); });
}

int32_t tf_script_train(tf_module module, int32_t on) {
  return guard_status([&] { deref_module(module).train(on != 0); });
}

int32_t tf_script_named(tf_module module, int32_t kind, tf_tensor* out, int32_t cap, char* names, int64_t names_cap,
                        int64_t* sizes) {
  int32_t status = 1;
  guard_status([&] {
    TORCH_CHECK(sizes != nullptr, "null sizes buffer");
    const auto all = named(deref_module(module), kind);
    int64_t bytes = 0;
    for (const auto& item : all) bytes += static_cast<int64_t>(item.first.size()) + 1;
    sizes[0] = static_cast<int64_t>(all.size());
    sizes[1] = bytes;
    if (sizes[0] > cap || bytes > names_cap) {
      status = 2;
      return;
    }
    TORCH_CHECK(all.empty() || (out != nullptr && names != nullptr), "null output buffer");
    for (const auto& item : all) {
      std::memcpy(names, item.first.c_str(), item.first.size() + 1);
      names += item.first.size() + 1;
    }
    for (size_t i = 0; i < all.size(); i++) out[i] = wrap(at::Tensor(all[i].second));
    status = 0;
  });
  return status;
}

int32_t tf_script_forward(tf_module module, const tf_tensor* inputs, int32_t n, tf_tensor* outputs, int32_t cap,
                          int32_t* is_tuple) {
  int32_t count = -1;
  guard_status([&] {
    auto result = deref_module(module).forward(input_list(inputs, n));
    std::vector<at::Tensor> tensors;
    flatten(result, tensors);
    count = hand_out(tensors, !result.isTensor(), outputs, cap, is_tuple);
  });
  return count;
}

tf_job tf_script_job(tf_module module, const tf_tensor* inputs, int32_t n) {
  Job* result = nullptr;
  run_guarded([&] {
    auto state = std::make_shared<JobState>();
    state->module = deref_module(module);  // shares the module: disposing the handle cannot pull it away
    state->inputs = input_list(inputs, n);
    result = new Job(std::move(state));
  });
  return reinterpret_cast<tf_job>(result);
}

int32_t tf_job_run(tf_job job) {
  // No thread-local error here: Deno may run this on a thread of its own. The job keeps it.
  if (job == nullptr) return 1;
  auto state = *reinterpret_cast<Job*>(job);
  if (state->started.exchange(true)) return 1;
  state->run();
  return state->error.empty() ? 0 : 1;
}

int32_t tf_job_start(tf_job job) {
  return guard_status([&] {
    Job state = deref_job(job);
    TORCH_CHECK(!state->started.exchange(true), "the job was already started");
    try {
      std::thread([state] { state->run(); }).detach();
    } catch (...) {
      // No thread to be had: leave the job unstarted so the caller can run it itself.
      state->started.store(false);
      throw;
    }
  });
}

int32_t tf_job_done(tf_job job) {
  if (job == nullptr) return -1;
  return (*reinterpret_cast<Job*>(job))->done.load(std::memory_order_acquire) ? 1 : 0;
}

int32_t tf_job_result(tf_job job, tf_tensor* outputs, int32_t cap, int32_t* is_tuple) {
  int32_t count = -1;
  guard_status([&] {
    auto& state = deref_job(job);
    TORCH_CHECK(state->done.load(std::memory_order_acquire), "the job has not finished");
    TORCH_CHECK(state->error.empty(), state->error);
    count = hand_out(state->outputs, state->is_tuple, outputs, cap, is_tuple);
    state->outputs.clear();
  });
  return count;
}

void tf_job_free(tf_job job) { delete reinterpret_cast<Job*>(job); }

}  // extern "C"
