/**
 * Indexing by a tensor of positions along one dim: `gather` reads entries,
 * `scatter` and `scatterAdd` write them into a copy.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { native } from "../ffi/library.ts";
import type { Tensor } from "../tensor.ts";
import { int, operand, wrap } from "./core.ts";
import { TensorCompare } from "./compare.ts";

/** @internal Gather and scatter along a dim; part of `Tensor`. */
export abstract class TensorSelect extends TensorCompare {
  /**
   * The entries along `dim` at the positions in `index` (int64, with as many
   * dims as this tensor): `out[i][j] = this[index[i][j]][j]` for `dim` 0.
   * The result has `index`'s shape; the gradient flows back to the entries read.
   *
   * @example
   * ```ts
   * const logits = tensor([[0.1, 0.9], [0.8, 0.2]]);
   * logits.gather(1, tensor([[1], [0]], undefined, "int64")).toArray(); // [[0.9], [0.8]]
   * ```
   */
  gather(dim: number, index: Tensor): Tensor {
    const h = this.handleFor("gather");
    return wrap(native.tf_gather(h, int(dim, "gather"), operand(index, "gather")), "gather");
  }

  /**
   * A copy with `src`'s entries written along `dim` at the positions in
   * `index` (int64): `out[index[i][j]][j] = src[i][j]` for `dim` 0. `src` is a
   * tensor (of at least `index`'s size) or a number written at every position.
   * When an `index` repeats a position, which write wins is unspecified, as in PyTorch.
   *
   * @example
   * ```ts
   * zeros([3]).scatter(0, tensor([2, 0], undefined, "int64"), tensor([5, 7])).toArray(); // [7, 0, 5]
   * zeros([3]).scatter(0, tensor([1], undefined, "int64"), 1).toArray(); // [0, 1, 0]
   * ```
   */
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor {
    const h = this.handleFor("scatter");
    const d = int(dim, "scatter"), i = operand(index, "scatter");
    if (typeof src === "number") return wrap(native.tf_scatter(h, d, i, null, src), "scatter");
    return wrap(native.tf_scatter(h, d, i, operand(src, "scatter"), 0), "scatter");
  }

  /**
   * A copy with `src`'s entries added along `dim` at the positions in `index`
   * (int64); repeated positions add up: `out[index[i][j]][j] += src[i][j]` for `dim` 0.
   *
   * @example
   * ```ts
   * const counts = zeros([3]).scatterAdd(0, tensor([0, 2, 0], undefined, "int64"), ones([3]));
   * counts.toArray(); // [2, 0, 1]
   * ```
   */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    const h = this.handleFor("scatterAdd");
    const d = int(dim, "scatterAdd"), i = operand(index, "scatterAdd");
    if (typeof src === "number") throw new TorchError("scatterAdd", "src must be a Tensor (use scatter for a number)");
    return wrap(native.tf_scatter_add(h, d, i, operand(src, "scatterAdd")), "scatterAdd");
  }
}
