/*
 * torchffi.h: the C ABI between LibTorch and the TypeScript wrappers.
 *
 * Rules every entry point follows (see DESIGN.md):
 *  - Plain C types only. A tf_tensor is an opaque handle owning one reference to a LibTorch tensor.
 *  - No C++ exception crosses this boundary. On failure a function stores the
 *    message in a thread-local buffer and returns NULL (handles) or a non-zero
 *    status (everything else); tf_last_error() copies that message out.
 *  - Every op returns a fresh handle that the caller frees with tf_free.
 *  - Data is copied in and out; the library never keeps a pointer to caller memory.
 *
 * Dtype codes: 0 float32, 1 float64, 2 int64, 3 int32, 4 uint8, 5 bool.
 * Shapes and int lists are (const int64_t* values, int32_t length).
 */
#ifndef TORCHFFI_H
#define TORCHFFI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tf_tensor_opaque* tf_tensor;

#define TF_EXPORT __attribute__((visibility("default")))

/* ---- errors and bookkeeping (tensor.cpp) ---- */

/* Copies this thread's last error message (NUL-terminated, truncated to cap) into buf; returns its full length. */
TF_EXPORT int32_t tf_last_error(char* buf, int32_t cap);
/* Number of tensor handles currently alive, across all threads. */
TF_EXPORT int64_t tf_live_tensors(void);
/* Frees a handle; NULL is ignored. Never fails. */
TF_EXPORT void tf_free(tf_tensor t);
/* Frees n handles from an array; NULL entries are ignored. Never fails. */
TF_EXPORT void tf_free_many(const tf_tensor* ts, int32_t n);

/* ---- LibTorch's warnings (warnings.cpp) ---- */

/* Makes LibTorch's warnings on this thread wait in a queue instead of printing (and quiets glog once per
   process); returns a pointer to this thread's count of waiting warnings, valid while the thread lives, or
   NULL on failure. Call it once on every thread that calls the library. */
TF_EXPORT int32_t* tf_warnings_init(void);
/* Copies the oldest waiting warning of this thread (NUL-terminated, truncated to cap) into buf and removes
   it; returns its full length, or -1 when none waits. Never fails. */
TF_EXPORT int32_t tf_take_warning(char* buf, int32_t cap);

/* ---- creation and data movement (tensor.cpp) ---- */

/* New tensor of the given shape and dtype holding a copy of nbytes of data (nbytes must match). */
TF_EXPORT tf_tensor tf_from_data(const void* data, int64_t nbytes, const int64_t* shape, int32_t ndim, int32_t dtype);
/* Copies t's elements, converted to dtype, in row-major order into out (nbytes must match). */
TF_EXPORT int32_t tf_copy_out(tf_tensor t, int32_t dtype, void* out, int64_t nbytes);
/* Writes [dtype, ndim, requires_grad, dims...] into out (cap entries); when the dims do not fit it
   fails after writing the first three, so the caller can retry with room for ndim. */
TF_EXPORT int32_t tf_meta(tf_tensor t, int64_t* out, int32_t cap);
/* Writes the single element of t, as a double, into out[0]; fails unless numel is 1. */
TF_EXPORT int32_t tf_item(tf_tensor t, double* out);
TF_EXPORT tf_tensor tf_zeros(const int64_t* shape, int32_t ndim, int32_t dtype);
TF_EXPORT tf_tensor tf_ones(const int64_t* shape, int32_t ndim, int32_t dtype);
TF_EXPORT tf_tensor tf_full(const int64_t* shape, int32_t ndim, double value, int32_t dtype);
/* Uniform [0, 1) from LibTorch's global generator. */
TF_EXPORT tf_tensor tf_rand(const int64_t* shape, int32_t ndim, int32_t dtype);
/* Standard normal from LibTorch's global generator. */
TF_EXPORT tf_tensor tf_randn(const int64_t* shape, int32_t ndim, int32_t dtype);
/* [start, end) in steps of step. */
TF_EXPORT tf_tensor tf_arange(double start, double end, double step, int32_t dtype);
/* Seeds LibTorch's global generator, like torch.manual_seed. */
TF_EXPORT int32_t tf_manual_seed(int64_t seed);
/* Uniform [low, high) from the global generator, drawn like Tensor.uniform_ (the PyTorch layer initialisers). */
TF_EXPORT tf_tensor tf_uniform(const int64_t* shape, int32_t ndim, double low, double high, int32_t dtype);
/* Sets the number of threads LibTorch (and OpenBLAS, when it is the BLAS) uses inside one op. */
TF_EXPORT int32_t tf_set_num_threads(int32_t n);
/* The number of threads LibTorch uses for intra-op parallelism. */
TF_EXPORT int32_t tf_get_num_threads(void);
/*
 * Asks glibc's malloc to keep freed blocks of up to mmap_threshold bytes for
 * reuse, trimming the heap only past trim_threshold: LibTorch frees and
 * reallocates the same large buffers every training step, and by default
 * each one is unmapped and faulted back in. Process-wide; returns 0 on success.
 */
