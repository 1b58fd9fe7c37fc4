/**
 * `Sequential`: a chain of layers.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import type { Memory } from "../memory.ts";
import type { Tensor } from "../tensor.ts";
import type { Compute } from "./compute.ts";
import { requireMemory } from "./init.ts";

/**
 * Runs its layers one after the other, each output the next one's input
 * (PyTorch's `nn.Sequential`). It takes the Memory first, like every layer,
 * and the layers built on it; the layers keep their own names, so to load a
 * PyTorch `nn.Sequential`'s state dict name them `"0"`, `"1"`... as PyTorch
 * numbers its children (layers without parameters still take a number there).
 *
 * @example
 * ```ts
 * import { BatchNorm1d, Dropout, Linear, Memory, ReLU, Sequential, randn } from "../../mod.ts";
 * const mem = new Memory();
 * const model = new Sequential(
 *   mem,
 *   new Linear(mem, 784, 128, { name: "0" }),
 *   new BatchNorm1d(mem, 128, { name: "1" }),
 *   new ReLU(),
 *   new Dropout(0.2),
 *   new Linear(mem, 128, 10, { name: "4" }),
 * );
 * const logits = model.forward(mem, randn([32, 784])); // [32, 10]
 * ```
 */
export class Sequential implements Compute {
  /** The layers, applied in order. */
  readonly layers: readonly Compute[];

  /** Chains `layers`; they must have been built on `mem`. */
  constructor(mem: Memory, ...layers: Compute[]) {
    requireMemory("Sequential", mem);
    layers.forEach((layer, i) => {
      if (layer === null || typeof layer !== "object" || typeof layer.forward !== "function") {
        throw new TorchError("Sequential", `layer ${i} must implement forward(mem, input)`);
      }
    });
    this.layers = Object.freeze([...layers]);
  }

  forward(mem: Memory, input: Tensor): Tensor {
    requireMemory("Sequential", mem);
    let out = input;
    for (const layer of this.layers) out = layer.forward(mem, out);
    return out;
  }
}
