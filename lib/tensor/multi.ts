/**
 * Ops that give more than one tensor: the C side writes their handles into an
 * out buffer, which this file reads back into `Tensor`s (one C call per op).
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { lastError, nativeLibrary } from "../ffi/library.ts";
import type { Handle } from "../ffi/symbols.ts";
import type { Tensor } from "../tensor.ts";
import { wrap } from "./core.ts";

/**
 * The two results of `topk`, `sort`, `maxAlong` and `minAlong`, as PyTorch's
 * named tuples give them: the values and their int64 positions along the dim.
 *
 * @example
 * ```ts
 * const { values, indices }: ValuesAndIndices = tensor([3, 1, 2]).sort();
 * console.log(values.toArray(), indices.toArray()); // [1, 2, 3] [1, 2, 0]
 * ```
 */
export interface ValuesAndIndices {
  /** The values chosen (or sorted), of the input's dtype. */
  values: Tensor;
  /** Where each value is along the dim, as int64. */
  indices: Tensor;
}

// Two handles, reused: a call's results are read before the next call runs.
const pairOut = new Int32Array(4);

/**
 * @internal Calls a C op that writes (values, indices) into an out buffer and
 * returns the status, then wraps both handles.
 */
export function valuesAndIndices(op: string, call: (out: Int32Array) => number): ValuesAndIndices {
  if (call(pairOut) !== 0) throw lastError(op);
  const [values, indices] = nativeLibrary.readHandles(pairOut, 2);
  return { values: wrap(values, op), indices: wrap(indices, op) };
}

// Room for 64 pieces; split and chunk ask again with a larger buffer when needed.
let piecesOut = new Int32Array(2 * 64);

/**
 * The most pieces one `split` or `chunk` hands out. PyTorch has no limit and
 * runs out of memory instead: cutting an empty dim into 2^31 chunks, or a
 * broadcast view of 2^40 entries into single ones.
 */
export const MAX_PIECES = 1 << 20;

/**
 * @internal Calls a C op that writes a list of handles into an out buffer of
 * `cap` entries and returns how many there are (-1 on failure); when they would
 * not fit, it made none, and is called once more with room for all.
 */
export function pieces(op: string, call: (out: Int32Array, cap: number) => number | bigint): Tensor[] {
  let count = Number(call(piecesOut, piecesOut.length / 2));
  if (count < 0) throw lastError(op);
  if (count > piecesOut.length / 2) {
    if (count > MAX_PIECES) throw new TorchError(op, `that makes ${count} pieces; one call hands out at most ${MAX_PIECES}`);
    piecesOut = new Int32Array(2 * count);
    count = Number(call(piecesOut, count));
    if (count < 0) throw lastError(op);
    if (count > piecesOut.length / 2) throw new TorchError(op, "the number of pieces changed between two calls");
  }
  const handles: Handle[] = nativeLibrary.readHandles(piecesOut, count);
  return handles.map((h) => wrap(h, op));
}
