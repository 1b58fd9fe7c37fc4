// The benchmark workloads in C++ LibTorch: the same work as bench/workloads.ts,
// written the way a C++ LibTorch user writes it (torch::nn modules,
// torch::nn::functional::cross_entropy, torch::optim::Adam with zero_grad()).
//
// Build: cmake -S bench/cpp -B build/bench -DCMAKE_BUILD_TYPE=Release && cmake --build build/bench
// Run:   build/bench/workloads [--json] [--quick] [--threads N] [--only a,b] [--data DIR]
//
// With --json it prints one JSON object of the same shape as workloads.ts.
#include <torch/script.h>
#include <torch/torch.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace {

// Keep these equal in workloads.ts and workloads.py (run.ts checks warmup and iterations).
constexpr uint64_t kSeed = 1;
constexpr double kLr = 1e-3;
constexpr int64_t kStepBatches = 8;
constexpr int64_t kEpochBatch = 128;
constexpr int64_t kQuickEpochSamples = 3840;
constexpr int64_t kInferenceBatch = 1000;
constexpr int64_t kResNetBatch = 128;
constexpr int64_t kLstmVocab = 64;
constexpr int64_t kLstmEmbed = 32;
constexpr int64_t kLstmHidden = 128;
constexpr int64_t kLstmSeq = 32;
constexpr int64_t kLstmBatch = 32;

struct Plan {
  int64_t warmup, iterations, chunks;
};

struct Plans {
  Plan full, quick;
};

const std::vector<std::pair<std::string, Plans>> kPlans = {
    {"op_add", {{100000, 200000, 10}, {200, 2000, 5}}},
    {"op_add_grad", {{100000, 200000, 10}, {200, 2000, 5}}},
    {"ffn_step_16", {{50, 1000, 10}, {10, 100, 5}}},
    {"ffn_step_64", {{50, 500, 10}, {10, 50, 5}}},
    {"ffn_step_128", {{50, 500, 10}, {10, 50, 5}}},
    {"cnn_step_128", {{5, 60, 6}, {2, 10, 5}}},
    {"cnn_step_512", {{3, 20, 5}, {1, 5, 5}}},
    {"cnn_epoch", {{0, 1, 1}, {0, 1, 1}}},
    {"cnn_inference", {{1, 5, 5}, {1, 2, 2}}},
    {"cnn_inference_script", {{1, 5, 5}, {1, 2, 2}}},
    {"resnet_step_128", {{2, 30, 5}, {1, 4, 2}}},
    {"lstm_step_32", {{5, 100, 5}, {2, 10, 2}}},
};

// The seed's feed-forward network: 784-128-10 with a ReLU.
struct FfnImpl : torch::nn::Module {
  torch::nn::Linear l1{nullptr}, l2{nullptr};
  FfnImpl() {
    l1 = register_module("l1", torch::nn::Linear(784, 128));
    l2 = register_module("l2", torch::nn::Linear(128, 10));
  }
  torch::Tensor forward(const torch::Tensor& x) { return l2(torch::relu(l1(x))); }
};
TORCH_MODULE(Ffn);