TF_EXPORT int32_t tf_tune_allocator(int64_t mmap_threshold, int64_t trim_threshold);
/* Random permutation of 0..n-1 (int64) from the global generator, like torch.randperm. */
TF_EXPORT tf_tensor tf_randperm(int64_t n);

/* ---- shape and indexing (ops.cpp) ---- */

TF_EXPORT tf_tensor tf_view(tf_tensor t, const int64_t* shape, int32_t ndim);
TF_EXPORT tf_tensor tf_reshape(tf_tensor t, const int64_t* shape, int32_t ndim);
/* Flattens dims start..end (inclusive, negatives count from the end). */
TF_EXPORT tf_tensor tf_flatten(tf_tensor t, int64_t start, int64_t end);
TF_EXPORT tf_tensor tf_unsqueeze(tf_tensor t, int64_t dim);
/* Removes every size-1 dim when all_dims is non-zero, otherwise only dim (if it has size 1). */
TF_EXPORT tf_tensor tf_squeeze(tf_tensor t, int64_t dim, int32_t all_dims);
TF_EXPORT tf_tensor tf_transpose(tf_tensor t, int64_t dim0, int64_t dim1);
/* 2-D transpose; tensors with fewer than 2 dims come back as they are (like torch.t). */
TF_EXPORT tf_tensor tf_t(tf_tensor t);
TF_EXPORT tf_tensor tf_permute(tf_tensor t, const int64_t* dims, int32_t ndims);
TF_EXPORT tf_tensor tf_narrow(tf_tensor t, int64_t dim, int64_t start, int64_t length);
/* t.select(dim, index): drops dim, negative index counts from the end. */
TF_EXPORT tf_tensor tf_select(tf_tensor t, int64_t dim, int64_t index);
TF_EXPORT tf_tensor tf_index_select(tf_tensor t, int64_t dim, tf_tensor index);
TF_EXPORT tf_tensor tf_cat(const tf_tensor* ts, int32_t n, int64_t dim);
TF_EXPORT tf_tensor tf_stack(const tf_tensor* ts, int32_t n, int64_t dim);
TF_EXPORT tf_tensor tf_contiguous(tf_tensor t);

/* ---- elementwise math (ops.cpp) ---- */

/* Binary ops with broadcasting and PyTorch's type promotion. */
TF_EXPORT tf_tensor tf_add(tf_tensor a, tf_tensor b);
TF_EXPORT tf_tensor tf_sub(tf_tensor a, tf_tensor b);
TF_EXPORT tf_tensor tf_mul(tf_tensor a, tf_tensor b);
TF_EXPORT tf_tensor tf_div(tf_tensor a, tf_tensor b);
TF_EXPORT tf_tensor tf_pow(tf_tensor a, tf_tensor b);
TF_EXPORT tf_tensor tf_eq(tf_tensor a, tf_tensor b);
TF_EXPORT tf_tensor tf_gt(tf_tensor a, tf_tensor b);
TF_EXPORT tf_tensor tf_lt(tf_tensor a, tf_tensor b);
/* Binary ops with a number; an integral value acts like a Python int (keeps integer dtypes). */
TF_EXPORT tf_tensor tf_add_scalar(tf_tensor a, double b);
TF_EXPORT tf_tensor tf_sub_scalar(tf_tensor a, double b);
TF_EXPORT tf_tensor tf_mul_scalar(tf_tensor a, double b);
TF_EXPORT tf_tensor tf_div_scalar(tf_tensor a, double b);
TF_EXPORT tf_tensor tf_pow_scalar(tf_tensor a, double b);
TF_EXPORT tf_tensor tf_eq_scalar(tf_tensor a, double b);
TF_EXPORT tf_tensor tf_gt_scalar(tf_tensor a, double b);
TF_EXPORT tf_tensor tf_lt_scalar(tf_tensor a, double b);
TF_EXPORT tf_tensor tf_neg(tf_tensor t);
TF_EXPORT tf_tensor tf_exp(tf_tensor t);
TF_EXPORT tf_tensor tf_log(tf_tensor t);
TF_EXPORT tf_tensor tf_sqrt(tf_tensor t);
TF_EXPORT tf_tensor tf_abs(tf_tensor t);
TF_EXPORT tf_tensor tf_relu(tf_tensor t);
TF_EXPORT tf_tensor tf_sigmoid(tf_tensor t);
TF_EXPORT tf_tensor tf_tanh(tf_tensor t);
/* Elementwise min(max(t, low), high). */
TF_EXPORT tf_tensor tf_clamp(tf_tensor t, double low, double high);
TF_EXPORT tf_tensor tf_softmax(tf_tensor t, int64_t dim);
TF_EXPORT tf_tensor tf_log_softmax(tf_tensor t, int64_t dim);
TF_EXPORT tf_tensor tf_matmul(tf_tensor a, tf_tensor b);
TF_EXPORT tf_tensor tf_to_dtype(tf_tensor t, int32_t dtype);
TF_EXPORT tf_tensor tf_clone(tf_tensor t);
TF_EXPORT tf_tensor tf_detach(tf_tensor t);

