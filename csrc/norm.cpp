// norm.cpp: the normalisation layers' forward passes, each one fused LibTorch
// op plus the bookkeeping PyTorch's modules do around it (the batch-size check,
// the running statistics and the count of batches seen), so one layer step is
// one call across the ABI.
#include "internal.h"

using namespace torchffi;

namespace {

c10::optional<at::Tensor> optional_tensor(tf_tensor t) {
  if (t == nullptr) return c10::nullopt;
  return *deref(t);
}

}  // namespace

extern "C" {

tf_tensor tf_batch_norm(tf_tensor input, tf_tensor weight, tf_tensor bias, tf_tensor running_mean,
                        tf_tensor running_var, tf_tensor num_batches_tracked, int32_t training, double momentum,
                        int32_t cumulative, double eps) {
  return guard_tensor([&] {
    const auto x_borrow = deref(input);
    const at::Tensor& x = *x_borrow;
    TORCH_CHECK(x.dim() >= 2, "expected an input with at least 2 dims [N, C, ...], got ", x.sizes());
    const bool train = training != 0;
    const auto mean = optional_tensor(running_mean);
    const auto var = optional_tensor(running_var);
    TORCH_CHECK(mean.has_value() == var.has_value(), "running_mean and running_var go together");
    if (mean.has_value()) {
      TORCH_CHECK(mean->numel() == x.size(1), "running_mean should contain ", x.size(1), " elements not ", mean->numel());
      TORCH_CHECK(var->numel() == x.size(1), "running_var should contain ", x.size(1), " elements not ", var->numel());
    }
    if (train) {
      // PyTorch checks this in Python (F.batch_norm); at::batch_norm would
      // otherwise write an infinite unbiased variance into running_var.
      int64_t per_channel = x.size(0);
      for (int64_t d = 2; d < x.dim(); ++d) per_channel *= x.size(d);
      TORCH_CHECK(per_channel != 1, "Expected more than 1 value per channel when training, got input size ", x.sizes());
    }
    const auto count = optional_tensor(num_batches_tracked);
    double factor = momentum;
    const bool track = train && mean.has_value() && count.has_value();
    if (track) {
      TORCH_CHECK(count->numel() == 1, "num_batches_tracked must hold one number");
      // momentum=None in PyTorch: a cumulative average over the batches seen, this one included.
      if (cumulative != 0) factor = 1.0 / static_cast<double>(count->item<int64_t>() + 1);
    }
    // Batch statistics are used in training mode and whenever there are no running ones.
    const bool use_batch_stats = train || !mean.has_value();
    at::Tensor out = at::batch_norm(x, optional_tensor(weight), optional_tensor(bias), mean, var, use_batch_stats,
                                    factor, eps, /*cudnn_enabled=*/false);
    // Counted only once the step succeeded, so a refused batch changes nothing.
    if (track) {
      at::NoGradGuard no_grad;
      count->add_(1);
    }
    return out;
  });
}

tf_tensor tf_layer_norm(tf_tensor input, const int64_t* normalized_shape, int32_t ndim, tf_tensor weight,
                        tf_tensor bias, double eps) {
  return guard_tensor([&] {
    return at::layer_norm(deref(input), int_list(normalized_shape, ndim), optional_tensor(weight),
                          optional_tensor(bias), eps, /*cudnn_enable=*/false);
  });
}

}  // extern "C"
