/**
 * Ordering along a dim: `topk`, `sort`, `argsort`, `argmin`, and the maximum
 * and minimum with their positions (`maxAlong`, `minAlong`).
 *
 * @module
 */
import { native } from "../ffi/library.ts";
import type { Tensor } from "../tensor.ts";
import { int, wrap } from "./core.ts";
import { type ValuesAndIndices, valuesAndIndices } from "./multi.ts";
import { TensorSelect } from "./select.ts";

/**
 * Options of `topk`: the dim (default the last), the largest or smallest k
 * (default largest), and whether they come in order (default true).
 *
 * @example
 * ```ts
 * const options: TopkOptions = { dim: 0, largest: false };
 * tensor([3, 1, 2]).topk(2, options).values.toArray(); // [1, 2]
 * ```
 */
export interface TopkOptions {
  /** The dim to choose along (default -1, the last). */
  dim?: number;
  /** The largest k (default true) or the smallest. */
  largest?: boolean;
  /** Whether the k come in order, largest (or smallest) first (default true). */
  sorted?: boolean;
}

/**
 * Options of `sort` and `argsort`: the dim (default the last), the order
 * (default ascending), and whether equal values keep their order (default false).
 *
 * @example
 * ```ts
 * const options: SortOptions = { descending: true, stable: true };
 * tensor([1, 3, 3]).argsort(options).toArray(); // [1, 2, 0]
 * ```
 */
export interface SortOptions {
  /** The dim to sort along (default -1, the last). */
  dim?: number;
  /** Largest first (default false: smallest first). */
  descending?: boolean;
  /** Whether equal values keep their order (default false). */
  stable?: boolean;
}

/** @internal Ordering along a dim; part of `Tensor`. */
export abstract class TensorSort extends TensorSelect {
  /**
   * The `k` largest (or smallest) entries along a dim and their int64
   * positions. The gradient of `values` flows back to the entries chosen.
   *
   * @example
   * ```ts
   * const { values, indices } = tensor([[1, 5, 3], [4, 2, 6]]).topk(2);
   * values.toArray(); // [[5, 3], [6, 4]]
   * indices.toArray(); // [[1, 2], [2, 0]]
   * ```
   */
  topk(k: number, options: TopkOptions = {}): ValuesAndIndices {
    const { dim = -1, largest = true, sorted = true } = options ?? {};
    const h = this.handleFor("topk");
    const kk = int(k, "topk"), d = int(dim, "topk");
    return valuesAndIndices("topk", (out) => native.tf_topk(h, kk, d, largest ? 1 : 0, sorted ? 1 : 0, out));
  }

  /**
   * The entries sorted along a dim, and the int64 positions they came from.
   * The gradient of `values` flows back through the permutation.
   *
   * @example
   * ```ts
   * const { values, indices } = tensor([3, 1, 2]).sort({ descending: true });
   * values.toArray(); // [3, 2, 1]
   * indices.toArray(); // [0, 2, 1]
   * ```
   */
  sort(options: SortOptions = {}): ValuesAndIndices {
    const { dim = -1, descending = false, stable = false } = options ?? {};
    const h = this.handleFor("sort");
    const d = int(dim, "sort");
    return valuesAndIndices("sort", (out) => native.tf_sort(h, d, descending ? 1 : 0, stable ? 1 : 0, out));
  }

  /**
   * The int64 positions that sort this tensor along a dim (`sort`'s indices).
   *
   * @example
   * ```ts
   * tensor([3, 1, 2]).argsort().toArray(); // [1, 2, 0]
   * ```
   */
  argsort(options: SortOptions = {}): Tensor {
    const { dim = -1, descending = false, stable = false } = options ?? {};
    const h = this.handleFor("argsort");
    return wrap(native.tf_argsort(h, int(dim, "argsort"), descending ? 1 : 0, stable ? 1 : 0), "argsort");
  }

  /**
   * Index (int64) of the smallest element of the flattened tensor, or along `dim`.
   *
   * @example
   * ```ts
   * tensor([[1, 5], [3, 0]]).argmin(1).toArray(); // [0, 1]
   * ```
   */
  argmin(dim?: number, keepdim = false): Tensor {
    const h = this.handleFor("argmin");
    const hasDim = dim === undefined ? 0 : 1;
    return wrap(native.tf_argmin(h, dim === undefined ? 0 : int(dim, "argmin"), hasDim, keepdim ? 1 : 0), "argmin");
  }

  /**
   * The largest values along `dim` and their int64 positions, like PyTorch's
   * `max(dim)` (`max` here gives only the values).
   *
   * @example
   * ```ts
   * const { values, indices } = tensor([[1, 5], [3, 4]]).maxAlong(1);
   * values.toArray(); // [5, 4]
   * indices.toArray(); // [1, 1]
   * ```
   */
  maxAlong(dim: number, keepdim = false): ValuesAndIndices {
    const h = this.handleFor("maxAlong");
    const d = int(dim, "maxAlong");
    return valuesAndIndices("maxAlong", (out) => native.tf_max_along(h, d, keepdim ? 1 : 0, out));
  }

  /**
   * The smallest values along `dim` and their int64 positions, like PyTorch's
   * `min(dim)` (`min` here gives only the values).
   *
   * @example
   * ```ts
   * const { values, indices } = tensor([[1, 5], [3, 4]]).minAlong(0);
   * values.toArray(); // [1, 4]
   * indices.toArray(); // [0, 1]
   * ```
   */
  minAlong(dim: number, keepdim = false): ValuesAndIndices {
    const h = this.handleFor("minAlong");
    const d = int(dim, "minAlong");
    return valuesAndIndices("minAlong", (out) => native.tf_min_along(h, d, keepdim ? 1 : 0, out));
  }
}