/* ---- reductions (ops.cpp); ndims == 0 reduces over every element ---- */

TF_EXPORT tf_tensor tf_sum(tf_tensor t, const int64_t* dims, int32_t ndims, int32_t keepdim);
TF_EXPORT tf_tensor tf_mean(tf_tensor t, const int64_t* dims, int32_t ndims, int32_t keepdim);
/* Maximum / minimum values; over everything when has_dim is 0, else along dim. */
TF_EXPORT tf_tensor tf_max(tf_tensor t, int64_t dim, int32_t has_dim, int32_t keepdim);
TF_EXPORT tf_tensor tf_min(tf_tensor t, int64_t dim, int32_t has_dim, int32_t keepdim);
/* Index of the maximum (int64); of the flattened tensor when has_dim is 0. */
TF_EXPORT tf_tensor tf_argmax(tf_tensor t, int64_t dim, int32_t has_dim, int32_t keepdim);

/* ---- autograd (autograd.cpp) ---- */

/* 1 if t requires grad, 0 if not, -1 on failure. */
TF_EXPORT int32_t tf_requires_grad(tf_tensor t);
/* Sets t's requires_grad flag in place (leaf tensors only, as in PyTorch). */
TF_EXPORT int32_t tf_set_requires_grad(tf_tensor t, int32_t requires_grad);
/* Backpropagates from t; grad may be NULL for a one-element t. */
TF_EXPORT int32_t tf_backward(tf_tensor t, tf_tensor grad);
/* 1 if t has an accumulated gradient, 0 if not, -1 on failure. */
TF_EXPORT int32_t tf_has_grad(tf_tensor t);
/* A handle to t's accumulated gradient (fails if there is none). */
TF_EXPORT tf_tensor tf_grad(tf_tensor t);
/* 0 if t has no gradient, 1 if its gradient is the tensor `known` holds (NULL matches nothing), 2 if
   it is another tensor, -1 on failure: lets a caller keep one handle per gradient instead of one per read. */
TF_EXPORT int32_t tf_grad_state(tf_tensor t, tf_tensor known);
/* Drops t's accumulated gradient (like zero_grad(set_to_none=True)). */
TF_EXPORT int32_t tf_zero_grad(tf_tensor t);
/* Turns gradient recording on or off for this thread; returns the previous state (1 or 0). */
TF_EXPORT int32_t tf_set_grad_enabled(int32_t enabled);

/* ---- neural-network functions (nn.cpp); bias may be NULL ---- */

TF_EXPORT tf_tensor tf_linear(tf_tensor input, tf_tensor weight, tf_tensor bias);
TF_EXPORT tf_tensor tf_conv2d(tf_tensor input, tf_tensor weight, tf_tensor bias, int64_t stride_h, int64_t stride_w,
                              int64_t padding_h, int64_t padding_w, int64_t dilation_h, int64_t dilation_w, int64_t groups);
TF_EXPORT tf_tensor tf_max_pool2d(tf_tensor input, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                                  int64_t padding_h, int64_t padding_w);
/* Mean cross-entropy of logits [N, C] against int64 class indices [N]. */
TF_EXPORT tf_tensor tf_cross_entropy(tf_tensor logits, tf_tensor target);
/* Mean squared error. */
TF_EXPORT tf_tensor tf_mse_loss(tf_tensor pred, tf_tensor target);
/* Zeroes elements with probability p and rescales the rest when train is non-zero; identity otherwise. */
TF_EXPORT tf_tensor tf_dropout(tf_tensor input, double p, int32_t train);

/* ---- the parameter store behind Memory, with fused optimizer steps (store.cpp) ---- */

typedef struct tf_store_opaque* tf_store;

