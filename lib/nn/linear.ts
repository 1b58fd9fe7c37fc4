/**
 * `Linear`: a fully connected layer, `y = x Wᵀ + b`.
 *
 * @module
 */
import { type Memory } from "../memory.ts";
import type { Tensor } from "../tensor.ts";
import type { Compute } from "./compute.ts";
import { linear } from "./functional.ts";
import { positiveInteger, registerPytorchParameters, requireMemory } from "./init.ts";

/**
 * Options of `Linear`.
 *
 * @example
 * ```ts
 * const noBias = new Linear(mem, 784, 10, { bias: false });
 * ```
 */
export interface LinearOptions {
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
 * A fully connected layer whose weight `[out, in]` and bias `[out]` live in a
 * `Memory`, initialised exactly as PyTorch's `nn.Linear`, and applied with
 * LibTorch's fused `linear`.
 *
 * @example
 * ```ts
 * import { Linear, Memory, randn } from "../../mod.ts";
 * const mem = new Memory();
 * const layer = new Linear(mem, 784, 10);
 * const logits = layer.forward(mem, randn([32, 784])); // [32, 10]
 * ```
 */
export class Linear implements Compute {
  /** Id of the weight `[outFeatures, inFeatures]` in the Memory. */
  readonly weight: number;
  /** Id of the bias `[outFeatures]` in the Memory, or null without one. */
  readonly bias: number | null;
  /** Features of each input row. */
  readonly inFeatures: number;
  /** Features of each output row. */
  readonly outFeatures: number;

  /** Registers the weight and bias in `mem`, initialised as PyTorch's `nn.Linear`. */
  constructor(mem: Memory, inFeatures: number, outFeatures: number, options: LinearOptions | null = {}) {
    this.inFeatures = positiveInteger("Linear", "inFeatures", inFeatures);
    this.outFeatures = positiveInteger("Linear", "outFeatures", outFeatures);
    const ids = registerPytorchParameters(mem, [outFeatures, inFeatures], options?.bias ?? true, "Linear", options?.name);
    this.weight = ids.weight;
    this.bias = ids.bias;
  }

  /** `input [..., inFeatures]` to `[..., outFeatures]`. */
  forward(mem: Memory, input: Tensor): Tensor {
    requireMemory("Linear.forward", mem);
    return linear(input, mem.get(this.weight), this.bias === null ? null : mem.get(this.bias));
  }
}
