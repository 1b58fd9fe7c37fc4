/**
 * `Flatten` as a layer.
 *
 * @module
 */
import type { Memory } from "../memory.ts";
import { operand, type Tensor } from "../tensor.ts";
import type { Compute } from "./compute.ts";
import { requireMemory } from "./init.ts";

/**
 * Flattens dims `startDim..endDim` (inclusive) into one (PyTorch's
 * `nn.Flatten`): by default everything but the batch dim, so `[N, C, H, W]`
 * becomes `[N, C*H*W]`.
 *
 * @example
 * ```ts
 * import { Flatten, Memory, zeros } from "../../mod.ts";
 * const mem = new Memory();
 * new Flatten().forward(mem, zeros([8, 20, 4, 4])).shape; // [8, 320]
 * ```
 */
export class Flatten implements Compute {
  /** First dim flattened. */
  readonly startDim: number;
  /** Last dim flattened (inclusive; negatives count from the end). */
  readonly endDim: number;

  /** Flattens dims `startDim`..`endDim` into one. */
  constructor(startDim = 1, endDim = -1) {
    this.startDim = startDim;
    this.endDim = endDim;
  }

  forward(mem: Memory, input: Tensor): Tensor {
    requireMemory("Flatten", mem);
    operand(input, "Flatten");
    return input.flatten(this.startDim, this.endDim);
  }
}
