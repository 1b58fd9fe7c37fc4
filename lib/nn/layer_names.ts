/**
 * Prefixes for layers whose state is more than a weight and a bias (BatchNorm's
 * buffers, an optional affine part): every name the layer will register is
 * checked before anything is stored.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import type { Memory } from "../memory.ts";
import { checkName } from "../names.ts";

/**
 * The prefix of a layer's names: `name` when given (refused if any of
 * `<name>.<suffix>` is taken), otherwise the lower-cased layer kind and the
 * first index whose names are all free (`batchnorm1d0`, `layernorm1`...), so
 * the same model code gives the same keys on every run. `suffixes` lists every
 * name the kind can register, whatever this layer's options.
 *
 * @example
 * ```ts
 * claimPrefix(mem, "BatchNorm1d", undefined, ["weight", "bias", "running_mean"]); // "batchnorm1d0"
 * ```
 */
export function claimPrefix(mem: Memory, kind: string, name: string | undefined, suffixes: readonly string[]): string {
  const taken = (prefix: string) => suffixes.find((s) => mem.has(`${prefix}.${s}`));
  if (name === undefined) {
    let n = 0;
    while (taken(`${kind.toLowerCase()}${n}`) !== undefined) n++;
    return `${kind.toLowerCase()}${n}`;
  }
  const prefix = checkName(kind, name);
  const clash = taken(prefix);
  if (clash !== undefined) throw new TorchError(kind, `the name "${prefix}" is already taken in this Memory (${prefix}.${clash} exists)`);
  return prefix;
}

/**
 * A positive finite number option, or a clear error naming the layer and the option.
 *
 * @example
 * ```ts
 * positiveNumber("LayerNorm", "eps", 1e-5);
 * ```
 */
export function positiveNumber(op: string, name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TorchError(op, `${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}
