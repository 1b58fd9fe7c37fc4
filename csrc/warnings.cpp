// warnings.cpp: LibTorch's warnings (TORCH_WARN) kept per thread for the
// caller to report, instead of glog lines printed over the caller's output.
#include <cstring>
#include <deque>
#include <mutex>
#include <string>

#include "internal.h"

#ifdef C10_USE_GLOG
#include <glog/logging.h>
#endif

namespace {

// A caller that never drains would otherwise grow this without bound; the
// oldest messages are the ones worth keeping (later ones tend to repeat them).
constexpr size_t kMaxKept = 64;

struct ThreadWarnings {
  // Read by the caller after each call (through tf_warnings_init's pointer),
  // so that checking for warnings costs no call across the boundary.
  int32_t pending = 0;
  std::deque<std::string> messages;
};

thread_local ThreadWarnings warnings;

class RecordingHandler : public c10::WarningHandler {
 public:
  void process(const c10::SourceLocation&, const std::string& message, const bool) override {
    // Runs inside an op: losing a warning beats failing the op over it.
    try {
      if (warnings.messages.size() < kMaxKept) warnings.messages.push_back(message);
      warnings.pending = static_cast<int32_t>(warnings.messages.size());
    } catch (...) {
    }
  }
};

RecordingHandler handler;
std::once_flag glog_once;

// Anything logged through glog before InitGoogleLogging is printed raw with a
// "Logging before InitGoogleLogging()" banner. Initialised here, glog keeps
// its default of showing only errors on stderr, and writes no log files.
void quiet_glog() {
#ifdef C10_USE_GLOG
  if (google::IsGoogleLoggingInitialized()) return;
  FLAGS_logtostderr = false;
  for (int severity = 0; severity < google::NUM_SEVERITIES; ++severity) google::SetLogDestination(severity, "");
  google::InitGoogleLogging("torchffi");
#endif
}

}  // namespace

using namespace torchffi;

extern "C" {

int32_t* tf_warnings_init(void) {
  int32_t* result = nullptr;
  run_guarded([&] {
    std::call_once(glog_once, quiet_glog);
    // LibTorch 1.13 keeps the warning handler per thread.
    c10::Warning::set_warning_handler(&handler);
    result = &warnings.pending;
  });
  return result;
}

int32_t tf_take_warning(char* buf, int32_t cap) {
  int32_t length = -1;
  run_guarded([&] {
    if (warnings.messages.empty()) return;
    const std::string& message = warnings.messages.front();
    length = static_cast<int32_t>(message.size());
    if (buf != nullptr && cap > 0) {
      const int32_t n = length < cap - 1 ? length : cap - 1;
      std::memcpy(buf, message.data(), static_cast<size_t>(n));
      buf[n] = '\0';
    }
    warnings.messages.pop_front();
    warnings.pending = static_cast<int32_t>(warnings.messages.size());
  });
  return length;
}

}  // extern "C"
