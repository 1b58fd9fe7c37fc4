/**
 * `LayerNorm`: normalisation over the last dims of each sample.
 *
 * @module
 */
import { ones, zeros } from "../creation.ts";
import { TorchError } from "../errors.ts";
import { native } from "../ffi/library.ts";
import { int64List } from "../ffi/marshal.ts";
import type { Memory } from "../memory.ts";
import { tidy } from "../scope.ts";
import { operand, type Tensor, wrap } from "../tensor.ts";
import type { Compute } from "./compute.ts";
import { positiveInteger, requireMemory } from "./init.ts";
import { claimPrefix, positiveNumber } from "./layer_names.ts";

/**
 * Options of `LayerNorm`; the defaults are PyTorch's.
 *
 * @example
 * ```ts
 * const ln = new LayerNorm(mem, 64, { eps: 1e-6, name: "norm" });
 * ```
 */
export interface LayerNormOptions {
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
  /** Learn an elementwise scale `weight` and shift `bias` of the normalised shape (default true). */
  elementwiseAffine?: boolean;
  /** Prefix of the names (`"ln"` registers `ln.weight`, `ln.bias`). Default: `layernorm0`... in build order. */
  name?: string;
}

/**
 * Layer normalisation (PyTorch's `nn.LayerNorm`): each sample is normalised
 * over its last dims, `shape`, then scaled and shifted elementwise; one fused
 * LibTorch call. The same in train and eval mode.
 *
 * @example
 * ```ts
 * import { LayerNorm, Memory, randn } from "../../mod.ts";
 * const mem = new Memory();
 * const ln = new LayerNorm(mem, 64);
 * ln.forward(mem, randn([8, 10, 64])).shape; // [8, 10, 64]
 * ```
 */
export class LayerNorm implements Compute {
  /** Id of the scale (the normalised shape), or null without `elementwiseAffine`. */
  readonly weight: number | null;
  /** Id of the shift, or null without `elementwiseAffine`. */
  readonly bias: number | null;
  /** The trailing dims normalised over. */
  readonly normalizedShape: readonly number[];
  /** Added to the variance for numerical stability. */
  readonly eps: number;
  /** The prefix of this layer's names in the Memory. */
  readonly name: string;
  readonly #op: string;

  /** Registers `weight` and `bias` in `mem` (unless `elementwiseAffine` is false), as PyTorch's `nn.LayerNorm`. */
  constructor(mem: Memory, shape: number | readonly number[], options: LayerNormOptions | null = {}) {
    const o = options ?? {};
    requireMemory("LayerNorm", mem);
    const dims = typeof shape === "number" ? [shape] : shape;
    if (!Array.isArray(dims) || dims.length === 0) throw new TorchError("LayerNorm", "shape must be a positive integer or a non-empty list of them");
    this.normalizedShape = Object.freeze(dims.map((d, i) => positiveInteger("LayerNorm", `shape[${i}]`, d)));
    this.eps = positiveNumber("LayerNorm", "eps", o.eps ?? 1e-5);
    const affine = o.elementwiseAffine ?? true;
    this.name = claimPrefix(mem, "LayerNorm", o.name, ["weight", "bias"]);
    this.#op = `LayerNorm(${this.name})`;
    const param = (t: Tensor, suffix: string) => {
      t.requiresGrad = true;
      return mem.push(t, `${this.name}.${suffix}`);
    };
    this.weight = affine ? tidy(() => param(ones(this.normalizedShape), "weight")) : null;
    this.bias = affine ? tidy(() => param(zeros(this.normalizedShape), "bias")) : null;
  }

  /** `input [..., *shape]` to the same shape, normalised over the trailing `shape`. */
  forward(mem: Memory, input: Tensor): Tensor {
    requireMemory(this.#op, mem);
    operand(input, this.#op);
    const want = this.normalizedShape;
    const got = input.shape;
    const tail = got.slice(got.length - want.length);
    if (got.length < want.length || tail.some((d, i) => d !== want[i])) {
      throw new TorchError(this.#op, `expected input [..., ${want.join(", ")}], got [${got.join(", ")}]`);
    }
    const dtype = this.weight === null ? input.dtype : mem.get(this.weight).dtype;
    if (input.dtype !== dtype) throw new TorchError(this.#op, `expected a ${dtype} input [..., ${want.join(", ")}], got ${input.dtype}`);
    const handle = (id: number | null) => (id === null ? null : operand(mem.get(id), this.#op));
    const list = int64List(this.#op, want);
    return wrap(native.tf_layer_norm(operand(input, this.#op), list, want.length, handle(this.weight), handle(this.bias), this.eps), this.#op);
  }
}
