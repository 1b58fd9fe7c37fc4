/**
 * Elementwise maths, comparisons, reductions and conversions of `Tensor`, with broadcasting and PyTorch's type promotion.
 *
 * @module
 */
import { type DType, dtypeCode } from "../dtype.ts";
import { TorchError } from "../errors.ts";
import { native } from "../ffi/library.ts";
import { int64List } from "../ffi/marshal.ts";
import type { Tensor } from "../tensor.ts";
import { dimList, int, operand, wrap } from "./core.ts";
import { TensorShape } from "./shape.ts";

/** @internal Elementwise maths, comparisons, reductions and conversions of `Tensor`, with broadcasting and PyTorch's type promotion; part of `Tensor`. */
export abstract class TensorMath extends TensorShape {
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

}
