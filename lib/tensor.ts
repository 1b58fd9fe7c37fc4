/**
 * `Tensor`: a handle to a LibTorch tensor with PyTorch's methods in camelCase.
 * Every method returns a new tensor (views share storage, as in PyTorch) and
 * never changes its receiver, except the in-place ops named with PyTorch's
 * trailing underscore (`add_`, `zero_`...), which change it and return it.
 * The methods live in `lib/tensor/`, one concept per file (core, shape, math,
 * grad, nn, compare, select, sort, rearrange, inplace, unary, reduce, pool);
 * this file assembles the class.
 *
 * @module
 */
import type { Handle } from "./ffi/symbols.ts";
import { setTensorFactory } from "./tensor/core.ts";
import { TensorPool } from "./tensor/pool.ts";

/** Nested arrays of numbers (or booleans) as `toArray()` returns them. */
export type { NestedArray } from "./format.ts";
export { type Conv2dOptions, operand, wrap } from "./tensor/core.ts";
export { type AvgPool2dOptions } from "./tensor/pool.ts";
export { type StdOptions } from "./tensor/reduce.ts";
export { where } from "./tensor/compare.ts";
export { type ValuesAndIndices } from "./tensor/multi.ts";
export { type SortOptions, type TopkOptions } from "./tensor/sort.ts";

/**
 * An n-dimensional array in native memory, with autograd. Make one with
 * `tensor()`, `zeros()`, `randn()` and friends; free it with `dispose()`,
 * `using`, or by creating it inside `tidy()`.
 *
 * @example
 * ```ts
 * import { tensor } from "../mod.ts";
 * const a = tensor([[1, 2], [3, 4]]);
 * const b = a.matmul(a).add(1);
 * console.log(b.shape, b.toArray()); // [2, 2] [[8, 11], [16, 23]]
 * ```
 */
export class Tensor extends TensorPool {
  /** @internal Use `tensor()`, `zeros()` and the other creation functions. */
  constructor(handle: NonNullable<Handle>) {
    super(handle);
  }
}

setTensorFactory((handle) => new Tensor(handle));
