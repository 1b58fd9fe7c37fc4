/**
 * The core of `Tensor`: the native handle, metadata (cached: a handle's shape
 * and dtype never change), copying data out, and printing. The operations are
 * layered on top in this folder; `lib/tensor.ts` assembles the class.
 *
 * @module
 */
import { type DType, dtypeCode, DTYPES } from "../dtype.ts";
import { TorchError } from "../errors.ts";
import { lastError, native, reportWarnings, waitingWarnings } from "../ffi/library.ts";
import { readInt64 } from "../ffi/marshal.ts";
import type { Handle } from "../ffi/symbols.ts";
import { formatTensor, type NestedArray } from "../format.ts";
import { NativeResource } from "../scope.ts";
import type { Tensor } from "../tensor.ts";

// Reused for every metadata read; grown in the rare case of more than 64 dims.
let metaWords = new Int32Array(2 * (3 + 64));
const itemOut = new Float64Array(1);

interface Meta {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** @internal The handle, metadata and data of a tensor; see `Tensor`. */
export abstract class TensorCore extends NativeResource {
  /** @internal Shape and dtype, read once: a handle's never change. */
  declare _meta: Meta | null;

  protected constructor(handle: NonNullable<Handle>) {
    super(handle);
    this._meta = null;
  }

  /** @internal The live handle, or a clear error if this tensor was disposed. */
  handleFor(op: string): NonNullable<Handle> {
    const handle = this._handle;
    if (!handle) throw new TorchError(op, "this tensor was disposed (by dispose() or at the end of its tidy() scope)");
    return handle;
  }

  #readMeta(op = "metadata"): Meta {
    const handle = this.handleFor(op);
    if (this._meta) return this._meta;
    if (native.tf_meta(handle, metaWords, metaWords.length / 2) !== 0) {
      const needed = 3 + readInt64(metaWords, 1);
      if (needed * 2 <= metaWords.length) throw lastError(op);
      metaWords = new Int32Array(2 * needed);
      if (native.tf_meta(handle, metaWords, needed) !== 0) throw lastError(op);
    }
    const ndim = readInt64(metaWords, 1);
    const shape: number[] = new Array(ndim);
    for (let i = 0; i < ndim; i++) shape[i] = readInt64(metaWords, 3 + i);
    this._meta = { dtype: DTYPES[readInt64(metaWords, 0)], shape: Object.freeze(shape) };
    return this._meta;
  }

  /** The size of each dimension, e.g. `[64, 1, 28, 28]`; `[]` for a scalar. */
  get shape(): readonly number[] {
    return this.#readMeta("shape").shape;
  }

  /** The element type. */
  get dtype(): DType {
    return this.#readMeta("dtype").dtype;
  }

  /** The number of dimensions. */
  get ndim(): number {
    return this.#readMeta("ndim").shape.length;
  }

  /** The number of elements. */
  get numel(): number {
    const shape = this.#readMeta("numel").shape;
    let n = 1;
    for (let i = 0; i < shape.length; i++) n *= shape[i];
    return n;
  }

  /**
   * The elements as a typed array of this tensor's dtype (int64 as
   * `BigInt64Array`, bool as `Uint8Array`), in row-major order.
   *
   * @example
   * ```ts
   * tensor([1, 2], undefined, "int32").toTypedArray(); // Int32Array [1, 2]
   * ```
   */
  toTypedArray(): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array {
    const { dtype, shape } = this.#readMeta("toArray");
    const n = shape.reduce((a, b) => a * b, 1);
    switch (dtype) {
      case "float32": return this.#copyOut(dtype, new Float32Array(n));
      case "float64": return this.#copyOut(dtype, new Float64Array(n));
      case "int64": return this.#copyOut(dtype, new BigInt64Array(n));
      case "int32": return this.#copyOut(dtype, new Int32Array(n));
      default: return this.#copyOut(dtype, new Uint8Array(n));
    }
  }

  /**
   * The elements converted to float32, in row-major order.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).toFloat32Array(); // Float32Array [1, 2, 3, 4]
   * ```
   */
  toFloat32Array(): Float32Array {
    const shape = this.#readMeta("toFloat32Array").shape;
    return this.#copyOut("float32", new Float32Array(shape.reduce((a, b) => a * b, 1)));
  }

