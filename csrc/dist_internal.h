// dist_internal.h: what the two halves of the process-group code share
// (dist.cpp: joining and single-tensor collectives; dist_buckets.cpp: whole
// Memories). Not part of the ABI.
#pragma once

#include "internal.h"

// What every tf_dist_* call says when the shim was built without Gloo.
#define TORCHFFI_DIST_MISSING \
  "this libtorchffi was built without distributed support: install Debian's libgloo-dev and rebuild it"

#ifdef TORCHFFI_WITH_GLOO

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include <array>
#include <string>
#include <vector>

namespace torchffi::dist {

struct Group {
  c10::intrusive_ptr<c10d::Store> world_store;  // the "default_pg" view of the TCPStore
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
  int rank = 0;
  int size = 0;
  bool check = true;  // agree on every collective's layout first (see agree)
};

inline Group& deref_group(tf_group group) {
  TORCH_CHECK(group != nullptr, "this process group was destroyed");
  return *reinterpret_cast<Group*>(group);
}

// wait() rethrows whatever went wrong on Gloo's side; the usual cause is a
// rank that stopped, which Gloo's own message does not say.
inline void wait(const Group& group, const c10::intrusive_ptr<c10d::Work>& work) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    const auto* error = dynamic_cast<const c10::Error*>(&e);
    TORCH_CHECK(false, "rank ", group.rank, " of ", group.size, ": the collective failed (has another rank stopped or not called it?): ",
                error != nullptr ? error->what_without_backtrace() : e.what());
  }
}

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