// The seed's CNN (lib/nn/models.ts MnistCnn).
struct CnnImpl : torch::nn::Module {
  torch::nn::Conv2d l1{nullptr}, l2{nullptr};
  torch::nn::Linear l3{nullptr}, l4{nullptr};
  CnnImpl() {
    l1 = register_module("l1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 10, 5)));
    l2 = register_module("l2", torch::nn::Conv2d(torch::nn::Conv2dOptions(10, 20, 5)));
    l3 = register_module("l3", torch::nn::Linear(320, 64));
    l4 = register_module("l4", torch::nn::Linear(64, 10));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto o = torch::max_pool2d(l1(x), {2, 2});
    o = torch::max_pool2d(l2(o), {2, 2});
    o = torch::relu(l3(o.flatten(1)));
    return l4(o);
  }
};
TORCH_MODULE(Cnn);

// torchvision's BasicBlock (lib/nn/residual.ts), built in the same order.
struct BasicBlockImpl : torch::nn::Module {
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
  BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride) {
    using torch::nn::Conv2dOptions;
    conv1 = register_module("conv1", torch::nn::Conv2d(Conv2dOptions(inplanes, planes, 3).stride(stride).padding(1).bias(false)));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
    conv2 = register_module("conv2", torch::nn::Conv2d(Conv2dOptions(planes, planes, 3).padding(1).bias(false)));
    bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
    if (stride != 1 || inplanes != planes) {
      downsample = register_module("downsample", torch::nn::Sequential(
                                                     torch::nn::Conv2d(Conv2dOptions(inplanes, planes, 1).stride(stride).bias(false)),
                                                     torch::nn::BatchNorm2d(planes)));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto o = torch::relu(bn1(conv1(x)));
    o = bn2(conv2(o));
    return torch::relu(o + (downsample ? downsample->forward(x) : x));
  }
};
TORCH_MODULE(BasicBlock);

// The small residual CNN (lib/nn/models.ts MnistResNet, width 16).
struct ResNetImpl : torch::nn::Module {
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  BasicBlock layer1{nullptr}, layer2{nullptr}, layer3{nullptr};
  torch::nn::Linear fc{nullptr};
  explicit ResNetImpl(int64_t width = 16) {
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, width, 3).padding(1).bias(false)));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(width));
    layer1 = register_module("layer1", BasicBlock(width, width, 1));
    layer2 = register_module("layer2", BasicBlock(width, 2 * width, 2));
    layer3 = register_module("layer3", BasicBlock(2 * width, 4 * width, 2));
    fc = register_module("fc", torch::nn::Linear(4 * width, 10));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto o = torch::relu(bn1(conv1(x)));
    o = layer3(layer2(layer1(o)));
    return fc(o.mean({2, 3}));
  }
};
TORCH_MODULE(ResNet);

// Embedding -> LSTM (batch first) -> Linear: next-token scores [batch*seq, vocab].
struct LstmModelImpl : torch::nn::Module {
  torch::nn::Embedding emb{nullptr};
  torch::nn::LSTM lstm{nullptr};
  torch::nn::Linear fc{nullptr};
  LstmModelImpl() {
    emb = register_module("emb", torch::nn::Embedding(kLstmVocab, kLstmEmbed));
    lstm = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(kLstmEmbed, kLstmHidden).batch_first(true)));
    fc = register_module("fc", torch::nn::Linear(kLstmHidden, kLstmVocab));
  }
  torch::Tensor forward(const torch::Tensor& tokens) {
    auto output = std::get<0>(lstm(emb(tokens)));
    return fc(output).view({-1, kLstmVocab});
  }
};
TORCH_MODULE(LstmModel);

// The top bits of a 31-bit LCG (glibc's constants) from seed 1, mod 64, as in workloads.ts.
std::vector<int64_t> lcg_tokens(int64_t count) {
  std::vector<int64_t> tokens;
  uint32_t state = 1;
  for (int64_t i = 0; i < count; i++) {
    state = (state * 1103515245u + 12345u) & 0x7fffffffu;
    tokens.push_back((state >> 16) % kLstmVocab);
  }
  return tokens;
}

struct Result {
  Plan plan;
  std::vector<double> samples_us;
  double loss = NAN;  // NaN: no loss
  std::vector<std::pair<std::string, double>> info;
};

// An IDX file of unsigned bytes (plain or gzipped: zlib reads both) as a uint8 tensor.
torch::Tensor read_idx(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("cannot open " + path);
  std::vector<unsigned char> data;
  unsigned char buffer[1 << 16];
  int n;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0) data.insert(data.end(), buffer, buffer + n);
  gzclose(file);
  if (n < 0 || data.size() < 4 || data[0] != 0 || data[1] != 0 || data[2] != 0x08) {
    throw std::runtime_error(path + ": not an unsigned-byte IDX file");
  }
  const int ndim = data[3];
  std::vector<int64_t> shape;
  size_t offset = 4;
  int64_t count = 1;
  for (int i = 0; i < ndim; i++, offset += 4) {
    const int64_t size = (int64_t(data[offset]) << 24) | (data[offset + 1] << 16) | (data[offset + 2] << 8) | data[offset + 3];
    shape.push_back(size);
    count *= size;
  }
  if (data.size() != offset + static_cast<size_t>(count)) throw std::runtime_error(path + ": truncated");
  return torch::from_blob(data.data() + offset, shape, torch::kUInt8).clone();
}

std::string find_file(const std::string& dir, const std::string& stem) {
  std::string dotted = stem;
  dotted.replace(dotted.find("-idx"), 4, ".idx");
  for (const auto& name : {stem, stem + ".gz", dotted, dotted + ".gz"}) {
    struct stat info;
    if (stat((dir + "/" + name).c_str(), &info) == 0) return dir + "/" + name;
  }
  throw std::runtime_error("cannot find " + stem + " in " + dir);
}

