// dist_sync.cpp: the process group's second Gloo context, whose connections
// run in Gloo's synchronous mode. Why it exists (measured on 2 cores, two
// ranks, a 100 KB gradient bucket): ProcessGroupGloo hands each collective to
// a worker thread, and Gloo's event-loop thread reads the socket; the loop
// retries a busy pair lock by spinning on epoll, so whenever the cores are
// taken (by the other rank's training, or by these four helper threads
// themselves) the lock holder waits for the next scheduler tick. Collectives
// that take 0.25 ms on an idle machine then take 4 to 8 ms. In synchronous
// mode the calling thread writes and reads the socket itself: no helper
// thread, no spinning, and a step of 2-rank training costs about one round
// trip more than the computation.
//
// Only Gloo's algorithms run here (ring all-reduce, one-to-all broadcast,
// all-to-all barrier) on a context rendezvoused through the same TCPStore.
// Python ranks do not join this context, so it exists only in groups of
// torchffi ranks (those that agree on every collective's layout first).
#include "dist_internal.h"

#ifdef TORCHFFI_WITH_GLOO

#include <gloo/allreduce_ring.h>
#include <gloo/allreduce_ring_chunked.h>
#include <gloo/barrier_all_to_all.h>
#include <gloo/broadcast_one_to_all.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/transport/tcp/address.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace torchffi::dist {

namespace {

// A synchronous send blocks until the kernel has taken every byte, and in a
// ring every rank sends before it receives: each message must fit in the
// socket buffers or two ranks would wait on each other forever. Gloo sizes
// the send buffer to the message, and Linux grants at least 208 KiB unless
// net.core.wmem_max was lowered, so larger tensors go in pieces of this size.
constexpr int64_t kPieceBytes = 128 << 10;

bool same_endpoint(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
    return x.sin6_port == y.sin6_port && std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;
}

// A synchronous read without a receive timeout would wait forever for a rank
// that is alive but never calls the collective; with one, Gloo reports "Read
// timeout" after the group's timeout, as the threaded path does. Gloo keeps
// its sockets to itself, so each is found among this process's sockets by
// its two ends: the pair's own listening address (the side that accepted)
// or the peer's (the side that connected), which the ranks swap through the
// store.
void set_socket_timeouts(gloo::rendezvous::Context& context, gloo::rendezvous::Store& store, std::chrono::milliseconds timeout) {
  const int rank = context.rank, size = context.size;
  std::vector<char> mine(sizeof(sockaddr_storage) * static_cast<size_t>(size), 0);
  for (int peer = 0; peer < size; peer++) {
    if (peer == rank) continue;
    const auto& address = dynamic_cast<const gloo::transport::tcp::Address&>(context.getPair(peer)->address());
    std::memcpy(mine.data() + sizeof(sockaddr_storage) * static_cast<size_t>(peer), &address.getSockaddr(), sizeof(sockaddr_storage));
  }
  store.set("addresses/" + std::to_string(rank), mine);
  std::vector<sockaddr_storage> own(static_cast<size_t>(size)), theirs(static_cast<size_t>(size));
  for (int peer = 0; peer < size; peer++) {
    if (peer == rank) continue;
    const std::string key = "addresses/" + std::to_string(peer);
    store.wait({key}, timeout);
    const auto listing = store.get(key);
    TORCH_CHECK(listing.size() == mine.size(), "rank ", peer, " published a malformed address list");
    std::memcpy(&theirs[static_cast<size_t>(peer)], listing.data() + sizeof(sockaddr_storage) * static_cast<size_t>(rank), sizeof(sockaddr_storage));
    std::memcpy(&own[static_cast<size_t>(peer)], mine.data() + sizeof(sockaddr_storage) * static_cast<size_t>(peer), sizeof(sockaddr_storage));
  }
  timeval limit{};
  limit.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  limit.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  int found = 0;
  DIR* listing = opendir("/proc/self/fd");
  TORCH_CHECK(listing != nullptr, "cannot list this process's sockets (/proc/self/fd)");
  while (const dirent* entry = readdir(listing)) {
    const int fd = std::atoi(entry->d_name);
    struct stat info {};
    if (entry->d_name[0] == '.' || fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) continue;
    sockaddr_storage local{}, remote{};
    socklen_t local_size = sizeof(local), remote_size = sizeof(remote);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0 ||
        getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &remote_size) != 0) {
      continue;
    }
    for (int peer = 0; peer < size; peer++) {
      if (peer == rank) continue;
      if (same_endpoint(local, own[static_cast<size_t>(peer)]) || same_endpoint(remote, theirs[static_cast<size_t>(peer)])) {
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)) == 0 &&
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit)) == 0) {
          found++;
        }
        break;
      }
    }
  }
  closedir(listing);
  TORCH_CHECK(found == size - 1, "found ", found, " of the ", size - 1, " connections to the other ranks");
}