TF_EXPORT tf_store tf_store_new(void);
/* Frees the store and its references to its tensors. NULL is ignored. */
TF_EXPORT void tf_store_free(tf_store store);
/* Adds a reference to t (the same tensor, not a copy); returns its id, or -1 on failure. */
TF_EXPORT int64_t tf_store_push(tf_store store, tf_tensor t);
/* A new handle to tensor id (the same tensor: gradients and updates are shared). */
TF_EXPORT tf_tensor tf_store_get(tf_store store, int64_t id);
/* Copies src's values into tensor id in place, without recording gradients; shapes and dtypes must match. */
TF_EXPORT int32_t tf_store_assign(tf_store store, int64_t id, tf_tensor src);
/* Drops the gradient of every tensor in the store. */
TF_EXPORT int32_t tf_store_zero_grad(tf_store store);
/* One step of torch.optim.SGD(lr) over every tensor with a gradient, then drops the gradients. */
TF_EXPORT int32_t tf_store_sgd(tf_store store, double lr);
/* One step of torch.optim.SGD(lr, momentum); the momentum buffers live in the store. */
TF_EXPORT int32_t tf_store_sgd_momentum(tf_store store, double lr, double momentum);
/* One step of torch.optim.Adam(lr, betas, eps, weight_decay); moments and step counts live in the store. */
TF_EXPORT int32_t tf_store_adam(tf_store store, double lr, double beta1, double beta2, double eps, double weight_decay);
/* Optimizer state kinds: 0 the momentum buffer (SGD, RMSprop), 1 Adam's first moment, 2 Adam's second moment,
   3 RMSprop's square average, 4 RMSprop's gradient average. */
/* 1 if tensor id has optimizer state of that kind, 0 if not, -1 on failure. */
TF_EXPORT int32_t tf_store_has_state(tf_store store, int64_t id, int32_t kind);
/* A handle to that optimizer state (fails if there is none). */
TF_EXPORT tf_tensor tf_store_state(tf_store store, int64_t id, int32_t kind);
/* Adam's step count for tensor id, or -1 on failure. */
TF_EXPORT int64_t tf_store_adam_steps(tf_store store, int64_t id);
/* Replaces tensor id's optimizer state with copies of the given tensors (NULL: none) and Adam's step count. */
TF_EXPORT int32_t tf_store_restore_state(tf_store store, int64_t id, tf_tensor momentum, tf_tensor exp_avg, tf_tensor exp_avg_sq,
                                         int64_t adam_steps);

/* The state of LibTorch's global CPU generator as a uint8 tensor (like torch.get_rng_state). */
TF_EXPORT tf_tensor tf_get_rng_state(void);
/* Restores the global CPU generator from a tensor made by tf_get_rng_state. */
TF_EXPORT int32_t tf_set_rng_state(tf_tensor state);

/* ---- TorchScript modules (script.cpp) ---- */

typedef struct tf_module_opaque* tf_module;
typedef struct tf_job_opaque* tf_job;

/* Loads a module saved by torch.jit.save (torch::jit::load) from a NUL-terminated UTF-8 path, on the CPU. */
TF_EXPORT tf_module tf_script_load(const char* path);
/* Frees the module handle (its tensors live on while other handles share them). NULL is ignored. */
TF_EXPORT void tf_script_free(tf_module module);
/* Writes the module, with its current parameters and buffers, like torch.jit.save. */
TF_EXPORT int32_t tf_script_save(tf_module module, const char* path);
/* Sets training mode (non-zero) or evaluation mode on the module and all its submodules. */
TF_EXPORT int32_t tf_script_train(tf_module module, int32_t on);
/*
 * The module's named tensors of one kind (0 parameters, 1 buffers; recursive, in PyTorch's order), all at once:
 * sizes[0] is set to their count and sizes[1] to the bytes their NUL-terminated names take. When both fit
 * (count <= cap, bytes <= names_cap) it writes a new handle per tensor (the module's own tensor, not a copy)
 * into out and the names, one after another, into names, and returns 0. When they do not fit it writes
 * only sizes and returns 2, so the caller can retry with room. 1 on failure.
 */
TF_EXPORT int32_t tf_script_named(tf_module module, int32_t kind, tf_tensor* out, int32_t cap, char* names, int64_t names_cap,
                                  int64_t* sizes);
/*
 * Runs forward on n input tensors. The result (a tensor, or tuples/lists of tensors, flattened
 * depth-first) goes into outputs as new handles (at most cap); *is_tuple is set to 0 for a single
 * tensor, 1 otherwise. Returns the number of outputs, or -1 on failure.
 */
TF_EXPORT int32_t tf_script_forward(tf_module module, const tf_tensor* inputs, int32_t n, tf_tensor* outputs, int32_t cap,
                                    int32_t* is_tuple);
/* A forward call to run later, on any thread, without recording gradients; it holds the module and inputs. */
TF_EXPORT tf_job tf_script_job(tf_module module, const tf_tensor* inputs, int32_t n);
/* Runs the job on the calling thread; the result or the error stays in the job. Returns 0, or 1 on failure. */
TF_EXPORT int32_t tf_job_run(tf_job job);
/* Runs the job on a new thread of its own and returns at once. */
TF_EXPORT int32_t tf_job_start(tf_job job);
/* 1 once the job has finished (well or not), 0 while it runs, -1 for a bad handle. */
TF_EXPORT int32_t tf_job_done(tf_job job);
/* After the job is done: its outputs as in tf_script_forward, or -1 with the job's error as this thread's last error. */
TF_EXPORT int32_t tf_job_result(tf_job job, tf_tensor* outputs, int32_t cap, int32_t* is_tuple);
/* Frees the job handle (a thread still running it keeps it alive until it ends). NULL is ignored. */
TF_EXPORT void tf_job_free(tf_job job);

