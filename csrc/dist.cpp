// dist.cpp: process groups over c10d's TCPStore and ProcessGroupGloo, the
// engine under torch.distributed, laid out so that Python ranks can join the
// same group (see DESIGN.md, "Facts checked here"). Every collective waits for
// its result here, so a failure (a peer gone, a timeout) surfaces as this
// call's error instead of an exception on one of Gloo's threads.
#include "internal.h"

#ifdef TORCHFFI_WITH_GLOO

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <array>
#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>
#include <vector>

using namespace torchffi;

namespace {

struct Group {
  c10::intrusive_ptr<c10d::Store> world_store;  // the "default_pg" view of the TCPStore
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
  int rank = 0;
  int size = 0;
  bool check = true;  // agree on every collective's layout first (see agree)
};

Group& deref_group(tf_group group) {
  TORCH_CHECK(group != nullptr, "this process group was destroyed");
  return *reinterpret_cast<Group*>(group);
}

// wait() rethrows whatever went wrong on Gloo's side; the usual cause is a
// rank that stopped, which Gloo's own message does not say.
void wait(const Group& group, const c10::intrusive_ptr<c10d::Work>& work) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    const auto* error = dynamic_cast<const c10::Error*>(&e);
    TORCH_CHECK(false, "rank ", group.rank, " of ", group.size, ": the collective failed (has another rank stopped or not called it?): ",
                error != nullptr ? error->what_without_backtrace() : e.what());
  }
}

// Python's init_process_group ends with this barrier on the store; a Python
// rank waits in it for every rank, so ours must take part the same way.
// What a collective is, as four non-negative numbers every rank must share.
using Signature = std::array<int64_t, 4>;

// Gloo aborts the whole process (on one of its own threads, out of reach of
// any catch) when ranks post buffers of different sizes. Exchanging a
// fixed-size signature first lets every rank see the same disagreement and
// fail with the same error instead. Python ranks do not take part in this
// exchange, so a group shared with them turns it off.
void agree(const Group& g, const Signature& mine, const std::string& what) {
  if (!g.check) return;
  const int64_t n = static_cast<int64_t>(mine.size());
  auto both = at::empty({2 * n}, at::kLong);
  auto* p = both.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; i++) {
    p[i] = mine[static_cast<size_t>(i)];
    p[n + i] = -mine[static_cast<size_t>(i)];
  }
  std::vector<at::Tensor> tensors{both};
  c10d::AllreduceOptions options;
  options.reduceOp = c10d::ReduceOp::MAX;
  wait(g, g.gloo->allreduce(tensors, options));
  for (int64_t i = 0; i < n; i++) {
    TORCH_CHECK(p[i] == -p[n + i], "rank ", g.rank, " of ", g.size, ": the ranks called different collectives or passed ", what,
                " that differ in shape or dtype; nothing was exchanged");
  }
}

// A hash of a sequence of numbers, kept non-negative so it can be negated.
int64_t layout_hash(const std::vector<int64_t>& values) {
  uint64_t h = 1469598103934665603ULL;
  for (auto v : values) {
    h ^= static_cast<uint64_t>(v);
    h *= 1099511628211ULL;
  }
  return static_cast<int64_t>(h & 0x3FFFFFFFFFFFFFFFULL);
}

Signature tensor_signature(int64_t kind, const at::Tensor& t) {
  std::vector<int64_t> shape(t.sizes().begin(), t.sizes().end());
  return {kind, static_cast<int64_t>(t.scalar_type()), t.numel(), layout_hash(shape)};
}

Signature list_signature(int64_t kind, const std::vector<at::Tensor>& tensors, int64_t extra) {
  std::vector<int64_t> layout;
  for (const auto& t : tensors) {
    layout.push_back(static_cast<int64_t>(t.scalar_type()));
    for (auto d : t.sizes()) layout.push_back(d);
    layout.push_back(-1);
  }
  return {kind, static_cast<int64_t>(tensors.size()), extra, layout_hash(layout)};
}