  #copyOut<A extends ArrayBufferView>(dtype: DType, out: A): A {
    const status = native.tf_copy_out(this.handleFor("toArray"), dtypeCode("toArray", dtype), out, out.byteLength);
    if (status !== 0) throw lastError("toArray");
    return out;
  }

  /** The elements as JavaScript numbers (booleans for bool), flat. int64 beyond 2^53 loses precision. */
  #flatValues(): number[] | boolean[] {
    const dtype = this.#readMeta("toArray").dtype;
    if (dtype === "int64") {
      const words = new Int32Array(this.#copyOut("int64", new BigInt64Array(this.numel)).buffer);
      const values: number[] = new Array(this.numel);
      for (let i = 0; i < values.length; i++) values[i] = readInt64(words, i);
      return values;
    }
    const typed = this.toTypedArray() as Float32Array | Float64Array | Int32Array | Uint8Array;
    return dtype === "bool" ? Array.from(typed, (v) => v !== 0) : Array.from(typed);
  }

  /**
   * The elements as nested arrays shaped like the tensor (a plain number for a
   * scalar), like PyTorch's `tolist()`.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).toArray(); // [[1, 2], [3, 4]]
   * ```
   */
  toArray(): NestedArray {
    const flat = this.#flatValues();
    return nest(flat, this.shape, 0, 0);
  }

  /**
   * The nested values, for `JSON.stringify` (which calls this): a tensor is
   * written as its data, like `toArray()`, not as its internals. NaN and
   * infinities become `null`, as JSON has no such numbers.
   *
   * @example
   * ```ts
   * JSON.stringify({ w: tensor([[1, 2], [3, 4]]) }); // '{"w":[[1,2],[3,4]]}'
   * ```
   */
  toJSON(): NestedArray {
    return this.toArray();
  }

  /**
   * The value of a one-element tensor as a number (1/0 for bool).
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).sum().item(); // 6
   * ```
   */
  item(): number {
    if (native.tf_item(this.handleFor("item"), itemOut) !== 0) throw lastError("item");
    return itemOut[0];
  }


  /**
   * A PyTorch-style rendering such as `tensor([[1., 2.], [3., 4.]])`.
   *
   * @example
   * ```ts
   * console.log(String(tensor([1.5, 2]))); // tensor([1.5000, 2.0000])
   * ```
   */
  override toString(): string {
    if (this.isDisposed) return "tensor(<disposed>)";
    return formatTensor(this.#flatValues(), this.shape, this.dtype);
  }

  /** How `console.log` shows a tensor in Deno. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** How `console.log` shows a tensor in Bun and Node. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

// Set by lib/tensor.ts, which defines the final class: ops here must return
// a full Tensor without importing the file that extends them.
let makeTensor: (handle: NonNullable<Handle>) => Tensor;

/** @internal Registers the constructor of the assembled `Tensor` class. */
export function setTensorFactory(factory: (handle: NonNullable<Handle>) => Tensor): void {
  makeTensor = factory;
}

/**
 * @internal Wraps a handle returned by a C op, or throws that op's error.
 */
export function wrap(handle: Handle, op: string): Tensor {
  if (!handle) throw lastError(op);
  if (waitingWarnings[0] !== 0) reportWarnings(op);
  return makeTensor(handle);
}

/** @internal The handle of a tensor argument, with a clear error for anything else. */
export function operand(value: unknown, op: string): NonNullable<Handle> {
  if (!(value instanceof TensorCore)) throw new TorchError(op, `expected a Tensor or a number, got ${describe(value)}`);
  return value.handleFor(op);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array (wrap it with tensor())";
  return typeof value === "object" ? (value.constructor?.name ?? "an object") : typeof value;
}

/** @internal An integer argument, or a clear error. */
export function int(value: number, op: string): number {
  if (!Number.isSafeInteger(value)) throw new TorchError(op, `expected an integer, got ${String(value)}`);
  return value;
}

const NO_DIMS: readonly number[] = [];

/**
 * Stride, padding, dilation and groups of a 2-D convolution (numbers apply to both dims).
 *
 * @example
 * ```ts
 * const options: Conv2dOptions = { stride: 2, padding: [1, 0] };
 * randn([1, 3, 8, 8]).conv2d(randn([4, 3, 3, 3]), null, options).shape; // [1, 4, 4, 3]
 * ```
 */
export interface Conv2dOptions {
  /** Step of the kernel, one number or [height, width] (default 1). */
  stride?: number | readonly [number, number];
  /** Zeros added on each side, one number or [height, width] (default 0). */
  padding?: number | readonly [number, number];
  /** Spacing between kernel elements, one number or [height, width] (default 1). */
  dilation?: number | readonly [number, number];
  /** Channel groups; in and out channels must both divide by it (default 1). */
  groups?: number;
}

/** @internal A 2-D size given as one number or a pair, each at least `min`. */
export function pair(op: string, name: string, value: number | readonly [number, number], min: number): [number, number] {
  const [a, b] = typeof value === "number" ? [value, value] : Array.isArray(value) && value.length === 2 ? value : [NaN, NaN];
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < min || b < min) {
    throw new TorchError(op, `${name} must be ${min === 0 ? "a non-negative" : "a positive"} integer or a pair of them, got ${JSON.stringify(value)}`);
  }
  return [a, b];
}

/** @internal A dim or dims as a list; none means all. */
export function dimList(dim: number | readonly number[] | undefined): readonly number[] {
  if (dim === undefined) return NO_DIMS;
  return typeof dim === "number" ? [dim] : dim;
}

function nest(flat: number[] | boolean[], shape: readonly number[], axis: number, offset: number): NestedArray {
  if (axis === shape.length) return flat[offset];
  const size = shape[axis];
  let stride = 1;
  for (let i = axis + 1; i < shape.length; i++) stride *= shape[i];
  const out: NestedArray[] = new Array(size);
  for (let i = 0; i < size; i++) out[i] = nest(flat, shape, axis + 1, offset + i * stride);
  return out;
}