/* ---- more math, creation and in-place ops (math_ops.cpp, inplace.cpp) ---- */

/* Elementwise x * sigmoid(x). */
TF_EXPORT tf_tensor tf_silu(tf_tensor t);
/* Elementwise sine (integers promote to float). */
TF_EXPORT tf_tensor tf_sin(tf_tensor t);
/* Elementwise cosine (integers promote to float). */
TF_EXPORT tf_tensor tf_cos(tf_tensor t);
/* Elementwise floor; integer tensors come back unchanged. */
TF_EXPORT tf_tensor tf_floor(tf_tensor t);
/* Elementwise ceiling; integer tensors come back unchanged. */
TF_EXPORT tf_tensor tf_ceil(tf_tensor t);
/* Rounds half to even, like torch.round. */
TF_EXPORT tf_tensor tf_round(tf_tensor t);
/* Elementwise -1, 0 or 1. */
TF_EXPORT tf_tensor tf_sign(tf_tensor t);
/* Elementwise 1 / x (integers promote to float). */
TF_EXPORT tf_tensor tf_reciprocal(tf_tensor t);
/* Elementwise 1 / sqrt(x). */
TF_EXPORT tf_tensor tf_rsqrt(tf_tensor t);
/* Elementwise minimum of two tensors, with broadcasting and type promotion; NaN wins. */
TF_EXPORT tf_tensor tf_minimum(tf_tensor a, tf_tensor b);
/* Elementwise maximum of two tensors, with broadcasting and type promotion; NaN wins. */
TF_EXPORT tf_tensor tf_maximum(tf_tensor a, tf_tensor b);
/* GELU; approximate 0 is the exact erf form, 1 the tanh approximation. */
TF_EXPORT tf_tensor tf_gelu(tf_tensor t, int32_t approximate);
/* max(0, x) + slope * min(0, x). */
TF_EXPORT tf_tensor tf_leaky_relu(tf_tensor t, double slope);
/* log(1 + exp(beta x)) / beta, linear above threshold. */
TF_EXPORT tf_tensor tf_softplus(tf_tensor t, double beta, double threshold);
/* Batched matrix product of [B, n, m] and [B, m, p]. */
TF_EXPORT tf_tensor tf_bmm(tf_tensor a, tf_tensor b);
/* torch.einsum over n tensors; the equation is length bytes of ASCII (no NUL needed). */
TF_EXPORT tf_tensor tf_einsum(const char* equation, int32_t length, const tf_tensor* ts, int32_t n);
/* Cumulative sum along dim (integers and bools sum as int64). */
TF_EXPORT tf_tensor tf_cumsum(tf_tensor t, int64_t dim);
/* Cumulative product along dim. */
TF_EXPORT tf_tensor tf_cumprod(tf_tensor t, int64_t dim);
/* Product of all elements when has_dim is 0, else along dim. */
TF_EXPORT tf_tensor tf_prod(tf_tensor t, int64_t dim, int32_t has_dim, int32_t keepdim);
/* Standard deviation over dims (ndims == 0: every element), Bessel-corrected when unbiased. */
TF_EXPORT tf_tensor tf_std(tf_tensor t, const int64_t* dims, int32_t ndims, int32_t unbiased, int32_t keepdim);
/* Variance over dims (ndims == 0: every element), Bessel-corrected when unbiased. */
TF_EXPORT tf_tensor tf_var(tf_tensor t, const int64_t* dims, int32_t ndims, int32_t unbiased, int32_t keepdim);
/* The p-norm over dims (ndims == 0: every element, as torch.norm(t, p)). */
TF_EXPORT tf_tensor tf_norm(tf_tensor t, double p, const int64_t* dims, int32_t ndims, int32_t keepdim);
/* log(sum(exp(t))) over dims, computed stably. */
TF_EXPORT tf_tensor tf_logsumexp(tf_tensor t, const int64_t* dims, int32_t ndims, int32_t keepdim);
/* 2-D average pooling over [N, C, H, W] or [C, H, W]. */
TF_EXPORT tf_tensor tf_avg_pool2d(tf_tensor input, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                                  int64_t padding_h, int64_t padding_w, int32_t ceil_mode, int32_t count_include_pad);
/* 2-D average pooling to an output of height x width. */
TF_EXPORT tf_tensor tf_adaptive_avg_pool2d(tf_tensor input, int64_t height, int64_t width);
/* An n x m matrix with ones on the diagonal. */
TF_EXPORT tf_tensor tf_eye(int64_t n, int64_t m, int32_t dtype);
/* steps evenly spaced values from start to end, both included. */
TF_EXPORT tf_tensor tf_linspace(double start, double end, int64_t steps, int32_t dtype);
/* Zeros shaped like t; dtype -1 keeps t's dtype (as in the three below). */
TF_EXPORT tf_tensor tf_zeros_like(tf_tensor t, int32_t dtype);
/* Ones shaped like t. */
TF_EXPORT tf_tensor tf_ones_like(tf_tensor t, int32_t dtype);
/* Uniform [0, 1) shaped like t, from the global generator (torch.rand_like). */
TF_EXPORT tf_tensor tf_rand_like(tf_tensor t, int32_t dtype);
/* Standard normal shaped like t, from the global generator (torch.randn_like). */
TF_EXPORT tf_tensor tf_randn_like(tf_tensor t, int32_t dtype);
/* Integers uniform in [low, high) from the global generator, like torch.randint. */
TF_EXPORT tf_tensor tf_randint(int64_t low, int64_t high, const int64_t* shape, int32_t ndim, int32_t dtype);

