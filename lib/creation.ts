/**
 * Making tensors: from JavaScript data, filled, random, ranges; joining them;
 * and seeding LibTorch's generator.
 *
 * @module
 */
import { BYTES_PER_ELEMENT, type DType, dtypeCode } from "./dtype.ts";
import { TorchError } from "./errors.ts";
import { checkStatus, native, nativeLibrary } from "./ffi/library.ts";
import { int64List, writeInt64 } from "./ffi/marshal.ts";
import { operand, type Tensor, wrap } from "./tensor.ts";

/**
 * Typed arrays `tensor()` accepts, each with the dtype it implies.
 *
 * @example
 * ```ts
 * const pixels: TypedData = new Uint8Array([0, 128, 255]);
 * tensor(pixels).dtype; // "uint8"
 * ```
 */
export type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/**
 * Data `tensor()` accepts: a number, a boolean, nested arrays of them, or a typed array.
 *
 * @example
 * ```ts
 * const rows: TensorData = [[1, 2], [3, 4]];
 * tensor(rows).shape; // [2, 2]
 * ```
 */
export type TensorData = number | boolean | TypedData | readonly TensorData[];

function typedDtype(data: TypedData): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof BigInt64Array) return "int64";
  if (data instanceof Int32Array) return "int32";
  return "uint8";
}

function isTyped(data: unknown): data is TypedData {
  return data instanceof Float32Array || data instanceof Float64Array || data instanceof BigInt64Array ||
    data instanceof Int32Array || data instanceof Uint8Array;
}

// The shape implied by nested arrays, read along the first elements; flatten() checks the rest.
function inferShape(data: TensorData): number[] {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

function flatten(data: TensorData, shape: readonly number[]): (number | boolean)[] {
  const out: (number | boolean)[] = [];
  const walk = (value: unknown, axis: number, path: number[]) => {
    if (axis === shape.length) {
      if (typeof value !== "number" && typeof value !== "boolean") {
        const where = path.length ? ` at [${path.join("][")}]` : "";
        throw new TorchError("tensor", `expected a number or boolean${where}, got ${Array.isArray(value) ? "an array (the array is ragged)" : typeof value}`);
      }
      out.push(value);
      return;
    }
    if (!Array.isArray(value) || value.length !== shape[axis]) {
      const got = Array.isArray(value) ? `length ${value.length}` : typeof value;
      throw new TorchError(
        "tensor",
        `ragged array: expected length ${shape[axis]} at [${path.join("][")}] (dim ${axis}), got ${got}`,
      );
    }
    for (let i = 0; i < value.length; i++) walk(value[i], axis + 1, [...path, i]);
  };
  walk(data, 0, []);
  return out;
}

// The values each integer dtype can hold, as PyTorch checks them.
const INTEGER_RANGES: Partial<Record<DType, readonly [number, number]>> = {
  int64: [-(2 ** 63), 2 ** 63],
  int32: [-(2 ** 31), 2 ** 31],
  uint8: [0, 256],
};

/**
 * @internal Checks that `value` fits integer `dtype` (after truncation toward
 * zero, as PyTorch converts) and returns the truncated value.
 */
export function checkedInteger(op: string, value: number, dtype: DType): number {
  const range = INTEGER_RANGES[dtype];
  const v = Math.trunc(value);
  if (range && !(v >= range[0] && v < range[1])) {
    throw new TorchError(op, `value ${value} cannot be converted to ${dtype} without overflow`);
  }
  return v;
}

// Converts values to the bytes of `dtype` for the C side to copy.
function encode(values: ArrayLike<number | boolean> | TypedData, dtype: DType): ArrayBufferView {
  const n = values.length;
  if (dtype === "int64") {
    if (values instanceof BigInt64Array) return values;
    const words = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) writeInt64(words, i, checkedInteger("tensor", Number(values[i]), dtype));
    return words;
  }
  const source = values instanceof BigInt64Array ? Array.from(values, Number) : values;
  switch (dtype) {
    case "float32": return source instanceof Float32Array ? source : Float32Array.from(source as ArrayLike<number>, Number);
    case "float64": return source instanceof Float64Array ? source : Float64Array.from(source as ArrayLike<number>, Number);
    case "int32":
      return source instanceof Int32Array ? source : Int32Array.from(source as ArrayLike<number>, (v) => checkedInteger("tensor", Number(v), dtype));
    case "uint8":
      return source instanceof Uint8Array ? source : Uint8Array.from(source as ArrayLike<number>, (v) => checkedInteger("tensor", Number(v), dtype));
    default: return Uint8Array.from(source as ArrayLike<number>, (v) => (v ? 1 : 0));
  }
}

