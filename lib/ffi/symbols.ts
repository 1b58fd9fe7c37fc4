/**
 * The one table of C symbols exported by `build/libtorchffi.so`, written in a
 * runtime-neutral vocabulary that `deno.ts` and `bun.ts` translate to their own
 * FFI types. Every other file calls the library through the typed `NativeSymbols`
 * derived from this table, so a signature is written once.
 *
 * Vocabulary: `tensor`, `store`, `module`, `job` and `group` are opaque handles (NULL on failure),
 * `buffer` a typed array passed by pointer, `pointer` an address of memory the library owns
 * (read through `NativeLibrary.view`), `i32`/`i64`/`f64` numbers, `void` nothing.
 * A symbol marked `nonblocking` may run off the JavaScript thread (Deno binds it
 * as a nonblocking call returning a Promise); only the adapters call it.
 *
 * @module
 */

/** A type in the symbol table's vocabulary. */
export type NativeType = "tensor" | "store" | "module" | "job" | "group" | "buffer" | "pointer" | "i32" | "i64" | "f64" | "void";

/** One C function: its argument types and result type. */
export interface SymbolSpec {
  readonly args: readonly NativeType[];
  readonly returns: NativeType;
  readonly nonblocking?: true;
}

const T = "tensor", S = "store", M = "module", J = "job", G = "group", B = "buffer", P = "pointer", I32 = "i32", I64 = "i64", F64 = "f64", V = "void";
const unary = { args: [T], returns: T } as const;
const binary = { args: [T, T], returns: T } as const;
const withScalar = { args: [T, F64], returns: T } as const;
const creation = { args: [B, I32, I32], returns: T } as const;
const reduction = { args: [T, B, I32, I32], returns: T } as const;
const reductionToDim = { args: [T, I64, I32, I32], returns: T } as const;

/**
 * Every exported `tf_*` function. Comments for each live in `csrc/torchffi.h`.
 *
 * @example
 * ```ts
 * import { symbols } from "./symbols.ts";
 * console.log(symbols.tf_add.args); // ["tensor", "tensor"]
 * ```
 */