void store_based_barrier(c10d::Store& store, int size, std::chrono::milliseconds timeout) {
  const std::string key = "store_based_barrier_key:1";
  store.add(key, 1);
  const auto start = std::chrono::steady_clock::now();
  while (store.add(key, 0) != size) {
    TORCH_CHECK(std::chrono::steady_clock::now() - start < timeout, "timed out after ", timeout.count(),
                " ms waiting for all ", size, " ranks to join the process group");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool is_loopback(const std::string& address) {
  return address == "localhost" || address.rfind("127.", 0) == 0 || address == "::1";
}

// Which address Gloo listens on: the interface GLOO_SOCKET_IFNAME names (as in
// PyTorch), loopback when the master is on loopback, else the host's name.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& address) {
  const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
  if (interface != nullptr && interface[0] != '\0') return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  if (is_loopback(address)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

void check_src(const Group& group, int32_t src) {
  TORCH_CHECK(src >= 0 && src < group.size, "source rank ", src, " is not in this group of ", group.size, " ranks");
}

std::vector<at::Tensor> tensor_list(const tf_tensor* tensors, int32_t n) {
  TORCH_CHECK(n >= 0 && (n == 0 || tensors != nullptr), "bad tensor list");
  std::vector<at::Tensor> result;
  result.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; i++) {
    at::Tensor t = *deref(tensors[i]);
    TORCH_CHECK(t.device().is_cpu(), "process groups take CPU tensors");
    result.push_back(std::move(t));
  }
  return result;
}

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

// What torch.distributed's env:// rendezvous and init_process_group("gloo")
// build. Each stage gets only what is left of the timeout, so that joining
// fails within it however far it got.
Group* join_group(const std::string& address, int32_t port, int32_t rank, int32_t world_size, std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  const auto remaining = [&](const char* stage) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    TORCH_CHECK(left.count() > 0, "timed out ", stage);
    return left;
  };
  // A multi-tenant store served by rank 0.
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(port);
  options.isServer = rank == 0;
  options.numWorkers = static_cast<std::size_t>(world_size);
  options.waitWorkers = true;
  options.timeout = timeout;
  options.multiTenant = true;
  auto tcp = c10::make_intrusive<c10d::TCPStore>(std::string(address), options);
  // Rank 0's store waits for the others until they are all there or the
  // timeout passes, and then returns either way: only the clock tells.
  TORCH_CHECK(rank != 0 || clock::now() < deadline, "not all ", world_size, " ranks reached the store");
  auto group = std::make_unique<Group>();
  group->world_store = c10::make_intrusive<c10d::PrefixStore>("default_pg", tcp);
  // Collectives get the whole timeout; the rendezvous below only what is left.
  auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout);
  gloo_options->devices.push_back(gloo_device(address));
  tcp->setTimeout(remaining("before Gloo's rendezvous"));
  // The first group's name is "0" in Python, and its keys live under that prefix.
  auto group_store = c10::make_intrusive<c10d::PrefixStore>("0", group->world_store);
  group->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(group_store, rank, world_size, gloo_options);
  store_based_barrier(*group->world_store, world_size, remaining("waiting for every rank to join"));
  // Python ranks wait for rank 0 to publish the group's sequence number.
  tcp->setTimeout(remaining("agreeing on the group's sequence number"));
  group->gloo->setSequenceNumberForGroup();
  tcp->setTimeout(timeout);
  group->rank = rank;
  group->size = world_size;
  return group.release();
}

}  // namespace

