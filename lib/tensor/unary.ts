/**
 * More elementwise maths of `Tensor`: activations (gelu, silu, leakyRelu,
 * softplus), trigonometry, rounding, reciprocals, elementwise minimum and
 * maximum, and the batched matrix product.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { native } from "../ffi/library.ts";
import type { Tensor } from "../tensor.ts";
import { operand, wrap } from "./core.ts";
import { numberArg, TensorInplace } from "./inplace.ts";

/** @internal More elementwise maths of `Tensor`; part of `Tensor`. */
export abstract class TensorUnary extends TensorInplace {
  /**
   * Gaussian error linear unit, `x * Φ(x)`; `"tanh"` uses the tanh approximation.
   *
   * @example
   * ```ts
   * tensor([0, 1]).gelu().toArray(); // [0, 0.8413...]
   * ```
   */
  gelu(approximate: "none" | "tanh" = "none"): Tensor {
    const h = this.handleFor("gelu");
    if (approximate !== "none" && approximate !== "tanh") {
      throw new TorchError("gelu", `approximate must be "none" or "tanh", got ${JSON.stringify(approximate)}`);
    }
    return wrap(native.tf_gelu(h, approximate === "none" ? 0 : 1), "gelu");
  }

  /** Elementwise `x * sigmoid(x)` (also called swish). @example `tensor([0]).silu().item(); // 0` */
  silu(): Tensor {
    return wrap(native.tf_silu(this.handleFor("silu")), "silu");
  }

  /**
   * Elementwise `x` for `x >= 0`, `slope * x` below.
   *
   * @example
   * ```ts
   * tensor([-2, 3]).leakyRelu(0.1).toArray(); // [-0.2, 3]
   * ```
   */
  leakyRelu(slope = 0.01): Tensor {
    const h = this.handleFor("leakyRelu");
    return wrap(native.tf_leaky_relu(h, numberArg("leakyRelu", "slope", slope, false)), "leakyRelu");
  }

  /**
   * Elementwise `log(1 + exp(beta * x)) / beta`, linear where `beta * x > threshold`.
   *
   * @example
   * ```ts
   * tensor([0]).softplus().item(); // 0.6931...
   * ```
   */
  softplus(beta = 1, threshold = 20): Tensor {
    const h = this.handleFor("softplus");
    numberArg("softplus", "beta", beta, false);
    numberArg("softplus", "threshold", threshold, false);
    return wrap(native.tf_softplus(h, beta, threshold), "softplus");
  }

  /** Elementwise sine (radians). @example `tensor([0]).sin().item(); // 0` */
  sin(): Tensor {
    return wrap(native.tf_sin(this.handleFor("sin")), "sin");
  }

  /** Elementwise cosine (radians). @example `tensor([0]).cos().item(); // 1` */
  cos(): Tensor {
    return wrap(native.tf_cos(this.handleFor("cos")), "cos");
  }

  /** Elementwise largest integer not above `x` (integer dtypes unchanged). @example `tensor([-1.5, 1.5]).floor().toArray(); // [-2, 1]` */
  floor(): Tensor {
    return wrap(native.tf_floor(this.handleFor("floor")), "floor");
  }

  /** Elementwise smallest integer not below `x`. @example `tensor([-1.5, 1.5]).ceil().toArray(); // [-1, 2]` */
  ceil(): Tensor {
    return wrap(native.tf_ceil(this.handleFor("ceil")), "ceil");
  }

  /** Elementwise rounding, halves to even as in PyTorch. @example `tensor([0.5, 1.5, 2.6]).round().toArray(); // [0, 2, 3]` */
  round(): Tensor {
    return wrap(native.tf_round(this.handleFor("round")), "round");
  }

  /** Elementwise -1, 0 or 1 by the sign of `x`. @example `tensor([-3, 0, 2]).sign().toArray(); // [-1, 0, 1]` */
  sign(): Tensor {
    return wrap(native.tf_sign(this.handleFor("sign")), "sign");
  }

  /** Elementwise `1 / x` (integers promote to float). @example `tensor([2, 4]).reciprocal().toArray(); // [0.5, 0.25]` */
  reciprocal(): Tensor {
    return wrap(native.tf_reciprocal(this.handleFor("reciprocal")), "reciprocal");
  }

  /** Elementwise `1 / sqrt(x)`. @example `tensor([4]).rsqrt().item(); // 0.5` */
  rsqrt(): Tensor {
    return wrap(native.tf_rsqrt(this.handleFor("rsqrt")), "rsqrt");
  }

  /**
   * Elementwise minimum of two tensors (broadcast); NaN if either is NaN.
   *
   * @example
   * ```ts
   * tensor([1, 5]).minimum(tensor([3, 2])).toArray(); // [1, 2]
   * ```
   */
  minimum(other: Tensor): Tensor {
    return wrap(native.tf_minimum(this.handleFor("minimum"), operand(other, "minimum")), "minimum");
  }

  /**
   * Elementwise maximum of two tensors (broadcast); NaN if either is NaN.
   *
   * @example
   * ```ts
   * tensor([1, 5]).maximum(tensor([3, 2])).toArray(); // [3, 5]
   * ```
   */
  maximum(other: Tensor): Tensor {
    return wrap(native.tf_maximum(this.handleFor("maximum"), operand(other, "maximum")), "maximum");
  }

  /**
   * Batched matrix product: `[B, n, m]` by `[B, m, p]` gives `[B, n, p]` (no broadcasting).
   *
   * @example
   * ```ts
   * ones([4, 2, 3]).bmm(ones([4, 3, 5])).shape; // [4, 2, 5]
   * ```
   */
  bmm(other: Tensor): Tensor {
    return wrap(native.tf_bmm(this.handleFor("bmm"), operand(other, "bmm")), "bmm");
  }
}
