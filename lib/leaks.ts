/**
 * The leak guard: one warning when the tensors alive outside every `tidy()`
 * scope pass a threshold, which in practice means a loop that never frees
 * what it makes. `scope.ts` counts those tensors when it hands them to the
 * finalizer backstop (a batch at a time), so the guard costs nothing per op.
 *
 * @module
 */
import process from "node:process";
import { TorchError } from "./errors.ts";

/**
 * The leak guard's default threshold: far above what a model's parameters and
 * a few results need.
 *
 * @example
 * ```ts
 * import { DEFAULT_LEAK_THRESHOLD, setLeakWarning } from "../mod.ts";
 * setLeakWarning(4 * DEFAULT_LEAK_THRESHOLD); // a program that holds 30,000 samples as tensors
 * ```
 */
export const DEFAULT_LEAK_THRESHOLD = 10_000;

function thresholdFromEnvironment(): number {
  let value: string | undefined;
  try {
    value = process.env.TORCHFFI_LEAK_WARN;
  } catch {
    // Deno without --allow-env: keep the default.
  }
  if (value === undefined || value.trim() === "") return DEFAULT_LEAK_THRESHOLD;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : DEFAULT_LEAK_THRESHOLD;
}

let threshold = thresholdFromEnvironment();

/**
 * @internal The count of unscoped tensors at which `scope.ts` calls
 * `unscopedTensorsPassed`; Infinity when the guard is off or has warned.
 */
export let leakMark: number = threshold > 0 ? threshold : Infinity;

/**
 * Sets how many tensors may be alive outside every `tidy()` scope before
 * torchffi prints its one leak warning (default 10,000, or the
 * `TORCHFFI_LEAK_WARN` environment variable); 0 turns the guard off. Setting
 * it re-arms the guard, so a later leak warns again.
 *
 * @example
 * ```ts
 * import { setLeakWarning } from "../mod.ts";
 * setLeakWarning(50_000); // a program that deliberately holds many small tensors
 * setLeakWarning(0);      // never warn
 * ```
 */
export function setLeakWarning(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new TorchError("setLeakWarning", `expected a non-negative integer count of tensors, got ${String(count)}`);
  }
  threshold = count;
  leakMark = count > 0 ? count : Infinity;
}

/**
 * @internal Called by `scope.ts` when `count` tensors alive outside every
 * scope reach `leakMark`: prints the warning once, then stays quiet.
 */
export function unscopedTensorsPassed(count: number): void {
  leakMark = Infinity;
  console.warn(
    `torchffi: ${count.toLocaleString("en-US")} tensors are alive outside any tidy() scope, and the count keeps growing.\n` +
      "  Likely cause: a loop that makes tensors and never frees them (the garbage collector cannot see native memory).\n" +
      "  Fix: run each step inside tidy(() => { ... }) (return what must survive), or free tensors with `using` or dispose().\n" +
      '  See "Memory: scopes, not the garbage collector" in torchffi\'s README. ' +
      `Printed once; the threshold is ${threshold.toLocaleString("en-US")} (setLeakWarning(n)); TORCHFFI_LEAK_WARN=0 turns it off.`,
  );
}
