/**
 * More ways to make tensors: identity matrices, evenly spaced values, tensors
 * shaped like another, random integers.
 *
 * @module
 */
import { type DType, dtypeCode } from "./dtype.ts";
import { TorchError } from "./errors.ts";
import { native } from "./ffi/library.ts";
import { int64List } from "./ffi/marshal.ts";
import { operand, type Tensor, wrap } from "./tensor.ts";

function count(op: string, name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new TorchError(op, `${name} must be a non-negative integer, got ${String(value)}`);
  return value;
}

function finite(op: string, name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new TorchError(op, `${name} must be a finite number, got ${String(value)}`);
  return value;
}

/**
 * An `n x m` matrix (square when `m` is omitted) with ones on the diagonal.
 *
 * @example
 * ```ts
 * eye(2).toArray(); // [[1, 0], [0, 1]]
 * eye(2, 3, "int64").shape; // [2, 3]
 * ```
 */
export function eye(n: number, m?: number, dtype: DType = "float32"): Tensor {
  count("eye", "n", n);
  const cols = m === undefined ? n : count("eye", "m", m);
  return wrap(native.tf_eye(n, cols, dtypeCode("eye", dtype)), "eye");
}

/**
 * `steps` evenly spaced values from `start` to `end`, both included, like `torch.linspace`.
 *
 * @example
 * ```ts
 * linspace(0, 1, 5).toArray(); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, end: number, steps: number, dtype: DType = "float32"): Tensor {
  finite("linspace", "start", start);
  finite("linspace", "end", end);
  count("linspace", "steps", steps);
  return wrap(native.tf_linspace(start, end, steps, dtypeCode("linspace", dtype)), "linspace");
}

type LikeFn = "tf_zeros_like" | "tf_ones_like" | "tf_rand_like" | "tf_randn_like";

function like(op: string, fn: LikeFn, t: Tensor, dtype: DType | undefined): Tensor {
  const h = operand(t, op);
  return wrap(native[fn](h, dtype === undefined ? -1 : dtypeCode(op, dtype)), op);
}

/**
 * Zeros with the shape (and, unless given, the dtype) of `t`.
 *
 * @example
 * ```ts
 * zerosLike(tensor([[1, 2]])).toArray(); // [[0, 0]]
 * ```
 */
export function zerosLike(t: Tensor, dtype?: DType): Tensor {
  return like("zerosLike", "tf_zeros_like", t, dtype);
}

/**
 * Ones with the shape (and, unless given, the dtype) of `t`.
 *
 * @example
 * ```ts
 * onesLike(tensor([1, 2], undefined, "int64")).toArray(); // [1, 1]
 * ```
 */
export function onesLike(t: Tensor, dtype?: DType): Tensor {
  return like("onesLike", "tf_ones_like", t, dtype);
}

/**
 * Uniform numbers in [0, 1) shaped like `t`, from the global generator (`torch.rand_like`).
 *
 * @example
 * ```ts
 * randLike(zeros([2, 3])).shape; // [2, 3]
 * ```
 */
export function randLike(t: Tensor, dtype?: DType): Tensor {
  return like("randLike", "tf_rand_like", t, dtype);
}

/**
 * Standard normal numbers shaped like `t`, from the global generator (`torch.randn_like`).
 *
 * @example
 * ```ts
 * const noise = randnLike(image).mul(0.1);
 * ```
 */
export function randnLike(t: Tensor, dtype?: DType): Tensor {
  return like("randnLike", "tf_randn_like", t, dtype);
}

/**
 * Integers uniform in `[low, high)` from the global generator: the same
 * numbers as `torch.randint(low, high, shape)` after the same `manualSeed`.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * randint(0, 10, [5]).dtype; // "int64"
 * ```
 */
export function randint(low: number, high: number, shape: readonly number[], dtype: DType = "int64"): Tensor {
  for (const [name, v] of [["low", low], ["high", high]] as const) {
    if (!Number.isSafeInteger(v)) throw new TorchError("randint", `${name} must be an integer, got ${String(v)}`);
  }
  return wrap(native.tf_randint(low, high, int64List("randint", shape), shape.length, dtypeCode("randint", dtype)), "randint");
}
