/*
 * torchffi from C: fits y = 3x + 2 by gradient descent with LibTorch's
 * autograd, through the same C ABI the TypeScript wrappers use.
 *
 * Build against an installed library (cmake --install build --prefix P):
 *   cc -std=c11 -Wall linear_fit.c -I P/include -L P/lib -ltorchffi -Wl,-rpath,P/lib -o linear_fit
 */
#include <stdio.h>
#include <stdlib.h>
#include <torchffi.h>

enum { FLOAT32 = 0, SAMPLES = 16 };

/* Every handle-returning call returns NULL on failure; the message is kept per thread. */
static tf_tensor check(tf_tensor t, const char* what) {
  if (t == NULL) {
    char message[512];
    tf_last_error(message, sizeof message);
    fprintf(stderr, "%s failed: %s\n", what, message);
    exit(1);
  }
  return t;
}

static double item(tf_tensor t) {
  double value = 0;
  if (tf_item(t, &value) != 0) check(NULL, "item");
  return value;
}

int main(void) {
  float xs[SAMPLES], ys[SAMPLES];
  for (int i = 0; i < SAMPLES; i++) {
    xs[i] = (float)i / SAMPLES;
    ys[i] = 3.0f * xs[i] + 2.0f;
  }
  const int64_t data_shape[2] = {SAMPLES, 1}, weight_shape[2] = {1, 1}, bias_shape[1] = {1};
  tf_tensor x = check(tf_from_data(xs, sizeof xs, data_shape, 2, FLOAT32), "from_data");
  tf_tensor y = check(tf_from_data(ys, sizeof ys, data_shape, 2, FLOAT32), "from_data");

  /* The store holds the parameters and runs one optimizer step over all of them per call. */
  tf_store store = tf_store_new();
  tf_tensor weight = check(tf_zeros(weight_shape, 2, FLOAT32), "zeros");
  tf_tensor bias = check(tf_zeros(bias_shape, 1, FLOAT32), "zeros");
  tf_set_requires_grad(weight, 1);
  tf_set_requires_grad(bias, 1);
  tf_store_push(store, weight);
  tf_store_push(store, bias);

  double loss_value = 0;
  for (int step = 0; step < 2000; step++) {
    tf_tensor prediction = check(tf_linear(x, weight, bias), "linear");
    tf_tensor loss = check(tf_mse_loss(prediction, y), "mse_loss");
    if (tf_backward(loss, NULL) != 0 || tf_store_sgd(store, 0.5) != 0) check(NULL, "training step");
    loss_value = item(loss);
    tf_free(prediction);
    tf_free(loss);
  }
  printf("weight %.4f bias %.4f loss %.2e\n", item(weight), item(bias), loss_value);

  /* A refused call: NULL and LibTorch's own message, never an exception. */
  const int64_t bad_shape[1] = {3};
  tf_tensor refused = tf_view(x, bad_shape, 1);
  char message[512];
  tf_last_error(message, sizeof message);
  printf("view to [3]: %s (%s)\n", refused == NULL ? "refused" : "accepted", message);

  tf_free(x);
  tf_free(y);
  tf_free(weight);
  tf_free(bias);
  tf_store_free(store);
  printf("live tensors: %lld\n", (long long)tf_live_tensors());
  return 0;
}
