/**
 * The seed's `Compute` trait: anything that maps an input to an output using
 * parameters kept in a `Memory`.
 *
 * @module
 */
import type { Memory } from "../memory.ts";
import type { Tensor } from "../tensor.ts";

/**
 * A layer or a whole model. Parameters live in the `Memory`, not in the
 * object, so one model definition can run against different stores.
 *
 * @example
 * ```ts
 * import { type Compute, Linear, Memory, Tensor } from "../../mod.ts";
 * class TwoLayer implements Compute {
 *   l1: Linear; l2: Linear;
 *   constructor(mem: Memory) {
 *     this.l1 = new Linear(mem, 784, 128);
 *     this.l2 = new Linear(mem, 128, 10);
 *   }
 *   forward(mem: Memory, input: Tensor): Tensor {
 *     return this.l2.forward(mem, this.l1.forward(mem, input).relu());
 *   }
 * }
 * ```
 */
export interface Compute {
  /** The model's output for `input`, reading its parameters from `mem`. */
  forward(mem: Memory, input: Tensor): Tensor;
}
