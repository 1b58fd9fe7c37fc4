/**
 * Average pooling of `Tensor`: fixed windows and adaptive output sizes.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { native } from "../ffi/library.ts";
import type { Tensor } from "../tensor.ts";
import { pair, wrap } from "./core.ts";
import { TensorReduce } from "./reduce.ts";

/**
 * Options of `avgPool2d`; the defaults are PyTorch's.
 *
 * @example
 * ```ts
 * const options: AvgPool2dOptions = { stride: 1, padding: 1, countIncludePad: false };
 * ones([1, 1, 4, 4]).avgPool2d(3, options).shape; // [1, 1, 4, 4]
 * ```
 */
export interface AvgPool2dOptions {
  /** Step between windows (default: the kernel size). */
  stride?: number | readonly [number, number];
  /** Zero padding on each side (default 0; at most half the kernel). */
  padding?: number | readonly [number, number];
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
  /** Count padded zeros in each window's average (default true). */
  countIncludePad?: boolean;
}

/** @internal Average pooling of `Tensor`; part of `Tensor`. */
export abstract class TensorPool extends TensorReduce {
  /**
   * 2-D average pooling over `[N, C, H, W]` (or `[C, H, W]`).
   *
   * @example
   * ```ts
   * tensor([[[[1, 2], [3, 4]]]]).avgPool2d(2).toArray(); // [[[[2.5]]]]
   * ```
   */
  avgPool2d(kernelSize: number | readonly [number, number], options: AvgPool2dOptions = {}): Tensor {
    const h = this.handleFor("avgPool2d");
    const given = options ?? {};
    const [kh, kw] = pair("avgPool2d", "kernelSize", kernelSize, 1);
    const [sh, sw] = given.stride === undefined ? [kh, kw] : pair("avgPool2d", "stride", given.stride, 1);
    const [ph, pw] = pair("avgPool2d", "padding", given.padding ?? 0, 0);
    const ceilMode = given.ceilMode ?? false, countIncludePad = given.countIncludePad ?? true;
    if (typeof ceilMode !== "boolean" || typeof countIncludePad !== "boolean") {
      throw new TorchError("avgPool2d", "ceilMode and countIncludePad must be booleans");
    }
    return wrap(native.tf_avg_pool2d(h, kh, kw, sh, sw, ph, pw, ceilMode ? 1 : 0, countIncludePad ? 1 : 0), "avgPool2d");
  }

  /**
   * 2-D average pooling to a fixed output size (`[h, w]`, or one number for
   * both), whatever the input's, like `nn.AdaptiveAvgPool2d`.
   *
   * @example
   * ```ts
   * ones([1, 3, 7, 9]).adaptiveAvgPool2d(1).shape; // [1, 3, 1, 1]
   * ```
   */
  adaptiveAvgPool2d(outputSize: number | readonly [number, number]): Tensor {
    const h = this.handleFor("adaptiveAvgPool2d");
    const [oh, ow] = pair("adaptiveAvgPool2d", "outputSize", outputSize, 0);
    return wrap(native.tf_adaptive_avg_pool2d(h, oh, ow), "adaptiveAvgPool2d");
  }
}