export const symbols = {
  tf_last_error: { args: [B, I32], returns: I32 },
  tf_live_tensors: { args: [], returns: I64 },
  tf_free: { args: [T], returns: V },
  tf_free_many: { args: [B, I32], returns: V },
  tf_warnings_init: { args: [], returns: P },
  tf_take_warning: { args: [B, I32], returns: I32 },

  tf_from_data: { args: [B, I64, B, I32, I32], returns: T },
  tf_copy_out: { args: [T, I32, B, I64], returns: I32 },
  tf_meta: { args: [T, B, I32], returns: I32 },
  tf_item: { args: [T, B], returns: I32 },
  tf_zeros: creation,
  tf_ones: creation,
  tf_full: { args: [B, I32, F64, I32], returns: T },
  tf_rand: creation,
  tf_randn: creation,
  tf_arange: { args: [F64, F64, F64, I32], returns: T },
  tf_manual_seed: { args: [I64], returns: I32 },
  tf_set_num_threads: { args: [I32], returns: I32 },
  tf_get_num_threads: { args: [], returns: I32 },
  tf_tune_allocator: { args: [I64, I64], returns: I32 },
  tf_uniform: { args: [B, I32, F64, F64, I32], returns: T },
  tf_randperm: { args: [I64], returns: T },

  tf_view: { args: [T, B, I32], returns: T },
  tf_reshape: { args: [T, B, I32], returns: T },
  tf_flatten: { args: [T, I64, I64], returns: T },
  tf_unsqueeze: { args: [T, I64], returns: T },
  tf_squeeze: { args: [T, I64, I32], returns: T },
  tf_transpose: { args: [T, I64, I64], returns: T },
  tf_t: unary,
  tf_permute: { args: [T, B, I32], returns: T },
  tf_narrow: { args: [T, I64, I64, I64], returns: T },
  tf_select: { args: [T, I64, I64], returns: T },
  tf_index_select: { args: [T, I64, T], returns: T },
  tf_cat: { args: [B, I32, I64], returns: T },
  tf_stack: { args: [B, I32, I64], returns: T },
  tf_contiguous: unary,

  tf_add: binary,
  tf_sub: binary,
  tf_mul: binary,
  tf_div: binary,
  tf_pow: binary,
  tf_eq: binary,
  tf_gt: binary,
  tf_lt: binary,
  tf_matmul: binary,
  tf_add_scalar: withScalar,
  tf_sub_scalar: withScalar,
  tf_mul_scalar: withScalar,
  tf_div_scalar: withScalar,
  tf_pow_scalar: withScalar,
  tf_eq_scalar: withScalar,
  tf_gt_scalar: withScalar,
  tf_lt_scalar: withScalar,
  tf_neg: unary,
  tf_exp: unary,
  tf_log: unary,
  tf_sqrt: unary,
  tf_abs: unary,
  tf_relu: unary,
  tf_sigmoid: unary,
  tf_tanh: unary,
  tf_clamp: { args: [T, F64, F64], returns: T },
  tf_softmax: { args: [T, I64], returns: T },
  tf_log_softmax: { args: [T, I64], returns: T },
  tf_to_dtype: { args: [T, I32], returns: T },
  tf_clone: unary,
  tf_detach: unary,

  tf_sum: reduction,
  tf_mean: reduction,
  tf_max: reductionToDim,
  tf_min: reductionToDim,
  tf_argmax: reductionToDim,

  tf_requires_grad: { args: [T], returns: I32 },
  tf_set_requires_grad: { args: [T, I32], returns: I32 },
  tf_backward: { args: [T, T], returns: I32 },
  tf_has_grad: { args: [T], returns: I32 },
  tf_grad: unary,
  tf_grad_state: { args: [T, T], returns: I32 },
  tf_zero_grad: { args: [T], returns: I32 },
  tf_set_grad_enabled: { args: [I32], returns: I32 },

  tf_linear: { args: [T, T, T], returns: T },
  tf_conv2d: { args: [T, T, T, I64, I64, I64, I64, I64, I64, I64], returns: T },
  tf_max_pool2d: { args: [T, I64, I64, I64, I64, I64, I64], returns: T },
  tf_cross_entropy: binary,
  tf_mse_loss: binary,
  tf_dropout: { args: [T, F64, I32], returns: T },

  tf_store_new: { args: [], returns: S },
  tf_store_free: { args: [S], returns: V },
  tf_store_push: { args: [S, T], returns: I64 },
  tf_store_get: { args: [S, I64], returns: T },
  tf_store_assign: { args: [S, I64, T], returns: I32 },
  tf_store_zero_grad: { args: [S], returns: I32 },
  tf_store_sgd: { args: [S, F64], returns: I32 },
  tf_store_sgd_momentum: { args: [S, F64, F64], returns: I32 },
  tf_store_adam: { args: [S, F64, F64, F64, F64, F64], returns: I32 },
  tf_store_has_state: { args: [S, I64, I32], returns: I32 },
  tf_store_state: { args: [S, I64, I32], returns: T },
  tf_store_adam_steps: { args: [S, I64], returns: I64 },
  tf_store_restore_state: { args: [S, I64, T, T, T, I64], returns: I32 },
  tf_get_rng_state: { args: [], returns: T },
  tf_set_rng_state: { args: [T], returns: I32 },

  tf_script_load: { args: [B], returns: M },
  tf_script_free: { args: [M], returns: V },
  tf_script_save: { args: [M, B], returns: I32 },
  tf_script_train: { args: [M, I32], returns: I32 },
  tf_script_named: { args: [M, I32, B, I32, B, I64, B], returns: I32 },
  tf_script_forward: { args: [M, B, I32, B, I32, B], returns: I32 },
  tf_script_job: { args: [M, B, I32], returns: J },
  tf_job_run: { args: [J], returns: I32, nonblocking: true },
  tf_job_start: { args: [J], returns: I32 },
  tf_job_done: { args: [J], returns: I32 },
  tf_job_result: { args: [J, B, I32, B], returns: I32 },
  tf_job_free: { args: [J], returns: V },

  // More maths, creation and in-place ops (csrc/math_ops.cpp, csrc/inplace.cpp).
  tf_silu: unary,
  tf_sin: unary,
  tf_cos: unary,
  tf_floor: unary,
  tf_ceil: unary,
  tf_round: unary,
  tf_sign: unary,
  tf_reciprocal: unary,
  tf_rsqrt: unary,
  tf_minimum: binary,
  tf_maximum: binary,
  tf_gelu: { args: [T, I32], returns: T },
  tf_leaky_relu: withScalar,
  tf_softplus: { args: [T, F64, F64], returns: T },
  tf_bmm: binary,
  tf_einsum: { args: [B, I32, B, I32], returns: T },
  tf_cumsum: { args: [T, I64], returns: T },
  tf_cumprod: { args: [T, I64], returns: T },
  tf_prod: reductionToDim,
  tf_std: { args: [T, B, I32, I32, I32], returns: T },
  tf_var: { args: [T, B, I32, I32, I32], returns: T },
  tf_norm: { args: [T, F64, B, I32, I32], returns: T },
  tf_logsumexp: reduction,
  tf_avg_pool2d: { args: [T, I64, I64, I64, I64, I64, I64, I32, I32], returns: T },
  tf_adaptive_avg_pool2d: { args: [T, I64, I64], returns: T },
  tf_eye: { args: [I64, I64, I32], returns: T },
  tf_linspace: { args: [F64, F64, I64, I32], returns: T },
  tf_zeros_like: { args: [T, I32], returns: T },
  tf_ones_like: { args: [T, I32], returns: T },
  tf_rand_like: { args: [T, I32], returns: T },
  tf_randn_like: { args: [T, I32], returns: T },
  tf_randint: { args: [I64, I64, B, I32, I32], returns: T },
  tf_add_: { args: [T, T, F64], returns: I32 },
  tf_sub_: { args: [T, T, F64], returns: I32 },
  tf_mul_: { args: [T, T], returns: I32 },
  tf_div_: { args: [T, T], returns: I32 },
  tf_add_scalar_: { args: [T, F64], returns: I32 },
  tf_sub_scalar_: { args: [T, F64], returns: I32 },
  tf_mul_scalar_: { args: [T, F64], returns: I32 },
  tf_div_scalar_: { args: [T, F64], returns: I32 },
  tf_zero_: { args: [T], returns: I32 },
  tf_fill_: { args: [T, F64], returns: I32 },
  tf_copy_: { args: [T, T], returns: I32 },
  tf_clamp_: { args: [T, F64, F64], returns: I32 },
  tf_uniform_: { args: [T, F64, F64], returns: I32 },
  tf_normal_: { args: [T, F64, F64], returns: I32 },
  tf_store_clip_grad_norm: { args: [S, F64, F64, B], returns: I32 },
  tf_store_clip_grad_value: { args: [S, F64], returns: I32 },

  // Comparison, selection and shape (csrc/select.cpp, csrc/shape_ops.cpp). A
  // `buffer` after the inputs is an out buffer that receives result handles.
  tf_ge: binary,
  tf_le: binary,
  tf_ne: binary,
  tf_ge_scalar: withScalar,
  tf_le_scalar: withScalar,
  tf_ne_scalar: withScalar,
  tf_where: { args: [T, T, F64, T, F64], returns: T },
  tf_masked_fill: { args: [T, T, T, F64], returns: T },
  tf_gather: { args: [T, I64, T], returns: T },
  tf_scatter: { args: [T, I64, T, T, F64], returns: T },
  tf_scatter_add: { args: [T, I64, T, T], returns: T },
  tf_topk: { args: [T, I64, I64, I32, I32, B], returns: I32 },
  tf_sort: { args: [T, I64, I32, I32, B], returns: I32 },
  tf_argsort: { args: [T, I64, I32, I32], returns: T },
  tf_argmin: reductionToDim,
  tf_max_along: { args: [T, I64, I32, B], returns: I32 },
  tf_min_along: { args: [T, I64, I32, B], returns: I32 },
  tf_slice: { args: [T, I64, I64, I64, I64], returns: T },
  tf_expand: { args: [T, B, I32], returns: T },
  tf_expand_as: binary,
  tf_repeat: { args: [T, B, I32], returns: T },
  tf_split: { args: [T, B, I32, I32, I64, B, I32], returns: I64 },
  tf_chunk: { args: [T, I64, I64, B, I32], returns: I64 },
  tf_flip: { args: [T, B, I32], returns: T },
  tf_roll: { args: [T, B, I32, B, I32], returns: T },
  tf_tril: { args: [T, I64], returns: T },
  tf_triu: { args: [T, I64], returns: T },
  // normalisation layers (norm.cpp)
  tf_batch_norm: { args: [T, T, T, T, T, T, I32, F64, I32, F64], returns: T },
  tf_layer_norm: { args: [T, B, I32, T, T, F64], returns: T },

  // Embedding and the recurrent layers (csrc/rnn.cpp); tf_rnn writes its result handles into the last buffer.
  tf_embedding: { args: [T, T, I64], returns: T },
  tf_rnn: { args: [I32, T, T, T, B, I32, I32, I64, I64, F64, I32, I32, I32, B], returns: I32 },
  // AdamW and RMSprop on the store (issue 12 part B).
  tf_store_adamw: { args: [S, F64, F64, F64, F64, F64], returns: I32 },
  tf_store_rmsprop: { args: [S, F64, F64, F64, F64, F64, I32], returns: I32 },
  tf_store_restore_rmsprop_state: { args: [S, I64, T, T], returns: I32 },
  tf_store_push_buffer: { args: [S, T], returns: I64 },

  tf_dist_available: { args: [], returns: I32 },
  tf_dist_init: { args: [B, I32, I32, I32, I64, I32], returns: G },
  tf_dist_free: { args: [G], returns: V },
  tf_dist_all_reduce: { args: [G, T, I32], returns: T },
  tf_dist_broadcast: { args: [G, T, I32], returns: I32 },
  tf_dist_barrier: { args: [G], returns: I32 },
  tf_dist_average_gradients: { args: [G, B, I32, B, I32], returns: I32 },
  tf_dist_broadcast_tensors: { args: [G, B, I32, I32], returns: I32 },
} as const satisfies Record<string, SymbolSpec>;