/**
 * A tensor holding a copy of `data`: a number or boolean (a scalar), nested
 * arrays (their shape is the tensor's; ragged arrays are an error), or a typed
 * array (1-D unless `shape` says otherwise). `shape` must hold exactly as many
 * elements as `data`. The dtype defaults to the typed array's, `bool` for
 * all-boolean data, and otherwise float32. Values that do not fit an integer
 * dtype are an error, as in PyTorch.
 *
 * @example
 * ```ts
 * import { tensor } from "../mod.ts";
 * const a = tensor([[1, 2], [3, 4]]);                 // float32 [2, 2]
 * const b = tensor(new Float32Array(6), [2, 3]);      // float32 [2, 3]
 * const labels = tensor([3, 1, 4], undefined, "int64");
 * ```
 */
export function tensor(data: TensorData, shape?: readonly number[], dtype?: DType): Tensor {
  let flat: ArrayLike<number | boolean> | TypedData;
  let implied: readonly number[];
  let impliedDtype: DType = "float32";
  if (isTyped(data)) {
    flat = data;
    implied = [data.length];
    impliedDtype = typedDtype(data);
  } else if (typeof data === "number" || typeof data === "boolean") {
    flat = [data];
    implied = [];
    if (typeof data === "boolean") impliedDtype = "bool";
  } else if (Array.isArray(data)) {
    implied = inferShape(data);
    flat = flatten(data, implied);
    // All booleans make a bool tensor; any number makes them 1 and 0 in a float32 one.
    if (flat.length > 0 && (flat as (number | boolean)[]).every((v) => typeof v === "boolean")) impliedDtype = "bool";
  } else {
    throw new TorchError("tensor", `expected a number, boolean, array or typed array, got ${data === null ? "null" : typeof data}`);
  }
  const finalShape = shape ?? implied;
  const resolvedDtype = dtype ?? impliedDtype;
  const code = dtypeCode("tensor", resolvedDtype);
  const count = finalShape.reduce((a, b) => a * b, 1);
  if (count !== flat.length) {
    throw new TorchError("tensor", `shape [${finalShape.join(", ")}] holds ${count} elements but the data has ${flat.length}`);
  }
  const bytes = encode(flat, resolvedDtype);
  const nbytes = count * BYTES_PER_ELEMENT[resolvedDtype];
  return wrap(native.tf_from_data(bytes, nbytes, int64List("tensor", finalShape), finalShape.length, code), "tensor");
}

/**
 * @internal A tensor from raw row-major bytes of `dtype` (e.g. read from a file).
 */
export function fromBytes(bytes: Uint8Array, shape: readonly number[], dtype: DType, op: string): Tensor {
  const code = dtypeCode(op, dtype);
  return wrap(native.tf_from_data(bytes, bytes.byteLength, int64List(op, shape), shape.length, code), op);
}

/**
 * A tensor of zeros.
 *
 * @example
 * ```ts
 * zeros([2, 3]).toArray(); // [[0, 0, 0], [0, 0, 0]]
 * ```
 */
export function zeros(shape: readonly number[], dtype: DType = "float32"): Tensor {
  return wrap(native.tf_zeros(int64List("zeros", shape), shape.length, dtypeCode("zeros", dtype)), "zeros");
}

/**
 * A tensor of ones.
 *
 * @example
 * ```ts
 * ones([2], "int64").toArray(); // [1, 1]
 * ```
 */
export function ones(shape: readonly number[], dtype: DType = "float32"): Tensor {
  return wrap(native.tf_ones(int64List("ones", shape), shape.length, dtypeCode("ones", dtype)), "ones");
}