/* In place, status 0 on success: b broadcasts into a's shape and its dtype must cast to a's; a keeps its handle. */
/* a += alpha * b, in one fused loop (torch.optim.SGD's add_(grad, alpha=-lr)). */
TF_EXPORT int32_t tf_add_(tf_tensor a, tf_tensor b, double alpha);
/* a -= alpha * b, in one fused loop. */
TF_EXPORT int32_t tf_sub_(tf_tensor a, tf_tensor b, double alpha);
/* a *= b. */
TF_EXPORT int32_t tf_mul_(tf_tensor a, tf_tensor b);
/* a /= b (true division: an integer a is refused). */
TF_EXPORT int32_t tf_div_(tf_tensor a, tf_tensor b);
/* a += b for a number b, which acts like a Python scalar. */
TF_EXPORT int32_t tf_add_scalar_(tf_tensor a, double b);
/* a -= b for a number b. */
TF_EXPORT int32_t tf_sub_scalar_(tf_tensor a, double b);
/* a *= b for a number b. */
TF_EXPORT int32_t tf_mul_scalar_(tf_tensor a, double b);
/* a /= b for a number b. */
TF_EXPORT int32_t tf_div_scalar_(tf_tensor a, double b);
/* Sets every element of t to 0. */
TF_EXPORT int32_t tf_zero_(tf_tensor t);
/* Sets every element of t to value. */
TF_EXPORT int32_t tf_fill_(tf_tensor t, double value);
/* Copies src's values (broadcast, converted to t's dtype) into t. */
TF_EXPORT int32_t tf_copy_(tf_tensor t, tf_tensor src);
/* Clamps t's elements into [low, high] in place. */
TF_EXPORT int32_t tf_clamp_(tf_tensor t, double low, double high);
/* Refills t from U[low, high), drawn from the global generator like Tensor.uniform_. */
TF_EXPORT int32_t tf_uniform_(tf_tensor t, double low, double high);
/* Refills t from N(mean, std^2), drawn from the global generator like Tensor.normal_. */
TF_EXPORT int32_t tf_normal_(tf_tensor t, double mean, double std);
/* torch.nn.utils.clip_grad_norm_ over every gradient in the store; writes the total norm (before clipping) to out[0]. */
TF_EXPORT int32_t tf_store_clip_grad_norm(tf_store store, double max_norm, double norm_type, double* total_norm);
/* torch.nn.utils.clip_grad_value_: clamps every gradient in the store into [-clip_value, clip_value]. */
TF_EXPORT int32_t tf_store_clip_grad_value(tf_store store, double clip_value);

/* ---- comparison, selection and shape (select.cpp) ---- */

