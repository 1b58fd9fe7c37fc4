/**
 * `Embedding`: a table of learned vectors looked up by integer index.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { native } from "../ffi/library.ts";
import { type Memory } from "../memory.ts";
import { tidy } from "../scope.ts";
import { operand, type Tensor, wrap } from "../tensor.ts";
import { randn } from "../creation.ts";
import type { Compute } from "./compute.ts";
import { layerPrefix, positiveInteger, requireMemory } from "./init.ts";

/**
 * Options of `Embedding`.
 *
 * @example
 * ```ts
 * const tokens = new Embedding(mem, 1000, 64, { paddingIdx: 0, name: "emb" });
 * ```
 */
export interface EmbeddingOptions {
  /**
   * A row that starts at zero and never gets a gradient, as PyTorch's
   * `padding_idx` (negative counts from the end). Default: none.
   */
  paddingIdx?: number | null;
  /**
   * Prefix of the parameter name, like a PyTorch attribute name: `"emb"`
   * registers `emb.weight`. Default: `embedding0`, `embedding1`... in build order.
   */
  name?: string;
}

/**
 * A lookup table `[count, dim]` in a `Memory`, initialised exactly as PyTorch's
 * `nn.Embedding` (standard normal, the padding row zeroed), applied with
 * LibTorch's fused `embedding`: indices of any shape `[...]` (int64 or int32)
 * give `[..., dim]`.
 *
 * @example
 * ```ts
 * import { Embedding, Memory, tensor } from "../../mod.ts";
 * const mem = new Memory();
 * const emb = new Embedding(mem, 10, 4);
 * emb.forward(mem, tensor([[1, 2], [3, 9]], undefined, "int64")).shape; // [2, 2, 4]
 * ```
 */
export class Embedding implements Compute {
  /** Id of the weight `[count, dim]` in the Memory. */
  readonly weight: number;
  /** How many rows the table has (valid indices are 0 to count - 1). */
  readonly count: number;
  /** Length of each embedding vector. */
  readonly dim: number;
  /** The padding row (made non-negative, as PyTorch stores it), or null. */
  readonly paddingIdx: number | null;
  /** The prefix of the parameter name (`emb` in `emb.weight`). */
  readonly name: string;

  /** Registers `weight` `[count, dim]` in `mem`, initialised as PyTorch's `nn.Embedding`. */
  constructor(mem: Memory, count: number, dim: number, options: EmbeddingOptions | null = {}) {
    requireMemory("Embedding", mem);
    this.count = positiveInteger("Embedding", "count", count);
    this.dim = positiveInteger("Embedding", "dim", dim);
    this.paddingIdx = paddingRow(count, options?.paddingIdx ?? null);
    this.name = layerPrefix(mem, "Embedding", options?.name, false);
    const padding = this.paddingIdx;
    this.weight = tidy(() => {
      const w = renamed("Embedding", () => randn([count, dim]));
      // nn.Embedding zeroes the padding row after drawing the whole table.
      if (padding !== null) w.select(0, padding).zero_();
      w.requiresGrad = true;
      return mem.push(w, `${this.name}.weight`);
    });
  }

  /** `indices [...]` (int64 or int32, each in [0, count)) to `[..., dim]`. */
  forward(mem: Memory, indices: Tensor): Tensor {
    requireMemory("Embedding.forward", mem);
    const weight = operand(mem.get(this.weight), "Embedding");
    const handle = native.tf_embedding(weight, operand(indices, "Embedding"), this.paddingIdx ?? -1);
    try {
      return wrap(handle, "Embedding");
    } catch (error) {
      if (!(error instanceof TorchError)) throw error;
      const range = `layer "${this.name}" takes int64 or int32 indices in [0, ${this.count - 1}]`;
      throw new TorchError("Embedding", `${error.detail} (${range})`);
    }
  }
}

// A table too large to allocate is this layer's error, not randn's.
function renamed<T>(op: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof TorchError && error.op !== op) throw new TorchError(op, error.detail);
    throw error;
  }
}

function paddingRow(count: number, paddingIdx: number | null): number | null {
  if (paddingIdx === null) return null;
  if (!Number.isSafeInteger(paddingIdx) || paddingIdx < -count || paddingIdx >= count) {
    throw new TorchError("Embedding", `paddingIdx must be an integer within [-${count}, ${count - 1}], got ${String(paddingIdx)}`);
  }
  return paddingIdx < 0 ? paddingIdx + count : paddingIdx;
}
