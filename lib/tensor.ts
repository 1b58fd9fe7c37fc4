/**
 * `Tensor`: a handle to a LibTorch tensor with PyTorch's methods in camelCase.
 * Every method returns a new tensor (views share storage, as in PyTorch) and
 * never changes its receiver.
 *
 * @module
 */
import { type DType, dtypeCode, DTYPES } from "./dtype.ts";
import { TorchError } from "./errors.ts";
import { lastError, native } from "./ffi/library.ts";
import { int64List, readInt64 } from "./ffi/marshal.ts";
import type { Handle } from "./ffi/symbols.ts";
import { formatTensor, type NestedArray } from "./format.ts";
import { NativeResource } from "./scope.ts";

/** Nested arrays of numbers (or booleans) as `toArray()` returns them. */
export type { NestedArray } from "./format.ts";

const metaWords = new Int32Array(2 * (3 + 64));
const itemOut = new Float64Array(1);

interface Meta {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

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
export class Tensor extends NativeResource {
  #meta: Meta | null = null;

  /** @internal Use `tensor()`, `zeros()` and the other creation functions. */
  constructor(handle: NonNullable<Handle>) {
    super(handle);
  }

  /** @internal The live handle, or a clear error if this tensor was disposed. */
  handleFor(op: string): NonNullable<Handle> {
    const handle = this._handle;
    if (!handle) throw new TorchError(op, "this tensor was disposed (by dispose() or at the end of its tidy() scope)");
    return handle;
  }

