// dist.cpp: process groups over c10d's TCPStore and ProcessGroupGloo, the
// engine under torch.distributed, laid out so that Python ranks can join the
// same group (see DESIGN.md, "Facts checked here"). Every collective waits for
// its result here, so a failure (a peer gone, a timeout) surfaces as this
// call's error instead of an exception on one of Gloo's threads.
#include "dist_internal.h"

#ifdef TORCHFFI_WITH_GLOO

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <cstdlib>
#include <thread>

using namespace torchffi;
using namespace torchffi::dist;

namespace torchffi::dist {

void collective_failed(const Group& group, const std::exception& e) {
  const auto* error = dynamic_cast<const c10::Error*>(&e);
  TORCH_CHECK(false, "rank ", group.rank, " of ", group.size, ": the collective failed (has another rank stopped or not called it?): ",
              error != nullptr ? error->what_without_backtrace() : e.what());
}

namespace {

// Runs `collective` on the group's synchronous context; false when the group
// has none or the context does not take the tensor, for ProcessGroupGloo to do it.
template <typename Collective>
bool on_sync_context(const Group& group, Collective&& collective) {
  if (!group.sync) return false;
  try {
    return collective(*group.sync);
  } catch (const std::exception& e) {
    collective_failed(group, e);
  }
}

}  // namespace

void all_reduce(const Group& group, at::Tensor& flat, c10d::ReduceOp::RedOpType op) {
  if (on_sync_context(group, [&](SyncContext& sync) { return sync.all_reduce(flat, op); })) return;
  std::vector<at::Tensor> tensors{flat};
  c10d::AllreduceOptions options;
  options.reduceOp = op;
  wait(group, group.gloo->allreduce(tensors, options));
}

void broadcast(const Group& group, at::Tensor& flat, int root) {
  if (on_sync_context(group, [&](SyncContext& sync) { return sync.broadcast(flat, root); })) return;
  std::vector<at::Tensor> tensors{flat};
  c10d::BroadcastOptions options;
  options.rootRank = root;
  wait(group, group.gloo->broadcast(tensors, options));
}

void barrier(const Group& group) {
  const auto done = on_sync_context(group, [](SyncContext& sync) {
    sync.barrier();
    return true;
  });
  if (!done) wait(group, group.gloo->barrier());
}

void agree(const Group& g, const Signature& mine, const std::string& what) {
  if (!g.check) return;
  const int64_t n = static_cast<int64_t>(mine.size());
  auto both = at::empty({2 * n}, at::kLong);
  auto* p = both.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; i++) {
    p[i] = mine[static_cast<size_t>(i)];
    p[n + i] = -mine[static_cast<size_t>(i)];
  }
  all_reduce(g, both, c10d::ReduceOp::MAX);
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

}  // namespace torchffi::dist

namespace {

// Python's init_process_group ends with this barrier on the store; a Python
// rank waits in it for every rank, so ours must take part the same way.
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

// What torch.distributed's env:// rendezvous and init_process_group("gloo")
// build. Each stage gets only what is left of the timeout, so that joining
// fails within it however far it got.
Group* join_group(const std::string& address, int32_t port, int32_t rank, int32_t world_size, std::chrono::milliseconds timeout,
                  bool check) {
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
  const auto device = gloo_device(address);
  gloo_options->devices.push_back(device);
  tcp->setTimeout(remaining("before Gloo's rendezvous"));
  // The first group's name is "0" in Python, and its keys live under that prefix.
  auto group_store = c10::make_intrusive<c10d::PrefixStore>("0", group->world_store);
  group->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(group_store, rank, world_size, gloo_options);
  store_based_barrier(*group->world_store, world_size, remaining("waiting for every rank to join"));
  // Python ranks wait for rank 0 to publish the group's sequence number.
  tcp->setTimeout(remaining("agreeing on the group's sequence number"));
  group->gloo->setSequenceNumberForGroup();
  if (check) {
    tcp->setTimeout(remaining("connecting the ranks' synchronous channel"));
    try {
      group->sync = std::make_unique<SyncContext>(group->world_store, rank, world_size, device, timeout);
    } catch (const std::exception& e) {
      const auto* error = dynamic_cast<const c10::Error*>(&e);
      TORCH_CHECK(false, "not every rank opened torchffi's channel for checked collectives (is a PyTorch rank in the group? ",
                  "then pass checkCollectives: false on the torchffi ranks): ", error != nullptr ? error->what_without_backtrace() : e.what());
    }
  }
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
      result = join_group(address, port, rank, world_size, timeout, check != 0);
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
    c10d::ReduceOp::RedOpType reduction = c10d::ReduceOp::SUM;
    switch (op) {
      case 0: break;
      case 1:
        TORCH_CHECK(at::isFloatingType(input.scalar_type()), "a mean needs a floating-point tensor, got ", input.scalar_type());
        break;
      case 2: reduction = c10d::ReduceOp::MAX; break;
      case 3: reduction = c10d::ReduceOp::MIN; break;
      default: TORCH_CHECK(false, "unknown reduction code ", op);
    }
    at::NoGradGuard no_grad;
    auto result = input.detach().clone(at::MemoryFormat::Contiguous);
    all_reduce(g, result, reduction);
    if (op == 1) result.div_(g.size);
    return result;
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
    auto flat = target.detach().contiguous();
    broadcast(g, flat, src);
    if (!flat.is_same(target)) target.detach().copy_(flat);
  });
}

int32_t tf_dist_barrier(tf_group group) {
  return guard_status([&] {
    barrier(deref_group(group));
  });
}

}  // extern "C"

#else  // built without Gloo's headers

using namespace torchffi;

extern "C" {
int32_t tf_dist_available(void) { return 0; }
tf_group tf_dist_init(const char*, int32_t, int32_t, int32_t, int64_t, int32_t) {
  set_last_error(TORCHFFI_DIST_MISSING);
  return nullptr;
}
void tf_dist_free(tf_group) {}
tf_tensor tf_dist_all_reduce(tf_group, tf_tensor, int32_t) {
  set_last_error(TORCHFFI_DIST_MISSING);
  return nullptr;
}
int32_t tf_dist_broadcast(tf_group, tf_tensor, int32_t) {
  set_last_error(TORCHFFI_DIST_MISSING);
  return 1;
}
int32_t tf_dist_barrier(tf_group) {
  set_last_error(TORCHFFI_DIST_MISSING);
  return 1;
}
}  // extern "C"

#endif
