/**
 * Autograd on `Tensor`: requiresGrad, backward and gradients; LibTorch's own engine does the work.
 *
 * @module
 */
import { lastError, native } from "../ffi/library.ts";
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

}
