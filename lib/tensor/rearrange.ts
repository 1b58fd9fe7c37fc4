/**
 * Rearranging a `Tensor`: Python-style slices with a step, broadcasting views
 * (`expand`), tiling (`repeat`), cutting into pieces (`split`, `chunk`),
 * reordering (`flip`, `roll`) and triangles (`tril`, `triu`). Slices, expands
 * and pieces are views that share storage, as in PyTorch.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { native } from "../ffi/library.ts";
import { int64List, longInt64List } from "../ffi/marshal.ts";
import type { Tensor } from "../tensor.ts";
import { dimList, int, operand, wrap } from "./core.ts";
import { pieces } from "./multi.ts";
import { TensorSort } from "./sort.ts";

// Larger than any dim can be, so that at::slice clamps an open end to the size.
const OPEN_END = Number.MAX_SAFE_INTEGER;

/** An optional slice bound: undefined or null means open. */
function bound(value: number | null | undefined, open: number, name: string): number {
  if (value === undefined || value === null) return open;
  if (!Number.isSafeInteger(value)) throw new TorchError("slice", `${name} must be an integer, null or undefined, got ${String(value)}`);
  return value;
}

/** @internal Slices, broadcasting views, tiling, pieces and reordering; part of `Tensor`. */
export abstract class TensorRearrange extends TensorSort {
  /**
   * Python's `t[start:end:step]` along `dim`: negative bounds count from the
   * end, bounds past the ends are clamped, an omitted (or `null`) bound is
   * open, and `step` must be positive. A view; gradients flow back to the entries taken.
   *
   * @example
   * ```ts
   * const x = arange(10);
   * x.slice(0, 2, 8, 3).toArray(); // [2, 5]   (x[2:8:3])
   * x.slice(0, -3).toArray(); // [7, 8, 9]     (x[-3:])
   * x.slice(0, null, null, 4).toArray(); // [0, 4, 8]   (x[::4])
   * ```
   */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    const h = this.handleFor("slice");
    const d = int(dim, "slice"), s = bound(start, 0, "start"), e = bound(end, OPEN_END, "end");
    return wrap(native.tf_slice(h, d, s, e, int(step, "slice")), "slice");
  }

  /**
   * A view broadcast to `shape`: size-1 dims repeat without copying, new dims
   * go in front, and -1 keeps a size.
   *
   * @example
   * ```ts
   * tensor([[1], [2]]).expand([2, 3]).toArray(); // [[1, 1, 1], [2, 2, 2]]
   * ```
   */
  expand(shape: readonly number[]): Tensor {
    return wrap(native.tf_expand(this.handleFor("expand"), int64List("expand", shape), shape.length), "expand");
  }

  /**
   * `expand` to the shape of `other`.
   *
   * @example
   * ```ts
   * tensor([1, 2]).expandAs(zeros([3, 2])).shape; // [3, 2]
   * ```
   */
  expandAs(other: Tensor): Tensor {
    return wrap(native.tf_expand_as(this.handleFor("expandAs"), operand(other, "expandAs")), "expandAs");
  }

  /**
   * A copy tiled `reps[i]` times along each dim (extra counts add dims in front), like `Tensor.repeat`.
   *
   * @example
   * ```ts
   * tensor([1, 2]).repeat([2, 2]).toArray(); // [[1, 2, 1, 2], [1, 2, 1, 2]]
   * ```
   */
  repeat(reps: readonly number[]): Tensor {
    const h = this.handleFor("repeat");
    const list = int64List("repeat", reps);
    // A size past 2^53 (even of an empty result) has no exact JavaScript number for `shape`.
    const shape = this.shape, lead = reps.length - shape.length;
    for (let i = lead; lead >= 0 && i < reps.length; i++) {
      if (shape[i - lead] * reps[i] > Number.MAX_SAFE_INTEGER) {
        throw new TorchError("repeat", `${shape[i - lead]} x ${reps[i]} entries along dim ${i} are more than 2^53`);
      }
    }
    return wrap(native.tf_repeat(h, list, reps.length), "repeat");
  }

  /**
   * Views cut along `dim` (default 0): pieces of `size` (the last may be
   * smaller), or of the given sizes, which must add up to the dim's size.
   *
   * @example
   * ```ts
   * arange(5).split(2).map((p) => p.toArray()); // [[0, 1], [2, 3], [4]]
   * arange(5).split([1, 4]).map((p) => p.shape); // [[1], [4]]
   * ```
   */
  split(sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
    const h = this.handleFor("split");
    const d = int(dim, "split");
    const withSizes = typeof sizeOrSizes !== "number";
    const sizes = withSizes ? sizeOrSizes : [int(sizeOrSizes, "split")];
    const list = longInt64List("split", sizes);
    return pieces("split", (out, cap) => native.tf_split(h, list, sizes.length, withSizes ? 1 : 0, d, out, cap));
  }

  /**
   * At most `chunks` views of equal size cut along `dim` (default 0), the last
   * smaller when the size does not divide, like `torch.chunk`.
   *
   * @example
   * ```ts
   * arange(6).chunk(3).map((p) => p.toArray()); // [[0, 1], [2, 3], [4, 5]]
   * ```
   */
  chunk(chunks: number, dim = 0): Tensor[] {
    const h = this.handleFor("chunk");
    const n = int(chunks, "chunk"), d = int(dim, "chunk");
    return pieces("chunk", (out, cap) => native.tf_chunk(h, n, d, out, cap));
  }

  /**
   * A copy with the order reversed along each of `dims`.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).flip([1]).toArray(); // [[2, 1], [4, 3]]
   * ```
   */
  flip(dims: number | readonly number[]): Tensor {
    const list = dimList(dims);
    return wrap(native.tf_flip(this.handleFor("flip"), int64List("flip", list), list.length), "flip");
  }

  /**
   * A copy with the entries shifted along `dims`, those pushed past the end
   * coming back at the start; with no dims, the flattened tensor is rolled.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3, 4]).roll(1).toArray(); // [4, 1, 2, 3]
   * tensor([[1, 2], [3, 4]]).roll([1, -1], [0, 1]).toArray(); // [[4, 3], [2, 1]]
   * ```
   */
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
    const shiftList = typeof shifts === "number" ? [shifts] : shifts;
    const dimsList = dimList(dims);
    const h = this.handleFor("roll");
    const s = int64List("roll", shiftList, 0), d = int64List("roll", dimsList, 1);
    return wrap(native.tf_roll(h, s, shiftList.length, d, dimsList.length), "roll");
  }

  /**
   * The lower triangle of the last two dims: entries above diagonal `k` (0 the
   * main one, positive above it) set to zero.
   *
   * @example
   * ```ts
   * ones([3, 3]).tril().toArray(); // [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
   * ```
   */
  tril(k = 0): Tensor {
    return wrap(native.tf_tril(this.handleFor("tril"), int(k, "tril")), "tril");
  }

  /**
   * The upper triangle of the last two dims: entries below diagonal `k` set to zero.
   *
   * @example
   * ```ts
   * ones([3, 3]).triu(1).toArray(); // [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
   * ```
   */
  triu(k = 0): Tensor {
    return wrap(native.tf_triu(this.handleFor("triu"), int(k, "triu")), "triu");
  }
}
