/**
 * Activations as layers (`ReLU`, `GELU`, `Tanh`), for `Sequential` chains.
 * They hold no parameters and behave the same in both modes.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import type { Memory } from "../memory.ts";
import { operand, type Tensor } from "../tensor.ts";
import type { Compute } from "./compute.ts";
import { requireMemory } from "./init.ts";

/**
 * `max(x, 0)` as a layer (PyTorch's `nn.ReLU`).
 *
 * @example
 * ```ts
 * const model = new Sequential(mem, new Linear(mem, 4, 8), new ReLU(), new Linear(mem, 8, 2));
 * ```
 */
export class ReLU implements Compute {
  forward(mem: Memory, input: Tensor): Tensor {
    requireMemory("ReLU", mem);
    operand(input, "ReLU");
    return input.relu();
  }
}

/**
 * The Gaussian error linear unit as a layer (PyTorch's `nn.GELU`), exact by
 * default or with the `"tanh"` approximation.
 *
 * @example
 * ```ts
 * const act = new GELU("tanh");
 * const h = act.forward(mem, x);
 * ```
 */
export class GELU implements Compute {
  /** "none" for the exact erf form, "tanh" for the tanh approximation. */
  readonly approximate: "none" | "tanh";

  /** A GELU layer, exact or with the tanh approximation. */
  constructor(approximate: "none" | "tanh" = "none") {
    if (approximate !== "none" && approximate !== "tanh") {
      throw new TorchError("GELU", `approximate must be "none" or "tanh", got ${String(approximate)}`);
    }
    this.approximate = approximate;
  }

  forward(mem: Memory, input: Tensor): Tensor {
    requireMemory("GELU", mem);
    operand(input, "GELU");
    return input.gelu(this.approximate);
  }
}

/**
 * The hyperbolic tangent as a layer (PyTorch's `nn.Tanh`).
 *
 * @example
 * ```ts
 * const h = new Tanh().forward(mem, x);
 * ```
 */
export class Tanh implements Compute {
  forward(mem: Memory, input: Tensor): Tensor {
    requireMemory("Tanh", mem);
    operand(input, "Tanh");
    return input.tanh();
  }
}
