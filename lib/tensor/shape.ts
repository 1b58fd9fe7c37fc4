/**
 * Shape changes and indexing of `Tensor`: views, reshapes, selections. Views share storage, as in PyTorch.
 *
 * @module
 */
import { native } from "../ffi/library.ts";
import { int64List } from "../ffi/marshal.ts";
import type { Tensor } from "../tensor.ts";
import { int, operand, TensorCore, wrap } from "./core.ts";

/** @internal Shape changes and indexing of `Tensor`: views, reshapes, selections; part of `Tensor`. */
export abstract class TensorShape extends TensorCore {
  /**
   * A view with a new shape over the same data (one dim may be -1); fails if
   * the memory layout does not allow a view (use `reshape` then).
   *
   * @example
   * ```ts
   * arange(6).view([2, 3]).shape; // [2, 3]
   * ```
   */
  view(shape: readonly number[]): Tensor {
    return wrap(native.tf_view(this.handleFor("view"), int64List("view", shape), shape.length), "view");
  }

  /**
   * Like `view`, but copies when the layout requires it.
   *
   * @example
   * ```ts
   * arange(6).view([2, 3]).t().reshape([-1]).toArray(); // [0, 3, 1, 4, 2, 5]
   * ```
   */
  reshape(shape: readonly number[]): Tensor {
    return wrap(native.tf_reshape(this.handleFor("reshape"), int64List("reshape", shape), shape.length), "reshape");
  }

  /**
   * Flattens every dim after the first (the batch dim): `[N, C, H, W]` becomes `[N, C*H*W]`.
   *
   * @example
   * ```ts
   * zeros([64, 20, 4, 4]).flatView().shape; // [64, 320]
   * ```
   */
  flatView(): Tensor {
    return wrap(native.tf_flatten(this.handleFor("flatView"), 1, -1), "flatView");
  }

  /**
   * Flattens dims `startDim..endDim` (inclusive) into one, like `torch.flatten`.
   *
   * @example
   * ```ts
   * zeros([2, 3, 4]).flatten().shape; // [24]
   * ```
   */
  flatten(startDim = 0, endDim = -1): Tensor {
    return wrap(native.tf_flatten(this.handleFor("flatten"), int(startDim, "flatten"), int(endDim, "flatten")), "flatten");
  }

  /**
   * Inserts a size-1 dim at `dim`.
   *
   * @example
   * ```ts
   * zeros([3]).unsqueeze(0).shape; // [1, 3]
   * ```
   */
  unsqueeze(dim: number): Tensor {
    return wrap(native.tf_unsqueeze(this.handleFor("unsqueeze"), int(dim, "unsqueeze")), "unsqueeze");
  }

  /**
   * Removes size-1 dims: all of them, or only `dim` when given.
   *
   * @example
   * ```ts
   * zeros([1, 3, 1]).squeeze().shape; // [3]
   * ```
   */
  squeeze(dim?: number): Tensor {
    const all = dim === undefined;
    return wrap(native.tf_squeeze(this.handleFor("squeeze"), all ? 0 : int(dim, "squeeze"), all ? 1 : 0), "squeeze");
  }

  /**
   * Swaps two dims.
   *
   * @example
   * ```ts
   * zeros([2, 3, 4]).transpose(0, 2).shape; // [4, 3, 2]
   * ```
   */
  transpose(dim0: number, dim1: number): Tensor {
    const h = this.handleFor("transpose");
    return wrap(native.tf_transpose(h, int(dim0, "transpose"), int(dim1, "transpose")), "transpose");
  }

  /**
   * The transpose of a matrix (tensors with fewer than 2 dims come back as they are).
   *
   * @example
   * ```ts
   * tensor([[1, 2, 3]]).t().shape; // [3, 1]
   * ```
   */
  t(): Tensor {
    return wrap(native.tf_t(this.handleFor("t")), "t");
  }

  /**
   * Reorders the dims.
   *
   * @example
   * ```ts
   * zeros([2, 3, 4]).permute([2, 0, 1]).shape; // [4, 2, 3]
   * ```
   */
  permute(dims: readonly number[]): Tensor {
    return wrap(native.tf_permute(this.handleFor("permute"), int64List("permute", dims), dims.length), "permute");
  }

  /**
   * `length` entries of `dim` starting at `start` (a view).
   *
   * @example
   * ```ts
   * arange(10).narrow(0, 2, 3).toArray(); // [2, 3, 4]
   * ```
   */
  narrow(dim: number, start: number, length: number): Tensor {
    const h = this.handleFor("narrow");
    return wrap(native.tf_narrow(h, int(dim, "narrow"), int(start, "narrow"), int(length, "narrow")), "narrow");
  }

  /**
   * The `index`-th entry along the first dim (negative counts from the end), like `t[i]`.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).get(1).toArray(); // [3, 4]
   * ```
   */
  get(index: number): Tensor {
    return wrap(native.tf_select(this.handleFor("get"), 0, int(index, "get")), "get");
  }

  /**
   * The `index`-th entry along `dim`, removing that dim.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).select(1, 0).toArray(); // [1, 3]
   * ```
   */
  select(dim: number, index: number): Tensor {
    return wrap(native.tf_select(this.handleFor("select"), int(dim, "select"), int(index, "select")), "select");
  }

  /**
   * The entries along `dim` at the positions in `index` (an int64 or int32 tensor).
   *
   * @example
   * ```ts
   * tensor([10, 20, 30]).indexSelect(0, tensor([2, 0], undefined, "int64")).toArray(); // [30, 10]
   * ```
   */
  indexSelect(dim: number, index: Tensor): Tensor {
    const h = this.handleFor("indexSelect");
    const ih = operand(index, "indexSelect");
    return wrap(native.tf_index_select(h, int(dim, "indexSelect"), ih), "indexSelect");
  }

  /** A contiguous copy, or this data as is when already contiguous (a new handle either way). */
  contiguous(): Tensor {
    return wrap(native.tf_contiguous(this.handleFor("contiguous")), "contiguous");
  }

}
