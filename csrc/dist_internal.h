// dist_internal.h: what the parts of the process-group code share (dist.cpp:
// joining and single-tensor collectives; dist_buckets.cpp: whole Memories;
// dist_sync.cpp: the synchronous Gloo context). Not part of the ABI.
#pragma once

#include "internal.h"

// What every tf_dist_* call says when the shim was built without Gloo.
#define TORCHFFI_DIST_MISSING \
  "this libtorchffi was built without distributed support: install Debian's libgloo-dev and rebuild it"

#ifdef TORCHFFI_WITH_GLOO

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace torchffi::dist {

// A Gloo context whose connections are read and written by the calling
// thread (see dist_sync.cpp for why). Tensors are flat and contiguous and
// change in place; false, with nothing sent, for a dtype it does not take.
class SyncContext {
 public:
  SyncContext(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
              const std::shared_ptr<::gloo::transport::Device>& device, std::chrono::milliseconds timeout);
  bool all_reduce(at::Tensor& flat, c10d::ReduceOp::RedOpType op);
  bool broadcast(at::Tensor& flat, int root);
  void barrier();

 private:
  std::shared_ptr<::gloo::Context> context_;
};

struct Group {
  c10::intrusive_ptr<c10d::Store> world_store;  // the "default_pg" view of the TCPStore
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
  // Only in groups that check collectives, which Python ranks cannot join;
  // when present every collective goes through it.
  std::unique_ptr<SyncContext> sync;
  int rank = 0;
  int size = 0;
  bool check = true;  // agree on every collective's layout first (see agree)
};

inline Group& deref_group(tf_group group) {
  TORCH_CHECK(group != nullptr, "this process group was destroyed");
  return *reinterpret_cast<Group*>(group);
}

// A collective's failure, rethrown saying what Gloo's own message does not:
// the usual cause is a rank that stopped.
[[noreturn]] void collective_failed(const Group& group, const std::exception& e);

// Waits for work queued on ProcessGroupGloo's threads; rethrows its failure.
inline void wait(const Group& group, const c10::intrusive_ptr<c10d::Work>& work) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    collective_failed(group, e);
  }
}

// The collectives, in place on a flat contiguous tensor, through the group's
// synchronous context when it has one and ProcessGroupGloo otherwise.
void all_reduce(const Group& group, at::Tensor& flat, c10d::ReduceOp::RedOpType op);
void broadcast(const Group& group, at::Tensor& flat, int root);
void barrier(const Group& group);

// What a collective is, as four non-negative numbers every rank must share.
using Signature = std::array<int64_t, 4>;

// Gloo aborts the whole process (on one of its own threads, out of reach of
// any catch) when ranks post buffers of different sizes. Exchanging a
// fixed-size signature first lets every rank see the same disagreement and
// fail with the same error instead. Python ranks do not take part in this
// exchange, so a group shared with them turns it off.
void agree(const Group& g, const Signature& mine, const std::string& what);
// The signatures of a collective over one tensor and over a list of them.
Signature tensor_signature(int64_t kind, const at::Tensor& t);
Signature list_signature(int64_t kind, const std::vector<at::Tensor>& tensors, int64_t extra);

void check_src(const Group& group, int32_t src);
// The tensors behind a list of handles (CPU only).
std::vector<at::Tensor> tensor_list(const tf_tensor* tensors, int32_t n);

}  // namespace torchffi::dist

#endif
