/**
 * In-place ops of `Tensor` (PyTorch's trailing underscore): they change the
 * receiver's values and return the receiver itself. Autograd's rules apply as
 * in PyTorch: a leaf that requires grad may only be changed inside `noGrad`.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { checkStatus, native } from "../ffi/library.ts";
import type { Tensor } from "../tensor.ts";
import { operand } from "./core.ts";
import { TensorRearrange } from "./rearrange.ts";

/** @internal A number argument, or a clear error naming the op. */
export function numberArg(op: string, name: string, value: unknown, allowNaN = true): number {
  if (typeof value !== "number" || (!allowNaN && Number.isNaN(value))) {
    throw new TorchError(op, `${name} must be a number, got ${typeof value === "number" ? "NaN" : value === null ? "null" : typeof value}`);
  }
  return value;
}

/** @internal In-place ops of `Tensor` (trailing underscore); part of `Tensor`. */
export abstract class TensorInplace extends TensorRearrange {
  /**
   * Adds a tensor (broadcast into this shape) or a number to this tensor, in
   * place. With `alpha`, adds `alpha * other` in one fused loop, like PyTorch's
   * `add_(other, alpha=...)` (a tensor operand only).
   *
   * @example
   * ```ts
   * const t = tensor([1, 2]);
   * t.add_(1).toArray(); // [2, 3] (t itself is now [2, 3])
   * t.add_(tensor([1, 1]), 10).toArray(); // [12, 13]
   * ```
   */
  add_(other: Tensor | number, alpha = 1): this {
    return this.#addOrSub("add_", other, alpha);
  }

  /**
   * Subtracts a tensor (broadcast) or a number from this tensor, in place. With
   * `alpha`, subtracts `alpha * other` in one fused loop, so `p.sub_(grad, lr)`
   * is bit for bit the step of `torch.optim.SGD` (and of `applyGradsSgd`);
   * `p.sub_(grad.mul(lr))` rounds twice, in PyTorch as here.
   *
   * @example
   * ```ts
   * noGrad(() => param.sub_(param.grad!, 0.1)); // one hand-written SGD step
   * ```
   */
  sub_(other: Tensor | number, alpha = 1): this {
    return this.#addOrSub("sub_", other, alpha);
  }

  #addOrSub(op: "add_" | "sub_", other: Tensor | number, alpha: number): this {
    const h = this.handleFor(op);
    numberArg(op, "alpha", alpha, false);
    let status: number;
    if (typeof other === "number") {
      if (alpha !== 1) throw new TorchError(op, "alpha applies to a tensor operand; scale the number instead");
      status = (op === "add_" ? native.tf_add_scalar_ : native.tf_sub_scalar_)(h, other);
    } else {
      status = (op === "add_" ? native.tf_add_ : native.tf_sub_)(h, operand(other, op), alpha);
    }
    checkStatus(status, op);
    return this;
  }

  /**
   * Multiplies this tensor by a tensor (broadcast) or a number, in place.
   *
   * @example
   * ```ts
   * noGrad(() => w.grad!.mul_(0.5)); // halve an accumulated gradient
   * ```
   */
  mul_(other: Tensor | number): this {
    const h = this.handleFor("mul_");
    const status = typeof other === "number" ? native.tf_mul_scalar_(h, other) : native.tf_mul_(h, operand(other, "mul_"));
    checkStatus(status, "mul_");
    return this;
  }

  /**
   * Divides this tensor by a tensor (broadcast) or a number, in place (true
   * division: an integer tensor cannot hold the result and is refused).
   *
   * @example
   * ```ts
   * tensor([2, 4.5]).div_(2).toArray(); // [1, 2.25]
   * ```
   */
  div_(other: Tensor | number): this {
    const h = this.handleFor("div_");
    const status = typeof other === "number" ? native.tf_div_scalar_(h, other) : native.tf_div_(h, operand(other, "div_"));
    checkStatus(status, "div_");
    return this;
  }

  /**
   * Sets every element to zero, in place.
   *
   * @example
   * ```ts
   * ones([2]).zero_().toArray(); // [0, 0]
   * ```
   */
  zero_(): this {
    checkStatus(native.tf_zero_(this.handleFor("zero_")), "zero_");
    return this;
  }

  /**
   * Sets every element to `value`, in place.
   *
   * @example
   * ```ts
   * zeros([2], "int64").fill_(7).toArray(); // [7, 7]
   * ```
   */
  fill_(value: number): this {
    const h = this.handleFor("fill_");
    // LibTorch refuses a value the dtype cannot hold ("cannot be converted to type int without overflow").
    numberArg("fill_", "value", value);
    checkStatus(native.tf_fill_(h, value), "fill_");
    return this;
  }

  /**
   * Copies `src`'s values into this tensor (broadcast to this shape, converted
   * to this dtype), in place.
   *
   * @example
   * ```ts
   * zeros([2, 2]).copy_(tensor([1, 2])).toArray(); // [[1, 2], [1, 2]]
   * ```
   */
  copy_(src: Tensor): this {
    checkStatus(native.tf_copy_(this.handleFor("copy_"), operand(src, "copy_")), "copy_");
    return this;
  }

  /**
   * Clamps every element into `[min, max]`, in place; either bound may be omitted.
   *
   * @example
   * ```ts
   * tensor([-2, 0.5, 3]).clamp_(-1, 1).toArray(); // [-1, 0.5, 1]
   * ```
   */
  clamp_(min = -Infinity, max = Infinity): this {
    const h = this.handleFor("clamp_");
    numberArg("clamp_", "min", min, false);
    numberArg("clamp_", "max", max, false);
    checkStatus(native.tf_clamp_(h, min, max), "clamp_");
    return this;
  }

  /**
   * Refills this tensor with uniform numbers in `[low, high)` from the global
   * generator (the same numbers as PyTorch's `uniform_` after the same `manualSeed`).
   *
   * @example
   * ```ts
   * manualSeed(0);
   * zeros([3]).uniform_(-1, 1);
   * ```
   */
  uniform_(low = 0, high = 1): this {
    const h = this.handleFor("uniform_");
    numberArg("uniform_", "low", low, false);
    numberArg("uniform_", "high", high, false);
    checkStatus(native.tf_uniform_(h, low, high), "uniform_");
    return this;
  }

  /**
   * Refills this tensor with normal numbers of the given mean and standard
   * deviation from the global generator (PyTorch's `normal_`).
   *
   * @example
   * ```ts
   * zeros([2, 2]).normal_(0, 0.02);
   * ```
   */
  normal_(mean = 0, std = 1): this {
    const h = this.handleFor("normal_");
    numberArg("normal_", "mean", mean, false);
    numberArg("normal_", "std", std, false);
    checkStatus(native.tf_normal_(h, mean, std), "normal_");
    return this;
  }
}
