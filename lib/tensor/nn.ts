/**
 * Neural-network operations on `Tensor`: pooling, convolution and dropout, each one fused LibTorch op.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { native } from "../ffi/library.ts";
import type { Tensor } from "../tensor.ts";
import { type Conv2dOptions, operand, pair, wrap } from "./core.ts";
import { TensorGrad } from "./grad.ts";

/** @internal Neural-network operations on `Tensor`: pooling, convolution and dropout, each one fused LibTorch op; part of `Tensor`. */
export abstract class TensorNn extends TensorGrad {
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
  conv2d(weight: Tensor, bias?: Tensor | null, options?: Conv2dOptions | null): Tensor {
    const h = this.handleFor("conv2d");
    const w = operand(weight, "conv2d");
    const b = bias == null ? null : operand(bias, "conv2d");
    const given = options ?? {};
    const [sh, sw] = pair("conv2d", "stride", given.stride ?? 1, 1);
    const [ph, pw] = pair("conv2d", "padding", given.padding ?? 0, 0);
    const [dh, dw] = pair("conv2d", "dilation", given.dilation ?? 1, 1);
    // oneDNN keeps these sizes in 32-bit ints: a larger one wraps, and a padding
    // of 2**32 with a dilation divided by zero (SIGFPE, the process died).
    for (const [name, value] of [["stride", sh], ["stride", sw], ["padding", ph], ["padding", pw], ["dilation", dh], ["dilation", dw]] as const) {
      if (value > 2 ** 31 - 1) throw new TorchError("conv2d", `${name} must be at most ${2 ** 31 - 1}, got ${value}`);
    }
    const groups = given.groups ?? 1;
    if (!Number.isSafeInteger(groups) || groups < 1 || groups > 2 ** 31 - 1) {
      throw new TorchError("conv2d", `groups must be an integer from 1 to ${2 ** 31 - 1}, got ${String(groups)}`);
    }
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

}
