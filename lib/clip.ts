/**
 * Gradient clipping over every parameter of a `Memory`, each in one call into
 * C, with `torch.nn.utils.clip_grad_norm_` / `clip_grad_value_` semantics.
 *
 * @module
 */
import { TorchError } from "./errors.ts";
import { checkStatus, native } from "./ffi/library.ts";
import type { Memory } from "./memory.ts";

const totalOut = new Float64Array(1);

function checkMemory(op: string, mem: Memory): void {
  if (typeof mem !== "object" || mem === null || typeof (mem as Memory)._storeFor !== "function") {
    throw new TorchError(op, `expected a Memory, got ${mem === null ? "null" : typeof mem}`);
  }
}

function checkNumber(op: string, name: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value)) throw new TorchError(op, `${name} must be a number, got ${String(value)}`);
  return value;
}

/**
 * Scales every gradient in `mem` so that their joint `normType`-norm is at
 * most `maxNorm` (by `maxNorm / (total + 1e-6)`, clamped to 1, as PyTorch does);
 * returns the total norm before clipping (0 when nothing has a gradient).
 * `normType` may be `Infinity` (the largest absolute value).
 *
 * @example
 * ```ts
 * loss.backward();
 * const norm = clipGradNorm(mem, 1.0);
 * mem.applyGradsAdam(1e-3);
 * ```
 */
export function clipGradNorm(mem: Memory, maxNorm: number, normType = 2): number {
  checkMemory("clipGradNorm", mem);
  checkNumber("clipGradNorm", "maxNorm", maxNorm);
  checkNumber("clipGradNorm", "normType", normType);
  checkStatus(native.tf_store_clip_grad_norm(mem._storeFor("clipGradNorm"), maxNorm, normType, totalOut), "clipGradNorm");
  return totalOut[0];
}

/**
 * Clamps every gradient in `mem` into `[-value, value]`, like
 * `torch.nn.utils.clip_grad_value_`.
 *
 * @example
 * ```ts
 * loss.backward();
 * clipGradValue(mem, 0.5);
 * mem.applyGradsSgd(0.1);
 * ```
 */
export function clipGradValue(mem: Memory, value: number): void {
  checkMemory("clipGradValue", mem);
  checkNumber("clipGradValue", "value", value);
  checkStatus(native.tf_store_clip_grad_value(mem._storeFor("clipGradValue"), value), "clipGradValue");
}
