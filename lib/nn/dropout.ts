/**
 * `Dropout` as a layer that follows the store's mode.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import type { Memory } from "../memory.ts";
import { operand, type Tensor } from "../tensor.ts";
import type { Compute } from "./compute.ts";
import { requireMemory } from "./init.ts";

/**
 * Zeroes each element with probability `p` and scales the rest by `1/(1-p)`
 * while `mem.training`; the identity in eval mode (PyTorch's `nn.Dropout`).
 * It has no parameters, so it takes no Memory to build. The mask is drawn from
 * LibTorch's global generator, as PyTorch's is.
 *
 * @example
 * ```ts
 * import { Dropout, Memory, ones } from "../../mod.ts";
 * const mem = new Memory();
 * const drop = new Dropout(0.5);
 * drop.forward(mem, ones([4]));        // some zeros, the rest 2
 * drop.forward(mem.eval(), ones([4])); // [1, 1, 1, 1]
 * ```
 */
export class Dropout implements Compute {
  /** Probability of zeroing each element in training mode. */
  readonly p: number;

  /** A dropout layer zeroing with probability `p` (default 0.5). */
  constructor(p = 0.5) {
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new TorchError("Dropout", `p must be a probability in [0, 1], got ${String(p)}`);
    this.p = p;
  }

  forward(mem: Memory, input: Tensor): Tensor {
    requireMemory("Dropout", mem);
    operand(input, "Dropout");
    return input.dropout(this.p, mem.training);
  }
}