  #readMeta(op = "metadata"): Meta {
    const handle = this.handleFor(op);
    if (this.#meta) return this.#meta;
    if (native.tf_meta(handle, metaWords, metaWords.length / 2) !== 0) throw lastError(op);
    const ndim = readInt64(metaWords, 1);
    const shape: number[] = new Array(ndim);
    for (let i = 0; i < ndim; i++) shape[i] = readInt64(metaWords, 3 + i);
    this.#meta = { dtype: DTYPES[readInt64(metaWords, 0)], shape: Object.freeze(shape) };
    return this.#meta;
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

  /**
   * Elementwise sum with a tensor (broadcast) or a number.
   *
   * @example
   * ```ts
   * tensor([1, 2]).add(tensor([[10], [20]])).toArray(); // [[11, 12], [21, 22]]
   * ```
   */
  add(other: Tensor | number): Tensor {
    const h = this.handleFor("add");
    return wrap(typeof other === "number" ? native.tf_add_scalar(h, other) : native.tf_add(h, operand(other, "add")), "add");
  }

  /**
   * Elementwise difference with a tensor (broadcast) or a number.
   *
   * @example
   * ```ts
   * tensor([5, 7]).sub(2).toArray(); // [3, 5]
   * ```
   */
  sub(other: Tensor | number): Tensor {
    const h = this.handleFor("sub");
    return wrap(typeof other === "number" ? native.tf_sub_scalar(h, other) : native.tf_sub(h, operand(other, "sub")), "sub");
  }

  /**
   * Elementwise product with a tensor (broadcast) or a number.
   *
   * @example
   * ```ts
   * tensor([1, 2]).mul(3).toArray(); // [3, 6]
   * ```
   */
  mul(other: Tensor | number): Tensor {
    const h = this.handleFor("mul");
    return wrap(typeof other === "number" ? native.tf_mul_scalar(h, other) : native.tf_mul(h, operand(other, "mul")), "mul");
  }

  /**
   * Elementwise true division with a tensor (broadcast) or a number.
   *
   * @example
   * ```ts
   * tensor([1, 3]).div(2).toArray(); // [0.5, 1.5]
   * ```
   */
  div(other: Tensor | number): Tensor {
    const h = this.handleFor("div");
    return wrap(typeof other === "number" ? native.tf_div_scalar(h, other) : native.tf_div(h, operand(other, "div")), "div");
  }

  /**
   * Elementwise power with a tensor (broadcast) or a number exponent.
   *
   * @example
   * ```ts
   * tensor([2, 3]).pow(2).toArray(); // [4, 9]
   * ```
   */
  pow(exponent: Tensor | number): Tensor {
    const h = this.handleFor("pow");
    return wrap(
      typeof exponent === "number" ? native.tf_pow_scalar(h, exponent) : native.tf_pow(h, operand(exponent, "pow")),
      "pow",
    );
  }

  /**
   * Elementwise `==`, as a bool tensor.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).eq(2).toArray(); // [false, true, false]
   * ```
   */
  eq(other: Tensor | number): Tensor {
    const h = this.handleFor("eq");
    return wrap(typeof other === "number" ? native.tf_eq_scalar(h, other) : native.tf_eq(h, operand(other, "eq")), "eq");
  }

  /**
   * Elementwise `>`, as a bool tensor.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).gt(1).toArray(); // [false, true, true]
   * ```
   */
  gt(other: Tensor | number): Tensor {
    const h = this.handleFor("gt");
    return wrap(typeof other === "number" ? native.tf_gt_scalar(h, other) : native.tf_gt(h, operand(other, "gt")), "gt");
  }

  /**
   * Elementwise `<`, as a bool tensor.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).lt(3).toArray(); // [true, true, false]
   * ```
   */
  lt(other: Tensor | number): Tensor {
    const h = this.handleFor("lt");
    return wrap(typeof other === "number" ? native.tf_lt_scalar(h, other) : native.tf_lt(h, operand(other, "lt")), "lt");
  }

  /** Elementwise `-x`. @example `tensor([1, -2]).neg().toArray(); // [-1, 2]` */
  neg(): Tensor {
    return wrap(native.tf_neg(this.handleFor("neg")), "neg");
  }

  /** Elementwise `e^x`. @example `tensor([0]).exp().item(); // 1` */
  exp(): Tensor {
    return wrap(native.tf_exp(this.handleFor("exp")), "exp");
  }

  /** Elementwise natural logarithm. @example `tensor([1]).log().item(); // 0` */
  log(): Tensor {
    return wrap(native.tf_log(this.handleFor("log")), "log");
  }

  /** Elementwise square root. @example `tensor([4, 9]).sqrt().toArray(); // [2, 3]` */
  sqrt(): Tensor {
    return wrap(native.tf_sqrt(this.handleFor("sqrt")), "sqrt");
  }

  /** Elementwise absolute value. @example `tensor([-1, 2]).abs().toArray(); // [1, 2]` */
  abs(): Tensor {
    return wrap(native.tf_abs(this.handleFor("abs")), "abs");
  }

  /** Elementwise `max(x, 0)`. @example `tensor([-1, 2]).relu().toArray(); // [0, 2]` */
  relu(): Tensor {
    return wrap(native.tf_relu(this.handleFor("relu")), "relu");
  }

  /** Elementwise logistic function. @example `tensor([0]).sigmoid().item(); // 0.5` */
  sigmoid(): Tensor {
    return wrap(native.tf_sigmoid(this.handleFor("sigmoid")), "sigmoid");
  }

  /** Elementwise hyperbolic tangent. @example `tensor([0]).tanh().item(); // 0` */
  tanh(): Tensor {
    return wrap(native.tf_tanh(this.handleFor("tanh")), "tanh");
  }

  /**
   * Elementwise `min(max(x, min), max)`; either bound may be omitted.
   *
   * @example
   * ```ts
   * tensor([-1, 0.5, 2]).clamp(0, 1).toArray(); // [0, 0.5, 1]
   * ```
   */
  clamp(min = -Infinity, max = Infinity): Tensor {
    if (typeof min !== "number" || typeof max !== "number" || Number.isNaN(min) || Number.isNaN(max)) {
      throw new TorchError("clamp", `bounds must be numbers, got ${String(min)} and ${String(max)}`);
    }
    return wrap(native.tf_clamp(this.handleFor("clamp"), min, max), "clamp");
  }

  /**
   * Softmax along `dim` (default: the last).
   *
   * @example
   * ```ts
   * tensor([[1, 1]]).softmax(1).toArray(); // [[0.5, 0.5]]
   * ```
   */
  softmax(dim = -1): Tensor {
    return wrap(native.tf_softmax(this.handleFor("softmax"), int(dim, "softmax")), "softmax");
  }

  /**
   * Log of the softmax along `dim` (default: the last), computed stably in one op.
   *
   * @example
   * ```ts
   * tensor([[0, 0]]).logSoftmax(1).toArray(); // [[-0.6931..., -0.6931...]]
   * ```
   */
  logSoftmax(dim = -1): Tensor {
    return wrap(native.tf_log_softmax(this.handleFor("logSoftmax"), int(dim, "logSoftmax")), "logSoftmax");
  }

  /**
   * Matrix product with PyTorch's `matmul` rules (vectors, matrices, batches).
   *
   * @example
   * ```ts
   * tensor([[1, 2]]).matmul(tensor([[3], [4]])).toArray(); // [[11]]
   * ```
   */
  matmul(other: Tensor): Tensor {
    return wrap(native.tf_matmul(this.handleFor("matmul"), operand(other, "matmul")), "matmul");
  }

  /**
   * Sum of all elements, or along `dim` (a dim or a list of dims).
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).sum(1).toArray(); // [3, 7]
   * ```
   */
  sum(dim?: number | readonly number[], keepdim = false): Tensor {
    const dims = dimList(dim);
    const h = this.handleFor("sum");
    return wrap(native.tf_sum(h, int64List("sum", dims), dims.length, keepdim ? 1 : 0), "sum");
  }

  /**
   * Mean of all elements, or along `dim` (a dim or a list of dims). Needs a floating dtype.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).mean(0).toArray(); // [2, 3]
   * ```
   */
  mean(dim?: number | readonly number[], keepdim = false): Tensor {
    const dims = dimList(dim);
    const h = this.handleFor("mean");
    return wrap(native.tf_mean(h, int64List("mean", dims), dims.length, keepdim ? 1 : 0), "mean");
  }

  /**
   * The largest element, or the largest values along `dim`.
   *
   * @example
   * ```ts
   * tensor([[1, 5], [3, 4]]).max(1).toArray(); // [5, 4]
   * ```
   */
  max(dim?: number, keepdim = false): Tensor {
    const h = this.handleFor("max");
    return wrap(native.tf_max(h, dim === undefined ? 0 : int(dim, "max"), dim === undefined ? 0 : 1, keepdim ? 1 : 0), "max");
  }

  /**
   * The smallest element, or the smallest values along `dim`.
   *
   * @example
   * ```ts
   * tensor([[1, 5], [3, 4]]).min(0).toArray(); // [1, 4]
   * ```
   */
  min(dim?: number, keepdim = false): Tensor {
    const h = this.handleFor("min");
    return wrap(native.tf_min(h, dim === undefined ? 0 : int(dim, "min"), dim === undefined ? 0 : 1, keepdim ? 1 : 0), "min");
  }

  /**
   * Index (int64) of the largest element of the flattened tensor, or along `dim`.
   *
   * @example
   * ```ts
   * tensor([[1, 5], [3, 4]]).argmax(1).toArray(); // [1, 1]
   * ```
   */
  argmax(dim?: number, keepdim = false): Tensor {
    const h = this.handleFor("argmax");
    const hasDim = dim === undefined ? 0 : 1;
    return wrap(native.tf_argmax(h, dim === undefined ? 0 : int(dim, "argmax"), hasDim, keepdim ? 1 : 0), "argmax");
  }

  /**
   * A copy converted to `dtype`.
   *
   * @example
   * ```ts
   * tensor([1.7, -1.7]).to("int64").toArray(); // [1, -1]
   * ```
   */
  to(dtype: DType): Tensor {
    return wrap(native.tf_to_dtype(this.handleFor("to"), dtypeCode("to", dtype)), "to");
  }

  /**
   * A copy with its own storage.
   *
   * @example
   * ```ts
   * const copy = tensor([1, 2]).clone();
   * ```
   */
  clone(): Tensor {
    return wrap(native.tf_clone(this.handleFor("clone")), "clone");
  }

  /**
   * The same data, cut off from the autograd graph.
   *
   * @example
   * ```ts
   * const frozen = weights.detach();
   * ```
   */
  detach(): Tensor {
    return wrap(native.tf_detach(this.handleFor("detach")), "detach");
  }

  /**
   * Whether autograd records operations on this tensor. Set it on leaf tensors
   * (parameters, inputs) before computing with them.
   *
   * @example
   * ```ts
   * const w = randn([3]);
   * w.requiresGrad = true;
   * ```
   */
  get requiresGrad(): boolean {
    const flag = native.tf_requires_grad(this.handleFor("requiresGrad"));
    if (flag < 0) throw lastError("requiresGrad");
    return flag === 1;
  }

  set requiresGrad(value: boolean) {
    if (native.tf_set_requires_grad(this.handleFor("requiresGrad"), value ? 1 : 0) !== 0) throw lastError("requiresGrad");
  }

  /**
   * Computes the gradients of this tensor with respect to every leaf that
   * requires grad, accumulating them into their `grad`. A tensor with more than
   * one element needs `gradient`, the gradient of some scalar with respect to it.
   *
   * @example
   * ```ts
   * const x = tensor([1, 2, 3]);
   * x.requiresGrad = true;
   * x.pow(2).sum().backward();
   * console.log(x.grad?.toArray()); // [2, 4, 6]
   * ```
   */
  backward(gradient?: Tensor): void {
    const h = this.handleFor("backward");
    const g = gradient === undefined ? null : operand(gradient, "backward");
    if (native.tf_backward(h, g) !== 0) throw lastError("backward");
  }

  /**
   * The gradient accumulated by `backward()`, or `null` when there is none
   * (a new handle on each read).
   *
   * @example
   * ```ts
   * const g = w.grad; // Tensor | null
   * ```
   */
  get grad(): Tensor | null {
    const h = this.handleFor("grad");
    const has = native.tf_has_grad(h);
    if (has < 0) throw lastError("grad");
    return has === 1 ? wrap(native.tf_grad(h), "grad") : null;
  }

  /**
   * Drops the accumulated gradient, so the next `backward()` starts from zero.
   *
   * @example
   * ```ts
   * w.zeroGrad();
   * ```
   */
  zeroGrad(): void {
    if (native.tf_zero_grad(this.handleFor("zeroGrad")) !== 0) throw lastError("zeroGrad");
  }

  /**
   * 2-D max pooling over `[N, C, H, W]` (or `[C, H, W]`); the stride defaults
   * to the kernel size, as in the seed's `max_pool2d_default(k)`.
   *
   * @example
   * ```ts
   * zeros([1, 1, 28, 28]).maxPool2d(2).shape; // [1, 1, 14, 14]
   * ```
   */
  maxPool2d(kernelSize: number | readonly [number, number], stride?: number | readonly [number, number], padding: number | readonly [number, number] = 0): Tensor {
    const [kh, kw] = pair("maxPool2d", "kernelSize", kernelSize, 1);
    const [sh, sw] = stride === undefined ? [kh, kw] : pair("maxPool2d", "stride", stride, 1);
    const [ph, pw] = pair("maxPool2d", "padding", padding, 0);
    return wrap(native.tf_max_pool2d(this.handleFor("maxPool2d"), kh, kw, sh, sw, ph, pw), "maxPool2d");
  }

  /**
   * 2-D convolution of this `[N, C, H, W]` input with `weight` `[out, C/groups, kh, kw]`
   * and an optional `bias` `[out]`, in one fused LibTorch op.
   *
   * @example
   * ```ts
   * const edges = image.conv2d(kernel, undefined, { padding: 1 });
   * ```
   */
  conv2d(weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
    const h = this.handleFor("conv2d");
    const w = operand(weight, "conv2d");
    const b = bias == null ? null : operand(bias, "conv2d");
    const [sh, sw] = pair("conv2d", "stride", options.stride ?? 1, 1);
    const [ph, pw] = pair("conv2d", "padding", options.padding ?? 0, 0);
    const [dh, dw] = pair("conv2d", "dilation", options.dilation ?? 1, 1);
    const groups = options.groups ?? 1;
    if (!Number.isSafeInteger(groups) || groups < 1) throw new TorchError("conv2d", `groups must be a positive integer, got ${String(groups)}`);
    return wrap(native.tf_conv2d(h, w, b, sh, sw, ph, pw, dh, dw, groups), "conv2d");
  }

  /**
   * During training (`train = true`), zeroes each element with probability `p`
   * and scales the rest by `1 / (1 - p)`; in evaluation it returns the input.
   *
   * @example
   * ```ts
   * const hidden = x.relu().dropout(0.5, training);
   * ```
   */
  dropout(p = 0.5, train = true): Tensor {
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new TorchError("dropout", `p must be between 0 and 1, got ${String(p)}`);
    return wrap(native.tf_dropout(this.handleFor("dropout"), p, train ? 1 : 0), "dropout");
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

/**
 * @internal Wraps a handle returned by a C op, or throws that op's error.
 */
export function wrap(handle: Handle, op: string): Tensor {
  if (!handle) throw lastError(op);
  return new Tensor(handle);
}

/** @internal The handle of a tensor argument, with a clear error for anything else. */
export function operand(value: unknown, op: string): NonNullable<Handle> {
  if (!(value instanceof Tensor)) throw new TorchError(op, `expected a Tensor or a number, got ${describe(value)}`);
  return value.handleFor(op);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array (wrap it with tensor())";
  return typeof value === "object" ? (value.constructor?.name ?? "an object") : typeof value;
}

function int(value: number, op: string): number {
  if (!Number.isSafeInteger(value)) throw new TorchError(op, `expected an integer, got ${String(value)}`);
  return value;
}

const NO_DIMS: readonly number[] = [];

/** Stride, padding, dilation and groups of a 2-D convolution (numbers apply to both dims). */
export interface Conv2dOptions {
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  dilation?: number | readonly [number, number];
  groups?: number;
}

// A 2-D size given as one number or a pair, each at least `min`.
function pair(op: string, name: string, value: number | readonly [number, number], min: number): [number, number] {
  const [a, b] = typeof value === "number" ? [value, value] : Array.isArray(value) && value.length === 2 ? value : [NaN, NaN];
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < min || b < min) {
    throw new TorchError(op, `${name} must be ${min === 0 ? "a non-negative" : "a positive"} integer or a pair of them, got ${JSON.stringify(value)}`);
  }
  return [a, b];
}

function dimList(dim: number | readonly number[] | undefined): readonly number[] {
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

