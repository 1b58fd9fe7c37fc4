/**
 * What `LSTM` and `GRU` share: their options, PyTorch's parameter names and
 * initialisation, the shape checks, and the one fused call into LibTorch.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { lastError, native, nativeLibrary } from "../ffi/library.ts";
import { int64List } from "../ffi/marshal.ts";
import { type Memory } from "../memory.ts";
import { checkName } from "../names.ts";
import { tidy } from "../scope.ts";
import { operand, type Tensor, wrap } from "../tensor.ts";
import { positiveInteger, requireMemory } from "./init.ts";

/**
 * Options of `LSTM` and `GRU`; the defaults are PyTorch's.
 *
 * @example
 * ```ts
 * const rnn = new LSTM(mem, 32, 64, { numLayers: 2, batchFirst: true, bidirectional: true, dropout: 0.2 });
 * ```
 */
export interface RecurrentOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Inputs and outputs are `[batch, seq, features]` instead of `[seq, batch, features]` (default false). The state keeps its layout either way. */
  batchFirst?: boolean;
  /** A second pass runs from the end of the sequence; the output holds both directions side by side (default false). */
  bidirectional?: boolean;
  /** Dropout on each layer's output but the last, in training mode only (default 0). */
  dropout?: number;
  /** Whether the layers have the biases `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
  /**
   * Prefix of the parameter names, like a PyTorch attribute name: `"rnn"`
   * registers `rnn.weight_ih_l0`, `rnn.weight_hh_l0`, `rnn.bias_ih_l0`... Default:
   * the layer kind and its index among the layers of that kind (`lstm0`, `gru1`...).
   */
  name?: string;
}

// Result handles of one call (output, h_n, c_n), two words each; read before the next call.
const resultOut = new Int32Array(6);

/**
 * @internal The common part of `LSTM` (mode 0) and `GRU` (mode 1).
 */
export abstract class RecurrentLayer {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly batchFirst: boolean;
  readonly bidirectional: boolean;
  readonly dropout: number;
  readonly bias: boolean;
  /** The prefix of the parameter names (`lstm0` in `lstm0.weight_ih_l0`). */
  readonly name: string;
  /** Ids of the parameters in the Memory, in PyTorch's order (`_flat_weights`). */
  readonly parameterIds: readonly number[];
  readonly #kind: "LSTM" | "GRU";

  protected constructor(kind: "LSTM" | "GRU", gates: number, mem: Memory, inputSize: number, hiddenSize: number, options: RecurrentOptions | null) {
    this.#kind = kind;
    requireMemory(kind, mem);
    const o = options ?? {};
    this.inputSize = positiveInteger(kind, "inputSize", inputSize);
    this.hiddenSize = positiveInteger(kind, "hiddenSize", hiddenSize);
    this.numLayers = positiveInteger(kind, "numLayers", o.numLayers ?? 1);
    this.batchFirst = flag(kind, "batchFirst", o.batchFirst ?? false);
    this.bidirectional = flag(kind, "bidirectional", o.bidirectional ?? false);
    this.bias = flag(kind, "bias", o.bias ?? true);
    const dropout = o.dropout ?? 0;
    if (typeof dropout !== "number" || !(dropout >= 0 && dropout <= 1)) {
      throw new TorchError(kind, `dropout should be a number in range [0, 1], got ${String(dropout)}`);
    }
    this.dropout = dropout;
    const specs = parameterSpecs(gates * hiddenSize, inputSize, hiddenSize, this.numLayers, this.bidirectional ? 2 : 1, this.bias);
    this.name = prefixFor(mem, kind, o.name, specs[0].name);
    // Every name is checked before anything is stored, so a clash leaves the Memory as it was.
    for (const s of specs) {
      if (mem.has(`${this.name}.${s.name}`)) throw new TorchError(kind, `the name "${this.name}.${s.name}" is already taken in this Memory`);
    }
    // nn.RNNBase.reset_parameters: every parameter, in registration order, from U(±1/√hidden).
    const bound = 1.0 / Math.sqrt(hiddenSize);
    // All are drawn before any is stored: one too large to allocate leaves the Memory as it was.
    this.parameterIds = tidy(() => {
      const drawn = specs.map((s) => {
        const t = wrap(native.tf_uniform(int64List(kind, s.shape), s.shape.length, -bound, bound, 0), kind);
        t.requiresGrad = true;
        return t;
      });
      return drawn.map((t, i) => mem.push(t, `${this.name}.${specs[i].name}`));
    });
  }