/** The names of every C function in the table. */
export type SymbolName = keyof typeof symbols;

/**
 * An opaque tensor handle as the runtime's FFI hands it out (a pointer object
 * in Deno, a number in Bun). Only `lib/ffi/` looks inside; `null` means failure.
 */
export type Handle = { readonly __torchffiHandle: unique symbol } | null;

/** An address of memory the library owns, as the runtime's FFI hands it out; `null` is NULL. */
export type NativePointer = { readonly __torchffiPointer: unique symbol } | null;

/** An opaque handle to a parameter store (the C side of `Memory`). */
export type StoreHandle = { readonly __torchffiStore: unique symbol } | null;

/** An opaque handle to a TorchScript module (the C side of `ScriptModule`). */
export type ModuleHandle = { readonly __torchffiModule: unique symbol } | null;

/** An opaque handle to a pending forward call (see `tf_script_job`). */
export type JobHandle = { readonly __torchffiJob: unique symbol } | null;

/** An opaque handle to a process group (the C side of `ProcessGroup`). */
export type GroupHandle = { readonly __torchffiGroup: unique symbol } | null;

type JsArg<T extends NativeType> = T extends "tensor" ? Handle
  : T extends "store" ? StoreHandle
  : T extends "module" ? ModuleHandle
  : T extends "job" ? JobHandle
  : T extends "group" ? GroupHandle
  : T extends "buffer" ? ArrayBufferView
  : number;
