/**
 * The one table of C symbols exported by `build/libtorchffi.so`, written in a
 * runtime-neutral vocabulary that `deno.ts` and `bun.ts` translate to their own
 * FFI types. Every other file calls the library through the typed `NativeSymbols`
 * derived from this table, so a signature is written once.
 *
 * Vocabulary: `tensor`, `store` and `group` are opaque handles (NULL on failure), `buffer` a typed
 * array passed by pointer, `i32`/`i64`/`f64` numbers, `void` nothing.
 *
 * @module
 */

/** A type in the symbol table's vocabulary. */
export type NativeType = "tensor" | "store" | "group" | "buffer" | "i32" | "i64" | "f64" | "void";

/** One C function: its argument types and result type. */
export interface SymbolSpec {
  readonly args: readonly NativeType[];
  readonly returns: NativeType;
}

const T = "tensor", S = "store", G = "group", B = "buffer", I32 = "i32", I64 = "i64", F64 = "f64", V = "void";
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

/** An opaque handle to a parameter store (the C side of `Memory`). */
export type StoreHandle = { readonly __torchffiStore: unique symbol } | null;

/** An opaque handle to a process group (the C side of `ProcessGroup`). */
export type GroupHandle = { readonly __torchffiGroup: unique symbol } | null;

type JsArg<T extends NativeType> = T extends "tensor" ? Handle
  : T extends "store" ? StoreHandle
  : T extends "group" ? GroupHandle
  : T extends "buffer" ? ArrayBufferView
  : number;
type JsResult<T extends NativeType> = T extends "tensor" ? Handle
  : T extends "store" ? StoreHandle
  : T extends "group" ? GroupHandle
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
}
