/**
 * Autograd on `Tensor`: requiresGrad, backward and gradients; LibTorch's own engine does the work.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { lastError, native, reportWarnings, waitingWarnings } from "../ffi/library.ts";
import { setDependent } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import { operand, wrap } from "./core.ts";
import { TensorMath } from "./math.ts";

/** @internal Autograd on `Tensor`: requiresGrad, backward and gradients; LibTorch's own engine does the work; part of `Tensor`. */
export abstract class TensorGrad extends TensorMath {
  /**
   * Whether autograd records operations on this tensor. Set it on leaf tensors
   * (parameters, inputs) before computing with them.
   *
   * @example
   * ```ts
   * const w = randn([3]);
   * w.requiresGrad = true;
   * ```
   *
   * PyTorch's method form is `requiresGrad_()`; this one is a property, so
   * `w.requiresGrad()` is not a function.
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
   * Sets `requiresGrad` in place and returns this tensor, as PyTorch's
   * `requires_grad_()` does, so it chains.
   *
   * @example
   * ```ts
   * const w = randn([3, 2]).requiresGrad_();
   * const frozen = randn([2]).requiresGrad_(false);
   * ```
   */
  requiresGrad_(flag = true): this {
    if (typeof flag !== "boolean") {
      throw new TorchError("requiresGrad_", `expected true or false, got ${flag === null ? "null" : typeof flag}`);
    }
    this.requiresGrad = flag;
    return this;
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
   * The gradient accumulated by `backward()`, or `null` when there is none.
   *
   * Every read returns the same `Tensor` while the gradient is the same
   * native tensor (later `backward()` calls add into it in place), so reading
   * it in a loop creates nothing. It belongs to this tensor: it is freed with
   * it, or when the gradient is dropped (`zeroGrad()`, an optimizer step of a
   * `Memory`) or replaced; its `dispose()` does nothing. `clone()` it to keep
   * the values.
   *
   * @example
   * ```ts
   * const g = w.grad; // Tensor | null
   * console.log(w.grad === g); // true until the gradient is dropped
   * ```
   */
  get grad(): Tensor | null {
    const h = this.handleFor("grad");
    const cached = this._dependent as Tensor | null;
    const state = native.tf_grad_state(h, cached === null ? null : cached._handle);
    // Reading the grad of a non-leaf tensor is LibTorch's most common warning.
    if (waitingWarnings[0] !== 0) reportWarnings("grad");
    if (state < 0) throw lastError("grad");
    if (state === 1) return cached;
    if (state === 0) {
      if (cached !== null) setDependent(this, null);
      return null;
    }
    const grad = wrap(native.tf_grad(h), "grad");
    setDependent(this, grad);
    return grad;
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
    if (this._dependent !== null) setDependent(this, null);
  }

}
