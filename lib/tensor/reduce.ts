/**
 * More reductions of `Tensor`: cumulative sums and products, product,
 * standard deviation and variance, norms, log-sum-exp.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { native } from "../ffi/library.ts";
import { int64List } from "../ffi/marshal.ts";
import type { Tensor } from "../tensor.ts";
import { dimList, int, wrap } from "./core.ts";
import { numberArg } from "./inplace.ts";
import { TensorUnary } from "./unary.ts";

/**
 * Options of `std` and `var`.
 *
 * @example
 * ```ts
 * const options: StdOptions = { unbiased: false, keepdim: true };
 * tensor([[1, 3]]).std(1, options).toArray(); // [[1]]
 * ```
 */
export interface StdOptions {
  /** Divide by `n - 1` (Bessel's correction, PyTorch's default) instead of `n`. */
  unbiased?: boolean;
  /** Keep the reduced dims with size 1. */
  keepdim?: boolean;
}

function flag(op: string, name: string, value: unknown): number {
  if (typeof value !== "boolean") throw new TorchError(op, `${name} must be a boolean, got ${value === null ? "null" : typeof value}`);
  return value ? 1 : 0;
}

/** @internal More reductions of `Tensor`; part of `Tensor`. */
export abstract class TensorReduce extends TensorUnary {
  /**
   * Cumulative sum along `dim` (integers and bools sum as int64, as in PyTorch).
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).cumsum(0).toArray(); // [1, 3, 6]
   * ```
   */
  cumsum(dim: number): Tensor {
    return wrap(native.tf_cumsum(this.handleFor("cumsum"), int(dim, "cumsum")), "cumsum");
  }

  /**
   * Cumulative product along `dim`.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).cumprod(0).toArray(); // [1, 2, 6]
   * ```
   */
  cumprod(dim: number): Tensor {
    return wrap(native.tf_cumprod(this.handleFor("cumprod"), int(dim, "cumprod")), "cumprod");
  }

  /**
   * Product of all elements, or along `dim`.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).prod(1).toArray(); // [2, 12]
   * ```
   */
  prod(dim?: number, keepdim = false): Tensor {
    const h = this.handleFor("prod");
    const hasDim = dim === undefined ? 0 : 1;
    return wrap(native.tf_prod(h, dim === undefined ? 0 : int(dim, "prod"), hasDim, flag("prod", "keepdim", keepdim)), "prod");
  }

  /**
   * Standard deviation of all elements, or over `dims`; unbiased (divides by
   * `n - 1`) unless `{ unbiased: false }`.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3, 4]).std().item(); // 1.2909...
   * ```
   */
  std(dims?: number | readonly number[], options: StdOptions = {}): Tensor {
    return this.#spread("std", dims, options);
  }

  /**
   * Variance of all elements, or over `dims`; unbiased unless `{ unbiased: false }`.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3, 4]).var(0, { unbiased: false }).item(); // 1.25
   * ```
   */
  var(dims?: number | readonly number[], options: StdOptions = {}): Tensor {
    return this.#spread("var", dims, options);
  }

  #spread(op: "std" | "var", dims: number | readonly number[] | undefined, options: StdOptions): Tensor {
    const h = this.handleFor(op);
    const list = dimList(dims);
    const unbiased = flag(op, "unbiased", options?.unbiased ?? true);
    const keepdim = flag(op, "keepdim", options?.keepdim ?? false);
    const fn = op === "std" ? native.tf_std : native.tf_var;
    return wrap(fn(h, int64List(op, list), list.length, unbiased, keepdim), op);
  }

  /**
   * The `p`-norm of all elements, or over `dims` (`Infinity` for the largest
   * absolute value), like `torch.norm(t, p, dims)`.
   *
   * @example
   * ```ts
   * tensor([3, 4]).norm().item(); // 5
   * tensor([[1, -2], [3, 4]]).norm(1, 1).toArray(); // [3, 7]
   * ```
   */
  norm(p = 2, dims?: number | readonly number[], keepdim = false): Tensor {
    const h = this.handleFor("norm");
    numberArg("norm", "p", p, false);
    const list = dimList(dims);
    return wrap(native.tf_norm(h, p, int64List("norm", list), list.length, flag("norm", "keepdim", keepdim)), "norm");
  }

  /**
   * `log(sum(exp(x)))` along `dim` (a dim or dims), computed without overflow.
   *
   * @example
   * ```ts
   * tensor([[0, 0]]).logsumexp(1).toArray(); // [0.6931...]
   * ```
   */
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor {
    const h = this.handleFor("logsumexp");
    if (dim === undefined) throw new TorchError("logsumexp", "expected a dim or a list of dims");
    const list = dimList(dim);
    return wrap(native.tf_logsumexp(h, int64List("logsumexp", list), list.length, flag("logsumexp", "keepdim", keepdim)), "logsumexp");
  }
}