// As torchffi's loadMnist: x [N, 784] float32 in [0, 1], y [N] int64.
std::pair<torch::Tensor, torch::Tensor> load_mnist(const std::string& dir, const std::string& prefix) {
  auto images = read_idx(find_file(dir, prefix + "-images-idx3-ubyte"));
  auto labels = read_idx(find_file(dir, prefix + "-labels-idx1-ubyte"));
  const int64_t n = images.size(0);
  return {images.view({n, images.size(1) * images.size(2)}).to(torch::kFloat32).div(255), labels.to(torch::kInt64)};
}

using Clock = std::chrono::steady_clock;

double micros_since(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

std::vector<double> time_loop(const Plan& plan, const std::function<void(int64_t)>& body) {
  int64_t i = 0;
  for (; i < plan.warmup; i++) body(i);
  const int64_t per_chunk = plan.iterations / plan.chunks;
  std::vector<double> samples;
  for (int64_t c = 0; c < plan.chunks; c++) {
    const auto start = Clock::now();
    for (int64_t j = 0; j < per_chunk; j++) body(i++);
    samples.push_back(micros_since(start) / per_chunk);
  }
  return samples;
}

// Per-op cost: a.add(b) on 2x2 tensors, the result freed at once.
Result op_add(const Plan& plan, bool requires_grad) {
  auto a = torch::tensor({{1.0f, 2.0f}, {3.0f, 4.0f}}, torch::requires_grad(requires_grad));
  auto b = torch::tensor({{5.0f, 6.0f}, {7.0f, 8.0f}}, torch::requires_grad(requires_grad));
  for (int64_t i = 0; i < plan.warmup; i++) {
    auto c = a.add(b);
  }
  const int64_t per_chunk = plan.iterations / plan.chunks;
  Result result{plan, {}, NAN, {}};
  for (int64_t chunk = 0; chunk < plan.chunks; chunk++) {
    const auto start = Clock::now();
    for (int64_t j = 0; j < per_chunk; j++) {
      auto c = a.add(b);
    }
    result.samples_us.push_back(micros_since(start) / per_chunk);
  }
  return result;
}

// Forward, cross-entropy, backward, one Adam step, loss read back; batch i mod 8.
template <typename Model>
Result training_steps(const Plan& plan, const torch::Tensor& x, const torch::Tensor& y, int64_t batch, bool flat_targets = false) {
  std::vector<torch::Tensor> xs, ys;
  for (int64_t k = 0; k < kStepBatches; k++) {
    xs.push_back(x.narrow(0, k * batch, batch));
    auto yb = y.narrow(0, k * batch, batch);
    ys.push_back(flat_targets ? yb.reshape({-1}) : yb);
  }
  torch::manual_seed(kSeed);
  Model model;
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(kLr));
  double loss = NAN;
  auto samples = time_loop(plan, [&](int64_t i) {
    const auto k = i % kStepBatches;
    optimizer.zero_grad();
    torch::Tensor l = torch::nn::functional::cross_entropy(model->forward(xs[k]), ys[k]);
    l.backward();
    optimizer.step();
    loss = l.item<double>();
  });
  return {plan, samples, loss, {{"batch", double(batch)}, {"steps", double(plan.warmup + plan.iterations)}}};
}

// LSTM training steps: batch k of 8 holds 32 windows of 33 tokens (input, then targets shifted by one).
Result lstm_steps(const Plan& plan) {
  const int64_t window = kLstmSeq + 1, count = kStepBatches * kLstmBatch;
  auto stream = lcg_tokens(count * window);
  auto windows = torch::from_blob(stream.data(), {count, window}, torch::kInt64).clone();
  auto x = windows.narrow(1, 0, kLstmSeq).contiguous();
  auto y = windows.narrow(1, 1, kLstmSeq).contiguous();
  auto r = training_steps<LstmModel>(plan, x, y, kLstmBatch, true);
  r.info.emplace_back("seq", double(kLstmSeq));
  r.info.emplace_back("hidden", double(kLstmHidden));
  return r;
}

