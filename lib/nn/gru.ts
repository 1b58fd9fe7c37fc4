/**
 * `GRU`: a multi-layer gated recurrent unit layer.
 *
 * @module
 */
import { type Memory } from "../memory.ts";
import type { Tensor } from "../tensor.ts";
import type { Compute } from "./compute.ts";
import { RecurrentLayer, type RecurrentOptions } from "./rnn.ts";

/**
 * PyTorch's `nn.GRU`, its parameters in a `Memory` under PyTorch's names
 * (`<name>.weight_ih_l0`, `<name>.weight_hh_l0`, `<name>.bias_ih_l0`,
 * `<name>.bias_hh_l0`, `..._reverse` for the backward direction), initialised
 * exactly as PyTorch's after the same `manualSeed`, every layer and direction
 * run in one fused LibTorch call. Inputs are `[seq, batch, inputSize]`
 * (`[batch, seq, inputSize]` with `batchFirst`); outputs `[..., directions * hiddenSize]`;
 * the state is the hidden state `[numLayers * directions, batch, hiddenSize]`
 * in PyTorch's layout whatever `batchFirst` says.
 *
 * @example
 * ```ts
 * import { GRU, Memory, randn } from "../../mod.ts";
 * const mem = new Memory();
 * const gru = new GRU(mem, 10, 20, { bidirectional: true });
 * const out = gru.forward(mem, randn([7, 4, 10]));              // [7, 4, 40]
 * const { output, state } = gru.forwardWithState(mem, randn([7, 4, 10])); // state [2, 4, 20]
 * ```
 */
export class GRU extends RecurrentLayer implements Compute {
  /** Registers every layer's and direction's weights in `mem`, initialised as PyTorch's `nn.GRU`. */
  constructor(mem: Memory, inputSize: number, hiddenSize: number, options: RecurrentOptions | null = {}) {
    super("GRU", 3, mem, inputSize, hiddenSize, options);
  }

  /** The output for every step of the sequence, from a zero state. */
  forward(mem: Memory, input: Tensor): Tensor {
    const [output, h] = this.run(mem, input, null, null);
    h.dispose();
    return output;
  }

  /** The output and the final hidden state, from `state` (zeros when omitted). */
  forwardWithState(mem: Memory, input: Tensor, state?: Tensor | null): { output: Tensor; state: Tensor } {
    const [output, h] = this.run(mem, input, state ?? null, null);
    return { output, state: h };
  }
}
