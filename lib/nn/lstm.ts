/**
 * `LSTM`: a multi-layer long short-term memory layer.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { type Memory } from "../memory.ts";
import type { Tensor } from "../tensor.ts";
import type { Compute } from "./compute.ts";
import { RecurrentLayer, type RecurrentOptions } from "./rnn.ts";

/**
 * The state of an `LSTM`: the hidden and cell states, each
 * `[numLayers * directions, batch, hiddenSize]` in PyTorch's layout (layer by
 * layer, the forward direction before the reverse one), whatever `batchFirst` says.
 *
 * @example
 * ```ts
 * const state: LSTMState = { h: zeros([1, 8, 32]), c: zeros([1, 8, 32]) };
 * ```
 */
export interface LSTMState {
  /** Hidden state `[numLayers * directions, batch, hiddenSize]`. */
  h: Tensor;
  /** Cell state, the same shape as `h`. */
  c: Tensor;
}

/**
 * PyTorch's `nn.LSTM`, its parameters in a `Memory` under PyTorch's names
 * (`<name>.weight_ih_l0`, `<name>.weight_hh_l0`, `<name>.bias_ih_l0`,
 * `<name>.bias_hh_l0`, `..._reverse` for the backward direction), initialised
 * exactly as PyTorch's after the same `manualSeed`, every layer and direction
 * run in one fused LibTorch call. Inputs are `[seq, batch, inputSize]`
 * (`[batch, seq, inputSize]` with `batchFirst`); outputs `[..., directions * hiddenSize]`.
 * Dropout between layers is active only while `mem.training`.
 *
 * @example
 * ```ts
 * import { LSTM, Memory, randn } from "../../mod.ts";
 * const mem = new Memory();
 * const lstm = new LSTM(mem, 10, 20, { numLayers: 2, batchFirst: true });
 * const out = lstm.forward(mem, randn([4, 7, 10]));          // [4, 7, 20]
 * const { output, state } = lstm.forwardWithState(mem, randn([4, 7, 10]));
 * const next = lstm.forwardWithState(mem, randn([4, 1, 10]), state); // carries on
 * ```
 */
export class LSTM extends RecurrentLayer implements Compute {
  /** Registers every layer's and direction's weights in `mem`, initialised as PyTorch's `nn.LSTM`. */
  constructor(mem: Memory, inputSize: number, hiddenSize: number, options: RecurrentOptions | null = {}) {
    super("LSTM", 4, mem, inputSize, hiddenSize, options);
  }

  /** The output for every step of the sequence, from a zero state. */
  forward(mem: Memory, input: Tensor): Tensor {
    const [output, h, c] = this.run(mem, input, null, null);
    h.dispose();
    c.dispose();
    return output;
  }

  /** The output and the final state, from `state` (zeros when omitted). */
  forwardWithState(mem: Memory, input: Tensor, state?: LSTMState | null): { output: Tensor; state: LSTMState } {
    if (state != null && (typeof state !== "object" || !("h" in state) || !("c" in state))) {
      throw new TorchError("LSTM", `layer "${this.name}": the state must be { h, c }, got ${typeof state}`);
    }
    const [output, h, c] = this.run(mem, input, state?.h ?? null, state?.c ?? null);
    return { output, state: { h, c } };
  }
}