// One epoch with batch 128, shuffled with randperm: the loop train() runs.
Result cnn_epoch(const Plan& plan, const torch::Tensor& x, const torch::Tensor& y) {
  const int64_t n = x.size(0);
  double loss = NAN;
  auto samples = time_loop(plan, [&](int64_t) {
    torch::manual_seed(kSeed);
    Cnn model;
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(kLr));
    auto order = torch::randperm(n, torch::kInt64);
    double total = 0;
    for (int64_t start = 0; start < n; start += kEpochBatch) {
      const int64_t size = std::min(kEpochBatch, n - start);
      auto index = order.narrow(0, start, size);
      auto xb = x.index_select(0, index);
      auto yb = y.index_select(0, index);
      optimizer.zero_grad();
      auto l = torch::nn::functional::cross_entropy(model->forward(xb), yb);
      l.backward();
      optimizer.step();
      total += l.item<double>() * size;
    }
    loss = total / n;
  });
  return {plan, samples, loss, {{"batch", double(kEpochBatch)}, {"images", double(n)}, {"steps", double((n + kEpochBatch - 1) / kEpochBatch)}}};
}

torch::Tensor predict_classes(Cnn& model, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < x.size(0); start += kInferenceBatch) {
    parts.push_back(model->forward(x.narrow(0, start, std::min(kInferenceBatch, x.size(0) - start))).argmax(-1));
  }
  return parts.size() == 1 ? parts[0] : torch::cat(parts);
}

// Predicted classes of the test images, batches of 1000, no grad; untimed test loss.
Result cnn_inference(const Plan& plan, const torch::Tensor& x, const torch::Tensor& y) {
  torch::manual_seed(kSeed);
  Cnn model;
  auto samples = time_loop(plan, [&](int64_t) { predict_classes(model, x); });
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < x.size(0); start += kInferenceBatch) {
    parts.push_back(model->forward(x.narrow(0, start, std::min(kInferenceBatch, x.size(0) - start))));
  }
  const double loss = torch::nn::functional::cross_entropy(torch::cat(parts), y).item<double>();
  const double correct = predict_classes(model, x).eq(y).sum().item<double>();
  return {plan, samples, loss, {{"batch", double(kInferenceBatch)}, {"images", double(x.size(0))}, {"accuracy", correct / x.size(0)}}};
}

// cnn_inference through the same seeded CNN scripted in Python (bench/workloads.py --save-script).
Result cnn_inference_script(const Plan& plan, const torch::Tensor& x, const torch::Tensor& y, const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) throw std::runtime_error(path + " is missing: run /usr/bin/python3 bench/workloads.py --save-script");
  auto model = torch::jit::load(path);
  model.eval();
  auto forward = [&](const torch::Tensor& batch) { return model.forward({batch}).toTensor(); };
  auto predict = [&]() {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> parts;
    for (int64_t start = 0; start < x.size(0); start += kInferenceBatch) {
      parts.push_back(forward(x.narrow(0, start, std::min(kInferenceBatch, x.size(0) - start))).argmax(-1));
    }
    return parts.size() == 1 ? parts[0] : torch::cat(parts);
  };
  auto samples = time_loop(plan, [&](int64_t) { predict(); });
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < x.size(0); start += kInferenceBatch) {
    parts.push_back(forward(x.narrow(0, start, std::min(kInferenceBatch, x.size(0) - start))));
  }
  const double loss = torch::nn::functional::cross_entropy(torch::cat(parts), y).item<double>();
  const double correct = predict().eq(y).sum().item<double>();
  return {plan, samples, loss, {{"batch", double(kInferenceBatch)}, {"images", double(x.size(0))}, {"accuracy", correct / x.size(0)}}};
}