extern "C" {

int32_t tf_dist_available(void) { return 1; }

tf_group tf_dist_init(const char* address, int32_t port, int32_t rank, int32_t world_size, int64_t timeout_ms,
                      int32_t check) {
  Group* result = nullptr;
  run_guarded([&] {
    TORCH_CHECK(address != nullptr && address[0] != '\0', "the master address is empty");
    TORCH_CHECK(port > 0 && port < 65536, "the master port must be in 1..65535, got ", port);
    TORCH_CHECK(world_size > 0, "the world size must be a positive integer, got ", world_size);
    TORCH_CHECK(rank >= 0 && rank < world_size, "rank ", rank, " is not in 0..", world_size - 1);
    // c10d's store counts whole seconds when it connects: less fails at once.
    TORCH_CHECK(timeout_ms >= 1000, "the timeout must be at least 1000 ms, got ", timeout_ms, " ms");
    const std::chrono::milliseconds timeout(timeout_ms);
    try {
      result = join_group(address, port, rank, world_size, timeout);
      result->check = check != 0;
    } catch (const c10::Error& e) {
      TORCH_CHECK(false, "rank ", rank, " of ", world_size, " could not join the process group at ", address, ":", port,
                  " (rank 0 serves it) within ", timeout_ms, " ms: ", e.what_without_backtrace());
    } catch (const std::exception& e) {
      TORCH_CHECK(false, "rank ", rank, " of ", world_size, " could not join the process group at ", address, ":", port,
                  " (rank 0 serves it) within ", timeout_ms, " ms: ", e.what());
    }
  });
  return reinterpret_cast<tf_group>(result);
}

void tf_dist_free(tf_group group) {
  run_guarded([&] { delete reinterpret_cast<Group*>(group); });
}

tf_tensor tf_dist_all_reduce(tf_group group, tf_tensor t, int32_t op) {
  return guard_tensor([&] {
    auto& g = deref_group(group);
    const auto input_borrow = deref(t);
    const at::Tensor& input = *input_borrow;
    TORCH_CHECK(input.device().is_cpu(), "process groups take CPU tensors");
    agree(g, tensor_signature(10 + op, input), "tensors");
    c10d::AllreduceOptions options;
    switch (op) {
      case 0: options.reduceOp = c10d::ReduceOp::SUM; break;
      case 1:
        TORCH_CHECK(at::isFloatingType(input.scalar_type()), "a mean needs a floating-point tensor, got ", input.scalar_type());
        options.reduceOp = c10d::ReduceOp::SUM;
        break;
      case 2: options.reduceOp = c10d::ReduceOp::MAX; break;
      case 3: options.reduceOp = c10d::ReduceOp::MIN; break;
      default: TORCH_CHECK(false, "unknown reduction code ", op);
    }
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> tensors{input.detach().clone(at::MemoryFormat::Contiguous)};
    wait(g, g.gloo->allreduce(tensors, options));
    if (op == 1) tensors[0].div_(g.size);
    return tensors[0];
  });
}

int32_t tf_dist_broadcast(tf_group group, tf_tensor t, int32_t src) {
  return guard_status([&] {
    auto& g = deref_group(group);
    check_src(g, src);
    const auto target_borrow = deref(t);
    const at::Tensor& target = *target_borrow;
    TORCH_CHECK(target.device().is_cpu(), "process groups take CPU tensors");
    agree(g, tensor_signature(100 + src, target), "tensors");
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> tensors{target.detach().contiguous()};
    c10d::BroadcastOptions options;
    options.rootRank = src;
    wait(g, g.gloo->broadcast(tensors, options));
    if (!tensors[0].is_same(target)) target.detach().copy_(tensors[0]);
  });
}

int32_t tf_dist_barrier(tf_group group) {
  return guard_status([&] {
    auto& g = deref_group(group);
    wait(g, g.gloo->barrier());
  });
}

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
      std::vector<at::Tensor> bucket{flat};
      wait(g, g.gloo->allreduce(bucket));
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
      std::vector<at::Tensor> bucket{at::from_blob(values, {n_values}, at::kDouble).clone()};
      wait(g, g.gloo->allreduce(bucket));
      bucket[0].div_(g.size);
      std::copy(bucket[0].data_ptr<double>(), bucket[0].data_ptr<double>() + n_values, values);
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
      std::vector<at::Tensor> bucket{at::cat(parts)};
      c10d::BroadcastOptions options;
      options.rootRank = src;
      wait(g, g.gloo->broadcast(bucket, options));
      int64_t offset = 0;
      for (auto i : members) {
        const int64_t numel = targets[i].numel();
        targets[i].detach().copy_(bucket[0].narrow(0, offset, numel).view(targets[i].sizes()));
        offset += numel;
      }
    }
  });
}

}  // extern "C"

#else  // built without Gloo's headers

namespace {
constexpr const char* kMissing =
    "this libtorchffi was built without distributed support: install Debian's libgloo-dev and rebuild it";
}

using namespace torchffi;

extern "C" {
int32_t tf_dist_available(void) { return 0; }
tf_group tf_dist_init(const char*, int32_t, int32_t, int32_t, int64_t, int32_t) {
  set_last_error(kMissing);
  return nullptr;
}
void tf_dist_free(tf_group) {}
tf_tensor tf_dist_all_reduce(tf_group, tf_tensor, int32_t) {
  set_last_error(kMissing);
  return nullptr;
}
int32_t tf_dist_broadcast(tf_group, tf_tensor, int32_t) {
  set_last_error(kMissing);
  return 1;
}
int32_t tf_dist_barrier(tf_group) {
  set_last_error(kMissing);
  return 1;
}
int32_t tf_dist_average_gradients(tf_group, const tf_tensor*, int32_t, double*, int32_t) {
  set_last_error(kMissing);
  return 1;
}
int32_t tf_dist_broadcast_tensors(tf_group, const tf_tensor*, int32_t, int32_t) {
  set_last_error(kMissing);
  return 1;
}
}  // extern "C"

#endif
