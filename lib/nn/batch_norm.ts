/**
 * `BatchNorm1d` and `BatchNorm2d`: batch normalisation with running statistics.
 *
 * @module
 */
import { ones, zeros } from "../creation.ts";
import { TorchError } from "../errors.ts";
import { native } from "../ffi/library.ts";
import type { Memory } from "../memory.ts";
import { tidy } from "../scope.ts";
import { operand, type Tensor, wrap } from "../tensor.ts";
import type { Compute } from "./compute.ts";
import { positiveInteger, requireMemory } from "./init.ts";
import { claimPrefix, positiveNumber } from "./layer_names.ts";

/**
 * Options of `BatchNorm1d` and `BatchNorm2d`; the defaults are PyTorch's.
 *
 * @example
 * ```ts
 * const bn = new BatchNorm2d(mem, 16, { momentum: 0.01, name: "bn1" });
 * ```
 */
export interface BatchNormOptions {
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
  /**
   * Weight of the new batch in the running statistics (default 0.1); `null`
   * keeps a cumulative average over every batch seen, as PyTorch's `momentum=None`.
   */
  momentum?: number | null;
  /** Learn a per-feature scale `weight` and shift `bias` (default true). */
  affine?: boolean;
  /**
   * Keep `running_mean`, `running_var` and `num_batches_tracked` buffers and use
   * them in eval mode (default true); without them batch statistics are always used.
   */
  trackRunningStats?: boolean;
  /**
   * Prefix of the names, like a PyTorch attribute name: `"bn1"` registers
   * `bn1.weight`, `bn1.bias`, `bn1.running_mean`, `bn1.running_var` and
   * `bn1.num_batches_tracked`. Default: `batchnorm1d0`, `batchnorm2d0`... in build order.
   */
  name?: string;
}

/**
 * What the two BatchNorm layers share; they differ only in the input ranks they
 * accept. Parameters and buffers are made as `nn.BatchNorm*d` makes them (ones,
 * zeros; no random draw), so building one does not move the generator.
 *
 * @example
 * ```ts
 * const bn: BatchNorm = new BatchNorm1d(mem, 64);
 * ```
 */
export abstract class BatchNorm implements Compute {
  /** Id of the scale `[features]`, or null when not affine. */
  readonly weight: number | null;
  /** Id of the shift `[features]`, or null when not affine. */
  readonly bias: number | null;
  /** Id of the `running_mean` buffer `[features]`, or null without running statistics. */
  readonly runningMean: number | null;
  /** Id of the `running_var` buffer `[features]`, or null without running statistics. */
  readonly runningVar: number | null;
  /** Id of the int64 scalar `num_batches_tracked` buffer, or null without running statistics. */
  readonly numBatchesTracked: number | null;
  /** Channels `C` of the input. */
  readonly numFeatures: number;
  /** Added to the variance for numerical stability. */
  readonly eps: number;
  /** Weight of each new batch in the running statistics; null keeps a cumulative average. */
  readonly momentum: number | null;
  /** The prefix of this layer's names in the Memory. */
  readonly name: string;
  readonly #op: string;

  /** Registers the parameters and buffers of a `kind` layer in `mem`. */
  protected constructor(kind: string, mem: Memory, numFeatures: number, options: BatchNormOptions | null) {
    const o = options ?? {};
    requireMemory(kind, mem);
    this.numFeatures = positiveInteger(kind, "numFeatures", numFeatures);
    this.eps = positiveNumber(kind, "eps", o.eps ?? 1e-5);
    const momentum = o.momentum === undefined ? 0.1 : o.momentum;
    if (momentum !== null && (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1))) {
      throw new TorchError(kind, `momentum must be a number in [0, 1] or null, got ${String(momentum)}`);
    }
    this.momentum = momentum;
    const affine = o.affine ?? true;
    const track = o.trackRunningStats ?? true;
    // Every name the kind can have, so a layer without some of them never shares a prefix with another.
    this.name = claimPrefix(mem, kind, o.name, ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    this.#op = `${kind}(${this.name})`;
    const ids = tidy(() => {
      const param = (t: Tensor, suffix: string) => {
        t.requiresGrad = true;
        return mem.push(t, `${this.name}.${suffix}`);
      };
      const buffer = (t: Tensor, suffix: string) => mem.pushBuffer(t, `${this.name}.${suffix}`);
      return {
        weight: affine ? param(ones([numFeatures]), "weight") : null,
        bias: affine ? param(zeros([numFeatures]), "bias") : null,
        mean: track ? buffer(zeros([numFeatures]), "running_mean") : null,
        variance: track ? buffer(ones([numFeatures]), "running_var") : null,
        count: track ? buffer(zeros([], "int64"), "num_batches_tracked") : null,
      };
    });
    this.weight = ids.weight;
    this.bias = ids.bias;
    this.runningMean = ids.mean;
    this.runningVar = ids.variance;
    this.numBatchesTracked = ids.count;
  }