template <typename T>
const gloo::ReductionFunction<T>* reduction(c10d::ReduceOp::RedOpType op) {
  switch (op) {
    case c10d::ReduceOp::SUM: return gloo::ReductionFunction<T>::sum;
    case c10d::ReduceOp::MAX: return gloo::ReductionFunction<T>::max;
    case c10d::ReduceOp::MIN: return gloo::ReductionFunction<T>::min;
    default: TORCH_CHECK(false, "this reduction is not available");
  }
}

template <typename T>
struct Type {
  using type = T;
};

// Calls fn(Type<T>{}) with the element type of the tensor, for the types this
// context takes; false, calling nothing, for the others.
template <typename Fn>
bool with_element_type(at::ScalarType type, Fn&& fn) {
  switch (type) {
    case at::kFloat: fn(Type<float>{}); return true;
    case at::kDouble: fn(Type<double>{}); return true;
    case at::kLong: fn(Type<int64_t>{}); return true;
    case at::kInt: fn(Type<int32_t>{}); return true;
    default: return false;
  }
}

// Calls fn(start, count) for each piece of at most kPieceBytes of `flat`, in order.
template <typename T, typename Fn>
void in_pieces(at::Tensor& flat, Fn&& fn) {
  TORCH_INTERNAL_ASSERT(flat.is_contiguous());
  const int64_t per_piece = std::max<int64_t>(1, kPieceBytes / static_cast<int64_t>(sizeof(T)));
  T* data = flat.data_ptr<T>();
  for (int64_t start = 0; start < flat.numel(); start += per_piece) fn(data + start, std::min(per_piece, flat.numel() - start));
}

}  // namespace

SyncContext::SyncContext(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                         const std::shared_ptr<gloo::transport::Device>& device, std::chrono::milliseconds timeout) {
  c10d::ProcessGroupGloo::GlooStore gloo_store(store);
  gloo::rendezvous::PrefixStore prefixed("torchffi_sync", gloo_store);
  auto context = std::make_shared<gloo::rendezvous::Context>(rank, size);
  context->setTimeout(timeout);
  auto shared_device = device;  // connectFullMesh takes a non-const reference
  context->connectFullMesh(prefixed, shared_device);
  for (int peer = 0; peer < size; peer++) {
    if (peer != rank) context->getPair(peer)->setSync(true, false);
  }
  set_socket_timeouts(*context, prefixed, timeout);
  context_ = std::move(context);
}

bool SyncContext::all_reduce(at::Tensor& flat, c10d::ReduceOp::RedOpType op) {
  return with_element_type(flat.scalar_type(), [&](auto type) {
    using T = typename decltype(type)::type;
    in_pieces<T>(flat, [&](T* start, int64_t count) {
      std::vector<T*> pointers{start};
      // Every rank must end with the same bits. The plain ring sums in a
      // different order on each rank, which is the same result only for two
      // (a + b == b + a); the chunked ring reduces each chunk once and passes
      // the result on, at the price of more, smaller messages.
      if (context_->size == 2) {
        gloo::AllreduceRing<T>(context_, pointers, static_cast<int>(count), reduction<T>(op)).run();
      } else {
        gloo::AllreduceRingChunked<T>(context_, pointers, static_cast<int>(count), reduction<T>(op)).run();
      }
    });
  });
}

bool SyncContext::broadcast(at::Tensor& flat, int root) {
  return with_element_type(flat.scalar_type(), [&](auto type) {
    using T = typename decltype(type)::type;
    in_pieces<T>(flat, [&](T* start, int64_t count) {
      std::vector<T*> pointers{start};
      gloo::BroadcastOneToAll<T>(context_, pointers, static_cast<size_t>(count), root).run();
    });
  });
}

void SyncContext::barrier() { gloo::BarrierAllToAll(context_).run(); }

}  // namespace torchffi::dist

#endif
