// dist_buckets.cpp: the two collectives over a whole Memory that training
// needs, each one C call: gradients averaged and parameters broadcast in a few
// large flat buckets (as DistributedDataParallel does), not one collective per
// tensor.
#include "dist_internal.h"

#ifdef TORCHFFI_WITH_GLOO

#include <map>

using namespace torchffi;
using namespace torchffi::dist;

namespace {

// Up to this many bytes go into one collective, as DistributedDataParallel's
// default bucket size (25 MiB).
constexpr int64_t kBucketBytes = 25 << 20;

// Groups tensor indices into buckets of one dtype each, in order.
std::vector<std::vector<size_t>> buckets_of(const std::vector<at::Tensor>& tensors) {
  std::vector<std::vector<size_t>> buckets;
  std::map<at::ScalarType, size_t> open;  // dtype -> index of its bucket being filled
  std::map<at::ScalarType, int64_t> bytes;
  for (size_t i = 0; i < tensors.size(); i++) {
    const auto type = tensors[i].scalar_type();
    const int64_t size = tensors[i].numel() * static_cast<int64_t>(tensors[i].element_size());
    auto found = open.find(type);
    if (found == open.end() || bytes[type] + size > kBucketBytes) {
      open[type] = buckets.size();
      bytes[type] = 0;
      buckets.emplace_back();
    }
    buckets[open[type]].push_back(i);
    bytes[type] += size;
  }
  return buckets;
}

}  // namespace

extern "C" {

int32_t tf_dist_average_gradients(tf_group group, const tf_tensor* params, int32_t n, double* values, int32_t n_values) {
  return guard_status([&] {
    auto& g = deref_group(group);
    TORCH_CHECK(n_values >= 0 && (n_values == 0 || values != nullptr), "bad list of values");
    std::vector<at::Tensor> trainable;
    for (auto& p : tensor_list(params, n)) {
      if (p.requires_grad()) trainable.push_back(p);
    }
    agree(g, list_signature(3, trainable, n_values), "Memories");
    at::NoGradGuard no_grad;
    // Every rank builds the same layout from its parameters alone: each
    // bucket holds its tensors' gradients (zeros where a rank has none) and
    // then one flag per tensor counting the ranks that had one. A tensor no
    // rank has a gradient for keeps none, as in DistributedDataParallel.
    auto buckets = buckets_of(trainable);
    for (size_t b = 0; b < buckets.size(); b++) {
      const auto& members = buckets[b];
      const auto options = trainable[members[0]].options().requires_grad(false);
      int64_t total = 0;
      for (auto i : members) total += trainable[i].numel();
      // The values ride along in the first bucket, in float64 when it is float64.
      const bool carries_values = b == 0 && n_values > 0;
      auto flat = at::zeros({total + static_cast<int64_t>(members.size()) + (carries_values ? n_values : 0)}, options);
      int64_t offset = 0;
      for (size_t k = 0; k < members.size(); k++) {
        const auto& grad = trainable[members[k]].grad();
        const int64_t numel = trainable[members[k]].numel();
        if (grad.defined()) {
          TORCH_CHECK(grad.sizes() == trainable[members[k]].sizes(), "a gradient's shape differs from its tensor's");
          flat.narrow(0, offset, numel).copy_(grad.reshape({-1}));
          flat[total + static_cast<int64_t>(k)] = 1;
        }
        offset += numel;
      }
      if (carries_values) {
        auto extra = flat.narrow(0, total + static_cast<int64_t>(members.size()), n_values);
        extra.copy_(at::from_blob(values, {n_values}, at::kDouble));
      }
      all_reduce(g, flat, c10d::ReduceOp::SUM);
      flat.div_(g.size);
      const auto flags = flat.narrow(0, total, static_cast<int64_t>(members.size())).to(at::kDouble).contiguous();
      offset = 0;
      for (size_t k = 0; k < members.size(); k++) {
        auto& param = trainable[members[k]];
        const int64_t numel = param.numel();
        if (flags.data_ptr<double>()[k] > 0) {
          auto averaged = flat.narrow(0, offset, numel).view(param.sizes());
          auto& grad = param.mutable_grad();
          if (grad.defined()) {
            grad.copy_(averaged);
          } else {
            grad = averaged.clone();
          }
        }
        offset += numel;
      }
      if (carries_values) {
        auto extra = flat.narrow(0, total + static_cast<int64_t>(members.size()), n_values).to(at::kDouble).contiguous();
        std::copy(extra.data_ptr<double>(), extra.data_ptr<double>() + n_values, values);
      }
    }
    if (buckets.empty() && n_values > 0) {
      auto bucket = at::from_blob(values, {n_values}, at::kDouble).clone();
      all_reduce(g, bucket, c10d::ReduceOp::SUM);
      bucket.div_(g.size);
      std::copy(bucket.data_ptr<double>(), bucket.data_ptr<double>() + n_values, values);
    }
  });
}

int32_t tf_dist_broadcast_tensors(tf_group group, const tf_tensor* tensors, int32_t n, int32_t src) {
  return guard_status([&] {
    auto& g = deref_group(group);
    check_src(g, src);
    auto targets = tensor_list(tensors, n);
    agree(g, list_signature(200 + src, targets, 0), "Memories");
    at::NoGradGuard no_grad;
    for (const auto& members : buckets_of(targets)) {
      std::vector<at::Tensor> parts;
      for (auto i : members) parts.push_back(targets[i].detach().reshape({-1}));
      auto bucket = at::cat(parts);
      broadcast(g, bucket, src);
      int64_t offset = 0;
      for (auto i : members) {
        const int64_t numel = targets[i].numel();
        targets[i].detach().copy_(bucket.narrow(0, offset, numel).view(targets[i].sizes()));
        offset += numel;
      }
    }
  });
}

}  // extern "C"

#else  // built without Gloo's headers

using namespace torchffi;

extern "C" {
int32_t tf_dist_average_gradients(tf_group, const tf_tensor*, int32_t, double*, int32_t) {
  set_last_error(TORCHFFI_DIST_MISSING);
  return 1;
}
int32_t tf_dist_broadcast_tensors(tf_group, const tf_tensor*, int32_t, int32_t) {
  set_last_error(TORCHFFI_DIST_MISSING);
  return 1;
}
}  // extern "C"

#endif
