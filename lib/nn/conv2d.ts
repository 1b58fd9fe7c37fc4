/**
 * `Conv2d`: a 2-D convolution layer.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { type Memory } from "../memory.ts";
import type { Conv2dOptions, Tensor } from "../tensor.ts";
import type { Compute } from "./compute.ts";
import { conv2d } from "./functional.ts";
import { positiveInteger, registerPytorchParameters, requireMemory } from "./init.ts";

/**
 * Options of `Conv2d` beyond kernel size, channels and stride.
 *
 * @example
 * ```ts
 * const sameSize = new Conv2d(mem, 3, 16, 16, 1, { padding: 1, groups: 4 });
 * ```
 */
export interface Conv2dLayerOptions {
  /** Zero padding on each side (default 0). */
  padding?: number | readonly [number, number];
  /** Spacing between kernel elements (default 1). */
  dilation?: number | readonly [number, number];
  /** Blocked connections from input to output channels (default 1). */
  groups?: number;
  /** Whether to add a learned bias (default true). */
  bias?: boolean;
  /**
   * Prefix of the parameter names, like a PyTorch attribute name: `"l1"`
   * registers `l1.weight` and `l1.bias`. Default: the layer kind and its index
   * among the layers of that kind in the Memory (`linear0`, `conv2d1`...).
   */
  name?: string;
}

/**
 * A 2-D convolution with a square kernel, its weight `[out, in/groups, k, k]`
 * and bias `[out]` in a `Memory`, initialised exactly as PyTorch's `nn.Conv2d`,
 * applied with LibTorch's fused `conv2d`. The argument order is the seed's:
 * kernel size, input channels, output channels, stride.
 *
 * @example
 * ```ts
 * import { Conv2d, Memory, randn } from "../../mod.ts";
 * const mem = new Memory();
 * const conv = new Conv2d(mem, 5, 1, 10, 1);
 * conv.forward(mem, randn([8, 1, 28, 28])).shape; // [8, 10, 24, 24]
 * ```
 */
export class Conv2d implements Compute {
  /** Id of the weight `[outChannels, inChannels/groups, k, k]` in the Memory. */
  readonly weight: number;
  /** Id of the bias `[outChannels]`, or null without one. */
  readonly bias: number | null;
  /** Stride, padding, dilation and groups, as given (defaults filled in). */
  readonly options: Readonly<Conv2dOptions>;

  /** Registers the weight and bias in `mem`, initialised as PyTorch's `nn.Conv2d`. */
  constructor(
    mem: Memory,
    kernelSize: number,
    inChannels: number,
    outChannels: number,
    stride = 1,
    layerOptions: Conv2dLayerOptions | null = {},
  ) {
    const options = layerOptions ?? {};
    positiveInteger("Conv2d", "kernelSize", kernelSize);
    positiveInteger("Conv2d", "inChannels", inChannels);
    positiveInteger("Conv2d", "outChannels", outChannels);
    positiveInteger("Conv2d", "stride", stride);
    const groups = positiveInteger("Conv2d", "groups", options.groups ?? 1);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new TorchError("Conv2d", `inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${groups})`);
    }
    this.options = { stride, padding: options.padding ?? 0, dilation: options.dilation ?? 1, groups };
    const shape = [outChannels, inChannels / groups, kernelSize, kernelSize];
    const ids = registerPytorchParameters(mem, shape, options.bias ?? true, "Conv2d", options.name);
    this.weight = ids.weight;
    this.bias = ids.bias;
  }

  /** `input [N, inChannels, H, W]` to `[N, outChannels, H', W']`. */
  forward(mem: Memory, input: Tensor): Tensor {
    requireMemory("Conv2d.forward", mem);
    return conv2d(input, mem.get(this.weight), this.bias === null ? null : mem.get(this.bias), this.options);
  }
}