  /** The expected shape of the input, in words, for error messages. */
  #inputShape(): string {
    return this.batchFirst ? `[batch, seq, ${this.inputSize}]` : `[seq, batch, ${this.inputSize}]`;
  }

  #fail(detail: string): never {
    throw new TorchError(this.#kind, `layer "${this.name}": ${detail}`);
  }

  #checkInput(x: Tensor, dtype: string): number {
    operand(x, this.#kind);
    const shape = x.shape;
    if (shape.length !== 3) {
      this.#fail(`expected a 3-D input ${this.#inputShape()}${this.batchFirst ? " (batchFirst)" : ""}, got ${shape.length}-D [${shape.join(", ")}]`);
    }
    if (shape[2] !== this.inputSize) {
      this.#fail(`input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${shape[2]} (input ${this.#inputShape()}, got [${shape.join(", ")}])`);
    }
    // LibTorch's own words for this are about mat1 and mat2; PyTorch's Python side says it plainly.
    if (x.dtype !== dtype) this.#fail(`input must have the type ${dtype}, got type ${x.dtype}`);
    return shape[this.batchFirst ? 0 : 1];
  }

  #checkState(which: string, t: Tensor, batch: number, dtype: string): void {
    operand(t, this.#kind);
    if (t.dtype !== dtype) this.#fail(`${which} must have the type ${dtype}, got type ${t.dtype}`);
    const want = [this.numLayers * (this.bidirectional ? 2 : 1), batch, this.hiddenSize];
    const got = t.shape;
    if (got.length !== 3 || got.some((d, i) => d !== want[i])) {
      this.#fail(`Expected ${which} size [${want.join(", ")}] ([numLayers * directions, batch, hiddenSize]), got [${got.join(", ")}]`);
    }
  }

  /** @internal Checks the shapes, then runs every layer and direction in one C call. */
  protected run(mem: Memory, x: Tensor, h0: Tensor | null, c0: Tensor | null): Tensor[] {
    const kind = this.#kind;
    requireMemory(`${kind}.forward`, mem);
    const dtype = mem.get(this.parameterIds[0]).dtype;
    const batch = this.#checkInput(x, dtype);
    if (h0 !== null) this.#checkState(kind === "LSTM" ? "hidden[0]" : "hidden", h0, batch, dtype);
    if (c0 !== null) this.#checkState("hidden[1]", c0, batch, dtype);
    const weights = nativeLibrary.handleList(this.parameterIds.map((id) => operand(mem.get(id), kind)));
    const status = native.tf_rnn(
      kind === "LSTM" ? 0 : 1,
      operand(x, kind),
      h0 === null ? null : operand(h0, kind),
      c0 === null ? null : operand(c0, kind),
      weights,
      this.parameterIds.length,
      this.bias ? 1 : 0,
      this.numLayers,
      this.hiddenSize,
      this.dropout,
      mem.training ? 1 : 0,
      this.bidirectional ? 1 : 0,
      this.batchFirst ? 1 : 0,
      resultOut,
    );
    if (status !== 0) {
      const error = lastError(kind);
      this.#fail(error.detail);
    }
    return nativeLibrary.readHandles(resultOut, kind === "LSTM" ? 3 : 2).map((h) => wrap(h, kind));
  }
}

function flag(op: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TorchError(op, `${name} must be true or false, got ${String(value)}`);
  return value;
}

interface ParameterSpec {
  name: string;
  shape: number[];
}

// PyTorch's _flat_weights_names: per layer, per direction, w_ih, w_hh, b_ih, b_hh.
function parameterSpecs(gateSize: number, inputSize: number, hidden: number, layers: number, directions: number, bias: boolean): ParameterSpec[] {
  const specs: ParameterSpec[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const layerInput = layer === 0 ? inputSize : hidden * directions;
    for (let d = 0; d < directions; d++) {
      const suffix = `_l${layer}${d === 1 ? "_reverse" : ""}`;
      specs.push({ name: `weight_ih${suffix}`, shape: [gateSize, layerInput] });
      specs.push({ name: `weight_hh${suffix}`, shape: [gateSize, hidden] });
      if (bias) {
        specs.push({ name: `bias_ih${suffix}`, shape: [gateSize] });
        specs.push({ name: `bias_hh${suffix}`, shape: [gateSize] });
      }
    }
  }
  return specs;
}

// `name` checked, or the kind and the first index whose names are free (`lstm0`, `lstm1`...).
function prefixFor(mem: Memory, kind: string, name: string | undefined, first: string): string {
  if (name !== undefined) return checkName(kind, name);
  let n = 0;
  while (mem.has(`${kind.toLowerCase()}${n}.${first}`)) n++;
  return `${kind.toLowerCase()}${n}`;
}