std::string number(double v) {
  if (!std::isfinite(v)) return "null";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

int run_main(int argc, char** argv) {
  bool json = false, quick = false;
  int threads = 1;
  std::vector<std::string> only;
  const char* env_data = std::getenv("TORCHFFI_DATA");
  std::string data = env_data && *env_data ? env_data : "/usr/share/datasets/fashion-mnist";
  // Beside this program (build/bench), where bench/run.ts has Python write it.
  const std::string self = argv[0];
  std::string script = (self.find('/') == std::string::npos ? std::string(".") : self.substr(0, self.rfind('/'))) + "/cnn_script.pt";
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--json") json = true;
    else if (arg == "--quick") quick = true;
    else if (arg == "--threads") threads = std::stoi(value());
    else if (arg == "--data") data = value();
    else if (arg == "--script") script = value();
    else if (arg == "--only") {
      std::stringstream list(value());
      for (std::string name; std::getline(list, name, ',');) {
        if (name.empty()) continue;
        if (std::none_of(kPlans.begin(), kPlans.end(), [&](const auto& p) { return p.first == name; })) {
          std::cerr << "unknown workload " << name << "\n";
          return 2;
        }
        only.push_back(name);
      }
    } else {
      std::cerr << "unknown argument " << arg << "\n";
      return 2;
    }
  }
  if (threads < 1) {
    std::cerr << "--threads needs a positive integer\n";
    return 2;
  }
  torch::set_num_threads(threads);

  auto plan = [&](const std::string& name) -> const Plan* {
    if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) return nullptr;
    for (const auto& [n, plans] : kPlans) {
      if (n == name) return quick ? &plans.quick : &plans.full;
    }
    return nullptr;
  };
  std::vector<std::pair<std::string, Result>> results;
  auto run = [&](const std::string& name, const std::function<Result(const Plan&)>& work) {
    const Plan* p = plan(name);
    if (!p) return;
    results.emplace_back(name, work(*p));
    if (!json) {
      auto sorted = results.back().second.samples_us;
      std::sort(sorted.begin(), sorted.end());
      std::printf("%-14s %12.2f us/iter  loss %s\n", name.c_str(), sorted[sorted.size() / 2],
                  number(results.back().second.loss).c_str());
    }
  };

  run("op_add", [](const Plan& p) { return op_add(p, false); });
  run("op_add_grad", [](const Plan& p) { return op_add(p, true); });

  const std::vector<std::string> training = {"ffn_step_16", "ffn_step_64", "ffn_step_128", "cnn_step_128", "cnn_step_512", "cnn_epoch", "resnet_step_128"};
  if (std::any_of(training.begin(), training.end(), [&](const std::string& name) { return plan(name) != nullptr; })) {
    auto [x, y] = load_mnist(data, "train");
    auto images = x.view({-1, 1, 28, 28});
    for (int64_t batch : {16, 64, 128}) {
      run("ffn_step_" + std::to_string(batch), [&](const Plan& p) { return training_steps<Ffn>(p, x, y, batch); });
    }
    for (int64_t batch : {128, 512}) {
      run("cnn_step_" + std::to_string(batch), [&](const Plan& p) { return training_steps<Cnn>(p, images, y, batch); });
    }
    const int64_t n = quick ? kQuickEpochSamples : images.size(0);
    run("cnn_epoch", [&](const Plan& p) { return cnn_epoch(p, images.narrow(0, 0, n), y.narrow(0, 0, n)); });
    run("resnet_step_128", [&](const Plan& p) { return training_steps<ResNet>(p, images, y, kResNetBatch); });
  }
  run("lstm_step_32", [](const Plan& p) { return lstm_steps(p); });
  if (plan("cnn_inference") || plan("cnn_inference_script")) {
    auto [tx, ty] = load_mnist(data, "t10k");
    run("cnn_inference", [&](const Plan& p) { return cnn_inference(p, tx.view({-1, 1, 28, 28}), ty); });
    run("cnn_inference_script", [&](const Plan& p) { return cnn_inference_script(p, tx.view({-1, 1, 28, 28}), ty, script); });
  }

  if (json) {
    std::ostringstream out;
    out << "{\"implementation\":\"cpp\",\"runtime\":"
        << quoted(std::string("C++ g++ ") + __VERSION__ + ", LibTorch " + TORCH_VERSION)
        << ",\"threads\":" << torch::get_num_threads() << ",\"quick\":" << (quick ? "true" : "false") << ",\"workloads\":{";
    for (size_t i = 0; i < results.size(); i++) {
      const auto& [name, r] = results[i];
      out << (i ? "," : "") << quoted(name) << ":{\"warmup\":" << r.plan.warmup << ",\"iterations\":" << r.plan.iterations
          << ",\"chunks\":" << r.plan.chunks << ",\"samples_us\":[";
      for (size_t s = 0; s < r.samples_us.size(); s++) out << (s ? "," : "") << number(r.samples_us[s]);
      out << "],\"loss\":" << number(r.loss) << ",\"info\":{";
      for (size_t k = 0; k < r.info.size(); k++) out << (k ? "," : "") << quoted(r.info[k].first) << ":" << number(r.info[k].second);
      out << "}}";
    }
    out << "}}";
    std::cout << out.str() << std::endl;
  }
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const c10::Error& e) {
    std::cerr << "error: " << e.what_without_backtrace() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
  }
  return 1;
}
