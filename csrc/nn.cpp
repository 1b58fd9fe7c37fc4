// nn.cpp: the neural-network functions layers and losses are built from,
// each one fused LibTorch op.
#include <climits>

#include "internal.h"

using namespace torchffi;

namespace {

c10::optional<at::Tensor> optional_tensor(tf_tensor t) {
  if (t == nullptr) return c10::nullopt;
  return *deref(t);
}

}  // namespace

extern "C" {

tf_tensor tf_linear(tf_tensor input, tf_tensor weight, tf_tensor bias) {
  return guard_tensor([&] { return at::linear(deref(input), deref(weight), optional_tensor(bias)); });
}

tf_tensor tf_conv2d(tf_tensor input, tf_tensor weight, tf_tensor bias, int64_t stride_h, int64_t stride_w,
                    int64_t padding_h, int64_t padding_w, int64_t dilation_h, int64_t dilation_w, int64_t groups) {
  return guard_tensor([&] {
    // LibTorch keeps groups in an int and divides by it: an out-of-range value
    // would wrap to 0 and raise SIGFPE, which no catch can stop.
    TORCH_CHECK(groups >= 1 && groups <= INT32_MAX, "groups must be between 1 and ", INT32_MAX, ", got ", groups);
    return at::conv2d(deref(input), deref(weight), optional_tensor(bias), {stride_h, stride_w}, {padding_h, padding_w},
                      {dilation_h, dilation_w}, groups);
  });
}

tf_tensor tf_max_pool2d(tf_tensor input, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                        int64_t padding_h, int64_t padding_w) {
  return guard_tensor([&] {
    return at::max_pool2d(deref(input), {kernel_h, kernel_w}, {stride_h, stride_w}, {padding_h, padding_w});
  });
}

tf_tensor tf_cross_entropy(tf_tensor logits, tf_tensor target) {
  return guard_tensor([&] {
    const auto labels_borrow = deref(target);
    const at::Tensor& labels = *labels_borrow;
    TORCH_CHECK(labels.scalar_type() == at::kLong,
                "expected class indices of dtype int64 as the target, got ", labels.scalar_type());
    return at::cross_entropy_loss(deref(logits), labels);
  });
}

tf_tensor tf_mse_loss(tf_tensor pred, tf_tensor target) {
  return guard_tensor([&] { return at::mse_loss(deref(pred), deref(target)); });
}

tf_tensor tf_dropout(tf_tensor input, double p, int32_t train) {
  return guard_tensor([&] {
    TORCH_CHECK(p >= 0.0 && p <= 1.0, "dropout probability has to be between 0 and 1, but got ", p);
    return at::dropout(deref(input), p, train != 0);
  });
}

}  // extern "C"
