// rnn.cpp: the layers that look things up or run over a sequence: Embedding
// (at::embedding) and LSTM / GRU (at::lstm / at::gru over the flat weight list,
// every layer and direction in one fused call, as PyTorch's nn.LSTM runs it).
#include <tuple>

#include "internal.h"

using namespace torchffi;

namespace {

std::vector<at::Tensor> tensor_list(const tf_tensor* list, int32_t n) {
  TORCH_CHECK(n >= 0, "negative list length ", n);
  TORCH_CHECK(n == 0 || list != nullptr, "null tensor list");
  std::vector<at::Tensor> out;
  out.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) out.push_back(*deref(list[i]));
  return out;
}

// nn.LSTM / nn.GRU start from zeros when no state is given.
at::Tensor zero_state(const at::Tensor& input, int64_t layers_times_directions, int64_t hidden, bool batch_first) {
  const int64_t batch = input.size(batch_first ? 0 : 1);
  return at::zeros({layers_times_directions, batch, hidden}, input.options());
}

}  // namespace

extern "C" {

tf_tensor tf_embedding(tf_tensor weight, tf_tensor indices, int64_t padding_idx) {
  return guard_tensor([&] {
    const BorrowedTensor w = deref(weight), i = deref(indices);
    TORCH_CHECK(w->dim() == 2, "the embedding weight must be 2-D, got ", w->dim(), "-D");
    return at::embedding(*w, *i, padding_idx, false, false);
  });
}

int32_t tf_rnn(int32_t mode, tf_tensor input, tf_tensor h0, tf_tensor c0, const tf_tensor* params, int32_t nparams,
               int32_t has_biases, int64_t num_layers, int64_t hidden_size, double dropout, int32_t train,
               int32_t bidirectional, int32_t batch_first, tf_tensor* out) {
  return guard_status([&] {
    TORCH_CHECK(mode == 0 || mode == 1, "unknown recurrent mode ", mode);
    TORCH_CHECK(num_layers >= 1 && hidden_size >= 1, "num_layers and hidden_size must be positive");
    TORCH_CHECK(dropout >= 0.0 && dropout <= 1.0, "dropout should be a number in range [0, 1], got ", dropout);
    const BorrowedTensor x = deref(input);
    TORCH_CHECK(x->dim() == 3, "expected a 3-D input, got ", x->dim(), "-D");
    const std::vector<at::Tensor> weights = tensor_list(params, nparams);
    const int64_t directions = bidirectional != 0 ? 2 : 1;
    const int64_t per_layer = has_biases != 0 ? 4 : 2;
    TORCH_CHECK(nparams == num_layers * directions * per_layer, "expected ", num_layers * directions * per_layer,
                " weights, got ", nparams);
    const at::Tensor h = h0 != nullptr ? *deref(h0) : zero_state(*x, num_layers * directions, hidden_size, batch_first != 0);
    if (mode == 0) {
      const at::Tensor c = c0 != nullptr ? *deref(c0) : zero_state(*x, num_layers * directions, hidden_size, batch_first != 0);
      auto result = at::lstm(*x, {h, c}, weights, has_biases != 0, num_layers, dropout, train != 0, bidirectional != 0,
                             batch_first != 0);
      wrap_all({std::move(std::get<0>(result)), std::move(std::get<1>(result)), std::move(std::get<2>(result))}, out);
    } else {
      auto result = at::gru(*x, h, weights, has_biases != 0, num_layers, dropout, train != 0, bidirectional != 0,
                            batch_first != 0);
      wrap_all({std::move(std::get<0>(result)), std::move(std::get<1>(result))}, out);
    }
  });
}

}  // extern "C"