type JsResult<T extends NativeType> = T extends "tensor" ? Handle
  : T extends "store" ? StoreHandle
  : T extends "group" ? GroupHandle
  : T extends "pointer" ? NativePointer
  : T extends "module" ? ModuleHandle
  : T extends "job" ? JobHandle
  : T extends "void" ? void
  : T extends "i64" ? number | bigint
  : number;
type JsArgs<A extends readonly NativeType[]> = { [K in keyof A]: JsArg<A[K]> };

/** The callable functions of the opened library, typed from `symbols`. */
export type NativeSymbols = {
  [K in SymbolName]: (
    ...args: JsArgs<(typeof symbols)[K]["args"]>
  ) => JsResult<(typeof symbols)[K]["returns"]>;
};

/** What a runtime adapter (`deno.ts`, `bun.ts`) provides. */
export interface NativeLibrary {
  /** The bound C functions. */
  readonly symbols: NativeSymbols;
  /** Frees the first `count` handles of `handles` in as few calls as the runtime allows. */
  freeMany(handles: readonly Handle[], count: number): void;
  /** Packs handles into a buffer of C pointers, for functions that take a tensor list. */
  handleList(handles: readonly Handle[]): ArrayBufferView;
  /** The `byteLength` bytes the library owns at `pointer`, readable without a call into C. */
  view(pointer: NonNullable<NativePointer>, byteLength: number): ArrayBuffer;
  /** A zeroed buffer with room for `capacity` C pointers, for functions that hand out tensor lists. */
  outputList(capacity: number): ArrayBufferView;
  /**
   * The first `count` handles a C function wrote into `list`, a buffer of C
   * pointers made by `outputList` (or an Int32Array of two words a pointer).
   */
  readHandles(list: ArrayBufferView, count: number): Handle[];
  /**
   * Runs a job (`tf_script_job`) off the JavaScript thread; resolves when it has
   * finished, well or not (`tf_job_result` tells which).
   */
  runJob(job: NonNullable<JobHandle>): Promise<void>;
}
