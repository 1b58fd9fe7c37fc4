/**
 * Comparisons of `Tensor` (`ge`, `le`, `ne`) and choosing elements by a
 * condition (`where`, `maskedFill`), with broadcasting and PyTorch's type promotion.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { native } from "../ffi/library.ts";
import type { Handle } from "../ffi/symbols.ts";
import type { Tensor } from "../tensor.ts";
import { operand, wrap } from "./core.ts";
import { TensorNn } from "./nn.ts";

/** @internal A number argument (NaN and infinities included), or a clear error. */
function number(value: unknown, op: string, name: string): number {
  if (typeof value !== "number") throw new TorchError(op, `${name} must be a number or a Tensor, got ${value === null ? "null" : typeof value}`);
  return value;
}

/** A tensor argument as (handle, 0), or a number as (NULL, value): how the C side takes "tensor or number". */
function tensorOrNumber(value: Tensor | number, op: string): [Handle, number] {
  return typeof value === "number" ? [null, value] : [operand(value, op), 0];
}

/**
 * Picks from `a` where `cond` is true and from `b` elsewhere, broadcasting all
 * three, like `torch.where`. `a` and `b` may be numbers (an integral number
 * acts like a Python int); the result has their promoted dtype. Gradients flow
 * to `a` and `b`.
 *
 * @example
 * ```ts
 * import { tensor, where } from "../../mod.ts";
 * const x = tensor([-1, 2, -3]);
 * where(x.gt(0), x, 0).toArray(); // [0, 2, 0]
 * ```
 */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const c = operand(cond, "where");
  const [ah, av] = tensorOrNumber(a, "where");
  const [bh, bv] = tensorOrNumber(b, "where");
  return wrap(native.tf_where(c, ah, av, bh, bv), "where");
}

/** @internal Comparisons and choosing by a condition; part of `Tensor`. */
export abstract class TensorCompare extends TensorNn {
  /**
   * Elementwise `>=` with a tensor (broadcast) or a number, as a bool tensor.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).ge(2).toArray(); // [false, true, true]
   * ```
   */
  ge(other: Tensor | number): Tensor {
    const h = this.handleFor("ge");
    return wrap(typeof other === "number" ? native.tf_ge_scalar(h, other) : native.tf_ge(h, operand(other, "ge")), "ge");
  }

  /**
   * Elementwise `<=` with a tensor (broadcast) or a number, as a bool tensor.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).le(tensor([2, 2, 2])).toArray(); // [true, true, false]
   * ```
   */
  le(other: Tensor | number): Tensor {
    const h = this.handleFor("le");
    return wrap(typeof other === "number" ? native.tf_le_scalar(h, other) : native.tf_le(h, operand(other, "le")), "le");
  }

  /**
   * Elementwise `!=` with a tensor (broadcast) or a number, as a bool tensor.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).ne(2).toArray(); // [true, false, true]
   * ```
   */
  ne(other: Tensor | number): Tensor {
    const h = this.handleFor("ne");
    return wrap(typeof other === "number" ? native.tf_ne_scalar(h, other) : native.tf_ne(h, operand(other, "ne")), "ne");
  }

  /**
   * A copy with `value` wherever the bool `mask` (broadcast to this shape) is
   * true. `value` is a number or a 0-dim tensor; the dtype stays this one's.
   * The gradient flows to the entries that were kept.
   *
   * @example
   * ```ts
   * const scores = tensor([[1, 2], [3, 4]]);
   * scores.maskedFill(tensor([[false, true], [false, false]]), -Infinity).toArray(); // [[1, -Infinity], [3, 4]]
   * ```
   */
  maskedFill(mask: Tensor, value: Tensor | number): Tensor {
    const h = this.handleFor("maskedFill");
    const m = operand(mask, "maskedFill");
    const [vh, vn] = typeof value === "object" && value !== null ? [operand(value, "maskedFill"), 0] : [null, number(value, "maskedFill", "value")];
    return wrap(native.tf_masked_fill(h, m, vh, vn), "maskedFill");
  }
}
