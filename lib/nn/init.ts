/**
 * PyTorch's default initialisation for `nn.Linear` and `nn.Conv2d`, drawn from
 * LibTorch's global generator in the same order and with the same bounds, so a
 * model built after `manualSeed(s)` starts from PyTorch's numbers.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { native } from "../ffi/library.ts";
import { int64List } from "../ffi/marshal.ts";
import { Memory } from "../memory.ts";
import { checkName } from "../names.ts";
import { tidy } from "../scope.ts";
import { wrap } from "../tensor.ts";

function uniformParameter(mem: Memory, shape: readonly number[], bound: number, op: string, name: string): number {
  return tidy(() => {
    const t = wrap(native.tf_uniform(int64List(op, shape), shape.length, -bound, bound, 0), op);
    t.requiresGrad = true;
    return mem.push(t, name);
  });
}

/**
 * The prefix of a layer's parameter names: `name` when given, otherwise the
 * layer kind and how many layers of that kind the Memory already holds
 * (`linear0`, `linear1`, `conv2d0`...). The default depends only on the order
 * layers are built, so the same model code saves the same keys on every run.
 * Both names are checked before anything is stored.
 *
 * @example
 * ```ts
 * layerPrefix(mem, "Linear", undefined, true); // "linear0" in a fresh Memory
 * ```
 */
export function layerPrefix(mem: Memory, op: string, name: string | undefined, bias: boolean): string {
  const taken = (prefix: string) => mem.has(`${prefix}.weight`) || (bias && mem.has(`${prefix}.bias`));
  if (name === undefined) {
    let n = 0;
    while (taken(`${op.toLowerCase()}${n}`)) n++;
    return `${op.toLowerCase()}${n}`;
  }
  const prefix = checkName(op, name);
  if (taken(prefix)) throw new TorchError(op, `the name "${prefix}" is already taken in this Memory (${prefix}.weight or ${prefix}.bias exists)`);
  return prefix;
}

/**
 * Registers a weight of `shape` (`[out, in, ...]`) and, when `bias` is set, a
 * bias `[out]`, initialised as PyTorch's `reset_parameters`: the weight by
 * kaiming-uniform with a = √5, the bias uniform in ±1/√fan_in. They are named
 * `<prefix>.weight` and `<prefix>.bias` (see `layerPrefix`). Returns their ids.
 *
 * @example
 * ```ts
 * const { weight, bias } = registerPytorchParameters(mem, [10, 784], true, "Linear", "head");
 * ```
 */
export function registerPytorchParameters(
  mem: Memory,
  shape: readonly number[],
  bias: boolean,
  op: string,
  name?: string,
): { weight: number; bias: number | null } {
  requireMemory(op, mem);
  const prefix = layerPrefix(mem, op, name, bias);
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  if (fanIn <= 0) throw new TorchError(op, "cannot initialise a layer with no inputs");
  // The arithmetic mirrors torch.nn.init.kaiming_uniform_ so the bound is bit-for-bit the same.
  const a = Math.sqrt(5);
  const gain = Math.sqrt(2.0 / (1 + a ** 2));
  const std = gain / Math.sqrt(fanIn);
  const weight = uniformParameter(mem, shape, Math.sqrt(3.0) * std, op, `${prefix}.weight`);
  const biasId = bias ? uniformParameter(mem, [shape[0]], 1 / Math.sqrt(fanIn), op, `${prefix}.bias`) : null;
  return { weight, bias: biasId };
}

/**
 * `mem` if it is a `Memory`, or a clear error naming the layer (plain
 * JavaScript callers can pass anything).
 *
 * @example
 * ```ts
 * requireMemory("Linear", mem).get(weightId);
 * ```
 */
export function requireMemory(op: string, mem: Memory): Memory {
  if (!(mem instanceof Memory)) throw new TorchError(op, `expected a Memory, got ${mem === null ? "null" : typeof mem}`);
  return mem;
}

/**
 * A positive integer argument, or a clear error naming the layer and the argument.
 *
 * @example
 * ```ts
 * positiveInteger("Linear", "inFeatures", 784);
 * ```
 */
export function positiveInteger(op: string, name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TorchError(op, `${name} must be a positive integer, got ${String(value)}`);
  return value;
}