/* Elementwise >=, <= and != with broadcasting, as bool tensors. */
TF_EXPORT tf_tensor tf_ge(tf_tensor a, tf_tensor b);
TF_EXPORT tf_tensor tf_le(tf_tensor a, tf_tensor b);
TF_EXPORT tf_tensor tf_ne(tf_tensor a, tf_tensor b);
/* The same against a number (an integral value acts like a Python int). */
TF_EXPORT tf_tensor tf_ge_scalar(tf_tensor a, double b);
TF_EXPORT tf_tensor tf_le_scalar(tf_tensor a, double b);
TF_EXPORT tf_tensor tf_ne_scalar(tf_tensor a, double b);
/* torch.where(cond, a, b); a NULL a or b means the number a_value or b_value instead. */
TF_EXPORT tf_tensor tf_where(tf_tensor cond, tf_tensor a, double a_value, tf_tensor b, double b_value);
/* t.masked_fill(mask, value): value is a 0-dim tensor, or the number when value is NULL. */
TF_EXPORT tf_tensor tf_masked_fill(tf_tensor t, tf_tensor mask, tf_tensor value, double number);
/* t.gather(dim, index) with an int64 index. */
TF_EXPORT tf_tensor tf_gather(tf_tensor t, int64_t dim, tf_tensor index);
/* t.scatter(dim, index, src), or with the number value when src is NULL. */
TF_EXPORT tf_tensor tf_scatter(tf_tensor t, int64_t dim, tf_tensor index, tf_tensor src, double value);
TF_EXPORT tf_tensor tf_scatter_add(tf_tensor t, int64_t dim, tf_tensor index, tf_tensor src);
/* The k largest (or smallest) entries along dim: writes the values and int64 indices handles into out[0], out[1]. */
TF_EXPORT int32_t tf_topk(tf_tensor t, int64_t k, int64_t dim, int32_t largest, int32_t sorted, tf_tensor* out);
/* Sorts along dim: writes the values and int64 indices handles into out[0], out[1]. */
TF_EXPORT int32_t tf_sort(tf_tensor t, int64_t dim, int32_t descending, int32_t stable, tf_tensor* out);
/* The indices tf_sort would give. */
TF_EXPORT tf_tensor tf_argsort(tf_tensor t, int64_t dim, int32_t descending, int32_t stable);
/* Index of the minimum (int64); of the flattened tensor when has_dim is 0. */
TF_EXPORT tf_tensor tf_argmin(tf_tensor t, int64_t dim, int32_t has_dim, int32_t keepdim);
/* Maximum / minimum along dim: writes the values and int64 indices handles into out[0], out[1]. */
TF_EXPORT int32_t tf_max_along(tf_tensor t, int64_t dim, int32_t keepdim, tf_tensor* out);
TF_EXPORT int32_t tf_min_along(tf_tensor t, int64_t dim, int32_t keepdim, tf_tensor* out);
/* Shape ops (shape_ops.cpp). Python's t[start:end:step] along dim (step > 0); negative start and end
   count from the end, and both are clamped to the dim, so an end past the size means "to the end". */
TF_EXPORT tf_tensor tf_slice(tf_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step);
/* A broadcast view of t with the given shape (-1 keeps a size; negative sizes are refused). */
TF_EXPORT tf_tensor tf_expand(tf_tensor t, const int64_t* shape, int32_t ndim);
TF_EXPORT tf_tensor tf_expand_as(tf_tensor t, tf_tensor other);
/* t tiled reps[i] times along each dim (like Tensor.repeat). */
TF_EXPORT tf_tensor tf_repeat(tf_tensor t, const int64_t* reps, int32_t n);
/* Cuts t along dim into pieces of sizes[0] (the last may be smaller) or, when with_sizes is non-zero, of
   the nsizes sizes. Returns the number of pieces, or -1 on failure; they are made and their handles
   written into out only when they fit in cap, so a caller with too small a buffer learns how many
   there would be and calls again with room for them all (or refuses so many). */
TF_EXPORT int64_t tf_split(tf_tensor t, const int64_t* sizes, int32_t nsizes, int32_t with_sizes, int64_t dim, tf_tensor* out,
                           int32_t cap);
/* Cuts t along dim into at most chunks pieces (like torch.chunk); returns and writes as tf_split. */
TF_EXPORT int64_t tf_chunk(tf_tensor t, int64_t chunks, int64_t dim, tf_tensor* out, int32_t cap);
/* Reverses the order along each of dims. */
TF_EXPORT tf_tensor tf_flip(tf_tensor t, const int64_t* dims, int32_t ndims);
/* Rolls by shifts along dims; with no dims, rolls the flattened tensor (one shift) and restores the shape. */
TF_EXPORT tf_tensor tf_roll(tf_tensor t, const int64_t* shifts, int32_t nshifts, const int64_t* dims, int32_t ndims);
/* Lower / upper triangle of the last two dims from diagonal k up / down; the rest set to zero. */
TF_EXPORT tf_tensor tf_tril(tf_tensor t, int64_t k);
TF_EXPORT tf_tensor tf_triu(tf_tensor t, int64_t k);

/* ---- normalisation layers (norm.cpp) ---- */

/* BatchNorm's forward, as nn.BatchNorm{1,2}d runs it: batch statistics when training (a batch with one value
   per channel is refused), the running ones otherwise. running_mean/running_var (both or neither NULL) are
   updated in place when training, with factor momentum, or 1/(batches seen) when cumulative is non-zero;
   num_batches_tracked (int64, may be NULL) is incremented after a successful training step. */
TF_EXPORT tf_tensor tf_batch_norm(tf_tensor input, tf_tensor weight, tf_tensor bias, tf_tensor running_mean,
                                  tf_tensor running_var, tf_tensor num_batches_tracked, int32_t training, double momentum,
                                  int32_t cumulative, double eps);
