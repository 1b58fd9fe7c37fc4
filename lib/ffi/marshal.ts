/**
 * Moving int64 values between JavaScript numbers and C buffers without BigInt:
 * each int64 is two 32-bit words (little-endian), exact for |v| < 2^53.
 *
 * @module
 */
import { TorchError } from "../errors.ts";

const TWO_32 = 4294967296;

/**
 * Writes `value` as the `index`-th int64 of `words`.
 *
 * @example
 * ```ts
 * const words = new Int32Array(2);
 * writeInt64(words, 0, -1); // words: [-1, -1]
 * ```
 */
export function writeInt64(words: Int32Array, index: number, value: number): void {
  words[2 * index] = value >>> 0;
  words[2 * index + 1] = Math.floor(value / TWO_32);
}

/**
 * Reads the `index`-th int64 of `words` as a number.
 *
 * @example
 * ```ts
 * readInt64(new Int32Array([5, 1]), 0); // 4294967301
 * ```
 */
export function readInt64(words: Int32Array, index: number): number {
  return words[2 * index + 1] * TWO_32 + (words[2 * index] >>> 0);
}

// Reused for every int-list argument so the hot path allocates nothing; a
// call consumes its lists before the next call can overwrite them.
const MAX_LIST = 64;
const listSlots = [new Int32Array(2 * MAX_LIST), new Int32Array(2 * MAX_LIST)];

/**
 * Packs a list of integers (a shape, dims) into reusable slot `slot` as int64s
 * and returns the buffer to pass to C alongside `values.length`.
 *
 * @example
 * ```ts
 * native.tf_view(handle, int64List("view", shape), shape.length);
 * ```
 */
export function int64List(op: string, values: readonly number[], slot = 0): Int32Array {
  if (!Array.isArray(values)) throw new TorchError(op, `expected an array of integers, got ${values === null ? "null" : typeof values}`);
  if (values.length > MAX_LIST) throw new TorchError(op, `at most ${MAX_LIST} dims are supported, got ${values.length}`);
  const words = listSlots[slot];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isSafeInteger(v)) throw new TorchError(op, `expected integers, got ${String(v)} in [${values.join(", ")}]`);
    writeInt64(words, i, v);
  }
  return words;
}

/**
 * Like `int64List`, for lists of any length (split sizes, say): packs them
 * into a fresh buffer when they exceed the reusable slots.
 *
 * @example
 * ```ts
 * const sizes = new Array(100).fill(1);
 * native.tf_split(handle, longInt64List("split", sizes), sizes.length, 1, 0, out, cap);
 * ```
 */
export function longInt64List(op: string, values: readonly number[]): Int32Array {
  if (!Array.isArray(values) || values.length <= MAX_LIST) return int64List(op, values);
  const words = new Int32Array(2 * values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isSafeInteger(v)) throw new TorchError(op, `expected integers, got ${String(v)} in a list of ${values.length}`);
    writeInt64(words, i, v);
  }
  return words;
}