  /** The input shapes this layer accepts, for error messages (`[N, 16, H, W]`). */
  protected abstract expectedShape(): string;
  /** Whether an input of rank `ndim` is accepted. */
  protected abstract acceptsRank(ndim: number): boolean;

  /**
   * Normalises `input [N, features, ...]` per feature. In train mode
   * (`mem.training`) with batch statistics, updating the running ones in
   * place; in eval mode with the running statistics.
   */
  forward(mem: Memory, input: Tensor): Tensor {
    requireMemory(this.#op, mem);
    operand(input, this.#op);
    const shape = input.shape;
    if (!this.acceptsRank(shape.length) || shape[1] !== this.numFeatures) {
      throw new TorchError(this.#op, `expected input ${this.expectedShape()}, got [${shape.join(", ")}]`);
    }
    const own = [this.weight, this.runningMean].find((id) => id !== null);
    const dtype = own === undefined ? input.dtype : mem.get(own).dtype;
    // LibTorch's own words for this one name a dtype the user never used.
    if (input.dtype !== dtype) throw new TorchError(this.#op, `expected a ${dtype} input ${this.expectedShape()}, got ${input.dtype}`);
    const handle = (id: number | null) => (id === null ? null : operand(mem.get(id), this.#op));
    return wrap(
      native.tf_batch_norm(
        operand(input, this.#op),
        handle(this.weight),
        handle(this.bias),
        handle(this.runningMean),
        handle(this.runningVar),
        handle(this.numBatchesTracked),
        mem.training ? 1 : 0,
        this.momentum ?? 0,
        this.momentum === null ? 1 : 0,
        this.eps,
      ),
      this.#op,
    );
  }
}

/**
 * Batch normalisation over `[N, C]` or `[N, C, L]` inputs (PyTorch's
 * `nn.BatchNorm1d`), with the same parameters, buffers and names.
 *
 * @example
 * ```ts
 * import { BatchNorm1d, Linear, Memory, randn } from "../../mod.ts";
 * const mem = new Memory();
 * const fc = new Linear(mem, 784, 64, { name: "fc" });
 * const bn = new BatchNorm1d(mem, 64, { name: "bn" });
 * const h = bn.forward(mem, fc.forward(mem, randn([32, 784]))).relu();
 * ```
 */
export class BatchNorm1d extends BatchNorm {
  /** Registers `weight`, `bias` and the running statistics in `mem`, as PyTorch's `nn.BatchNorm1d`. */
  constructor(mem: Memory, numFeatures: number, options: BatchNormOptions | null = {}) {
    super("BatchNorm1d", mem, numFeatures, options);
  }
  /** The input shapes this layer takes, for error messages. */
  protected expectedShape(): string {
    return `[N, ${this.numFeatures}] or [N, ${this.numFeatures}, L]`;
  }
  /** Whether an input of `ndim` dims fits this layer. */
  protected acceptsRank(ndim: number): boolean {
    return ndim === 2 || ndim === 3;
  }
}

/**
 * Batch normalisation over `[N, C, H, W]` images (PyTorch's `nn.BatchNorm2d`),
 * with the same parameters, buffers and names.
 *
 * @example
 * ```ts
 * import { BatchNorm2d, Conv2d, Memory, randn } from "../../mod.ts";
 * const mem = new Memory();
 * const conv = new Conv2d(mem, 3, 1, 16, 1, { padding: 1, bias: false, name: "conv" });
 * const bn = new BatchNorm2d(mem, 16, { name: "bn" });
 * const h = bn.forward(mem, conv.forward(mem, randn([8, 1, 28, 28]))).relu();
 * ```
 */
export class BatchNorm2d extends BatchNorm {
  /** Registers `weight`, `bias` and the running statistics in `mem`, as PyTorch's `nn.BatchNorm2d`. */
  constructor(mem: Memory, numFeatures: number, options: BatchNormOptions | null = {}) {
    super("BatchNorm2d", mem, numFeatures, options);
  }
  /** The input shapes this layer takes, for error messages. */
  protected expectedShape(): string {
    return `[N, ${this.numFeatures}, H, W]`;
  }
  /** Whether an input of `ndim` dims fits this layer. */
  protected acceptsRank(ndim: number): boolean {
    return ndim === 4;
  }
}