/* at::layer_norm over the last ndim dims of input; weight and bias may be NULL. */
TF_EXPORT tf_tensor tf_layer_norm(tf_tensor input, const int64_t* normalized_shape, int32_t ndim, tf_tensor weight,
                                  tf_tensor bias, double eps);

/* ---- embedding and recurrent layers (rnn.cpp) ---- */

/* at::embedding: rows of weight [count, dim] picked by integer indices (any shape); the row padding_idx
   (or none when negative) gets no gradient, as nn.Embedding's padding_idx. */
TF_EXPORT tf_tensor tf_embedding(tf_tensor weight, tf_tensor indices, int64_t padding_idx);
/* One fused LSTM (mode 0, at::lstm) or GRU (mode 1, at::gru) over every layer and direction. params holds
   nparams weights in PyTorch's order (per layer, per direction: w_ih, w_hh, then b_ih, b_hh when has_biases).
   h0 (and c0 for an LSTM) are [num_layers * directions, batch, hidden_size], or NULL for zeros. Writes the
   output, h_n and (LSTM only) c_n handles into out[0..2]. dropout applies between layers when train != 0. */
TF_EXPORT int32_t tf_rnn(int32_t mode, tf_tensor input, tf_tensor h0, tf_tensor c0, const tf_tensor* params,
                         int32_t nparams, int32_t has_biases, int64_t num_layers, int64_t hidden_size, double dropout,
                         int32_t train, int32_t bidirectional, int32_t batch_first, tf_tensor* out);

/* ---- AdamW and RMSprop on the parameter store, and the buffers no optimizer steps (optim_more.cpp, store.cpp; issue 12 part B) ---- */

/* One step of torch.optim.AdamW(lr, betas, eps, weight_decay) (decoupled decay); shares Adam's moments and step counts. */
TF_EXPORT int32_t tf_store_adamw(tf_store store, double lr, double beta1, double beta2, double eps, double weight_decay);
/* One step of torch.optim.RMSprop(lr, alpha, eps, weight_decay, momentum, centered != 0); state kinds 3 square_avg, 4 grad_avg, 0 momentum. */
TF_EXPORT int32_t tf_store_rmsprop(tf_store store, double lr, double alpha, double eps, double weight_decay, double momentum,
                                   int32_t centered);
/* Adds a reference to t as a buffer: like tf_store_push, but no optimizer step ever changes it. Its id, or -1. */
TF_EXPORT int64_t tf_store_push_buffer(tf_store store, tf_tensor t);
/* Replaces tensor id's RMSprop averages with copies of the given tensors (NULL: none). */
TF_EXPORT int32_t tf_store_restore_rmsprop_state(tf_store store, int64_t id, tf_tensor square_avg, tf_tensor grad_avg);

/* ---- process groups over c10d's TCPStore and Gloo, as torch.distributed makes them (dist.cpp, dist_buckets.cpp) ---- */

typedef struct tf_group_opaque* tf_group;

/* 1 if this library was built with Gloo (libgloo-dev present), 0 if every tf_dist_* call fails saying so. */
TF_EXPORT int32_t tf_dist_available(void);
/* Joins the group at address:port (rank 0 serves the store there) like init_process_group("gloo", env://); NULL on failure.
   With check non-zero every collective first confirms that all ranks pass the same shapes (Python ranks do not: pass 0). */
TF_EXPORT tf_group tf_dist_init(const char* address, int32_t port, int32_t rank, int32_t world_size, int64_t timeout_ms,
                                int32_t check);
/* Leaves the group and frees it; NULL is ignored. Never fails. */
TF_EXPORT void tf_dist_free(tf_group group);
/* A new tensor: t reduced over every rank; op 0 sum, 1 mean, 2 max, 3 min. */
TF_EXPORT tf_tensor tf_dist_all_reduce(tf_group group, tf_tensor t, int32_t op);
/* Overwrites t in place with rank src's t, without recording gradients. */
TF_EXPORT int32_t tf_dist_broadcast(tf_group group, tf_tensor t, int32_t src);
/* Returns when every rank has called it. */
TF_EXPORT int32_t tf_dist_barrier(tf_group group);
/* Averages the gradients of the n tensors that require one over all ranks, in buckets of one collective each, and
   averages the n_values doubles of values in place along with them (a tensor no rank has a gradient for keeps none). */
TF_EXPORT int32_t tf_dist_average_gradients(tf_group group, const tf_tensor* params, int32_t n, double* values, int32_t n_values);
/* Overwrites the n tensors in place with rank src's values, in buckets of one collective each. */
TF_EXPORT int32_t tf_dist_broadcast_tensors(tf_group group, const tf_tensor* tensors, int32_t n, int32_t src);

#ifdef __cplusplus
}
#endif

#endif
