/**
 * Turning gradient recording off for a block.
 *
 * @module
 */
import { TorchError } from "./errors.ts";
import { native } from "./ffi/library.ts";

/**
 * Runs `fn` with autograd recording off on this thread (one switch for the
 * whole block, not one per op), then restores the previous mode, even if `fn`
 * throws. Use it for evaluation and for manual weight updates.
 *
 * @example
 * ```ts
 * import { noGrad } from "../mod.ts";
 * const logits = noGrad(() => model.forward(mem, testImages));
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== "function") throw new TorchError("noGrad", `expected a function, got ${fn === null ? "null" : typeof fn}`);
  const previous = native.tf_set_grad_enabled(0);
  try {
    return fn();
  } finally {
    native.tf_set_grad_enabled(previous);
  }
}
