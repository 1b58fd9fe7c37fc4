// store.h: what other source files may see of the parameter store (store.cpp).
#pragma once

#include <vector>

#include "internal.h"

namespace torchffi {

// The store's tensors (the same tensors, not copies: gradients and in-place
// changes are shared), for entry points in other files that work on them all.
std::vector<at::Tensor> store_values(tf_store store);

}  // namespace torchffi