/**
 * A tensor filled with `value`.
 *
 * @example
 * ```ts
 * full([2], 7).toArray(); // [7, 7]
 * ```
 */
export function full(shape: readonly number[], value: number, dtype: DType = "float32"): Tensor {
  if (typeof value !== "number") throw new TorchError("full", `expected a number fill value, got ${typeof value}`);
  if (dtype !== "float32" && dtype !== "float64" && dtype !== "bool") checkedInteger("full", value, dtype);
  return wrap(native.tf_full(int64List("full", shape), shape.length, value, dtypeCode("full", dtype)), "full");
}

/**
 * Uniform random numbers in [0, 1) from LibTorch's global generator
 * (the same stream as `torch.rand` after the same `manualSeed`).
 *
 * @example
 * ```ts
 * manualSeed(0);
 * rand([2]).toArray(); // [0.4962..., 0.7682...]
 * ```
 */
export function rand(shape: readonly number[], dtype: DType = "float32"): Tensor {
  return wrap(native.tf_rand(int64List("rand", shape), shape.length, dtypeCode("rand", dtype)), "rand");
}

/**
 * Standard normal random numbers from LibTorch's global generator.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * randn([2]).toArray(); // [1.5409..., -0.2934...]
 * ```
 */
export function randn(shape: readonly number[], dtype: DType = "float32"): Tensor {
  return wrap(native.tf_randn(int64List("randn", shape), shape.length, dtypeCode("randn", dtype)), "randn");
}

/**
 * Values from `start` up to (not including) `end` in steps of `step`;
 * `arange(n)` counts 0..n-1. Like PyTorch, all-integer arguments give int64,
 * otherwise float32, unless `dtype` says.
 *
 * @example
 * ```ts
 * arange(4).toArray();         // [0, 1, 2, 3]
 * arange(0, 1, 0.25).toArray(); // [0, 0.25, 0.5, 0.75]
 * ```
 */
export function arange(start: number, end?: number, step = 1, dtype?: DType): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  for (const v of [from, to, step]) {
    if (typeof v !== "number" || Number.isNaN(v)) throw new TorchError("arange", `expected numbers, got ${String(v)}`);
  }
  const resolved = dtype ?? ([from, to, step].every(Number.isInteger) ? "int64" : "float32");
  return wrap(native.tf_arange(from, to, step, dtypeCode("arange", resolved)), "arange");
}

/**
 * Seeds LibTorch's global generator; the same seed gives the same numbers as
 * `torch.manual_seed(seed)` in Python.
 *
 * @example
 * ```ts
 * manualSeed(42);
 * ```
 */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) throw new TorchError("manualSeed", `expected an integer seed, got ${String(seed)}`);
  checkStatus(native.tf_manual_seed(seed), "manualSeed");
}

/**
 * A random permutation of `0..n-1` (int64) from the global generator, like `torch.randperm`.
 *
 * @example
 * ```ts
 * randperm(5).toArray(); // e.g. [3, 0, 4, 1, 2]
 * ```
 */
export function randperm(n: number): Tensor {
  if (!Number.isSafeInteger(n) || n < 0) throw new TorchError("randperm", `expected a non-negative integer, got ${String(n)}`);
  return wrap(native.tf_randperm(n), "randperm");
}

function joined(op: "cat" | "stack", tensors: readonly Tensor[], dim: number): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new TorchError(op, "expected a non-empty array of tensors");
  if (!Number.isSafeInteger(dim)) throw new TorchError(op, `expected an integer dim, got ${String(dim)}`);
  const list = nativeLibrary.handleList(tensors.map((t) => operand(t, op)));
  const fn = op === "cat" ? native.tf_cat : native.tf_stack;
  return wrap(fn(list, tensors.length, dim), op);
}

/**
 * Joins tensors along an existing dim.
 *
 * @example
 * ```ts
 * cat([zeros([2, 3]), ones([1, 3])]).shape; // [3, 3]
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return joined("cat", tensors, dim);
}

/**
 * Joins same-shaped tensors along a new dim.
 *
 * @example
 * ```ts
 * stack([zeros([3]), ones([3])]).shape; // [2, 3]
 * ```
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return joined("stack", tensors, dim);
}
