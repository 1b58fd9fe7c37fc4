/**
 * `BasicBlock`: the residual block of torchvision's ResNet-18/34.
 *
 * @module
 */
import type { Memory } from "../memory.ts";
import type { Tensor } from "../tensor.ts";
import { BatchNorm2d } from "./batch_norm.ts";
import type { Compute } from "./compute.ts";
import { Conv2d } from "./conv2d.ts";
import { positiveInteger, requireMemory } from "./init.ts";

/**
 * Two 3x3 convolutions with BatchNorm, added to the input (through a 1x1
 * convolution and BatchNorm when the stride or channel count changes), then a
 * ReLU. Names follow torchvision's `BasicBlock` under `name`: `conv1`, `bn1`,
 * `conv2`, `bn2` and `downsample.0`, `downsample.1`, so a PyTorch module of the
 * same shape loads with `mem.load`.
 *
 * @example
 * ```ts
 * import { BasicBlock, Memory, randn } from "../../mod.ts";
 * const mem = new Memory();
 * const block = new BasicBlock(mem, 16, 32, 2, "layer2");
 * block.forward(mem, randn([8, 16, 28, 28])).shape; // [8, 32, 14, 14]
 * ```
 */
export class BasicBlock implements Compute {
  /** First 3x3 convolution (carries the stride). */
  readonly conv1: Conv2d;
  /** BatchNorm after `conv1`. */
  readonly bn1: BatchNorm2d;
  /** Second 3x3 convolution. */
  readonly conv2: Conv2d;
  /** BatchNorm after `conv2`. */
  readonly bn2: BatchNorm2d;
  /** The 1x1 convolution and BatchNorm of the shortcut, or null when it is the identity. */
  readonly downsample: readonly [Conv2d, BatchNorm2d] | null;

  /** Registers the block's layers in `mem` under `name` (torchvision's names inside it). */
  constructor(mem: Memory, inChannels: number, outChannels: number, stride: number, name: string) {
    requireMemory("BasicBlock", mem);
    positiveInteger("BasicBlock", "inChannels", inChannels);
    positiveInteger("BasicBlock", "outChannels", outChannels);
    positiveInteger("BasicBlock", "stride", stride);
    // Built in torchvision's order, so the same seed draws the same weights.
    this.conv1 = new Conv2d(mem, 3, inChannels, outChannels, stride, { padding: 1, bias: false, name: `${name}.conv1` });
    this.bn1 = new BatchNorm2d(mem, outChannels, { name: `${name}.bn1` });
    this.conv2 = new Conv2d(mem, 3, outChannels, outChannels, 1, { padding: 1, bias: false, name: `${name}.conv2` });
    this.bn2 = new BatchNorm2d(mem, outChannels, { name: `${name}.bn2` });
    this.downsample = stride !== 1 || inChannels !== outChannels
      ? [
        new Conv2d(mem, 1, inChannels, outChannels, stride, { bias: false, name: `${name}.downsample.0` }),
        new BatchNorm2d(mem, outChannels, { name: `${name}.downsample.1` }),
      ]
      : null;
  }

  /** `[N, in, H, W]` to `[N, out, H/stride, W/stride]`. */
  forward(mem: Memory, input: Tensor): Tensor {
    let o = this.bn1.forward(mem, this.conv1.forward(mem, input)).relu();
    o = this.bn2.forward(mem, this.conv2.forward(mem, o));
    const shortcut = this.downsample === null ? input : this.downsample[1].forward(mem, this.downsample[0].forward(mem, input));
    return o.add(shortcut).relu();
  }
}
