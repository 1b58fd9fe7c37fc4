/**
 * Optimizer kinds and their settings, as `train()` takes them, and the one
 * function that applies a step of each to a `Memory`.
 *
 * @module
 */
import { TorchError } from "./errors.ts";
import type { AdamOptions, Memory } from "./memory.ts";

/** The optimizers `train()` knows: Adam, plain SGD, SGD with momentum. */
export type OptimizerKind = "adam" | "sgd" | "momentum";

/** An optimizer kind with its settings. */
export interface OptimizerSettings {
  optimizer: OptimizerKind;
  lr: number;
  /** Momentum for `"momentum"` (default 0.9). */
  momentum?: number;
  /** Settings for `"adam"` (PyTorch's defaults). */
  adam?: AdamOptions;
}

const KINDS: readonly OptimizerKind[] = ["adam", "sgd", "momentum"];

/**
 * Checks optimizer settings up front, so that a bad option fails before any
 * training work is done.
 *
 * @example
 * ```ts
 * checkOptimizer({ optimizer: "sgd", lr: 0.1 }, "train");
 * ```
 */
export function checkOptimizer(settings: OptimizerSettings, op: string): void {
  if (!KINDS.includes(settings.optimizer)) {
    throw new TorchError(op, `optimizer must be one of ${KINDS.join(", ")}, got ${JSON.stringify(settings.optimizer)}`);
  }
  if (typeof settings.lr !== "number" || !Number.isFinite(settings.lr) || settings.lr <= 0) {
    throw new TorchError(op, `lr must be a positive number, got ${String(settings.lr)}`);
  }
  const m = settings.momentum;
  if (m !== undefined && (typeof m !== "number" || !Number.isFinite(m) || m < 0)) {
    throw new TorchError(op, `momentum must be a non-negative number, got ${String(m)}`);
  }
}

/**
 * Applies one step of the chosen optimizer to every parameter in `mem` and
 * drops the gradients (one call into C).
 *
 * @example
 * ```ts
 * loss.backward();
 * applyOptimizer(mem, { optimizer: "momentum", lr: 0.01, momentum: 0.9 });
 * ```
 */
export function applyOptimizer(mem: Memory, settings: OptimizerSettings): void {
  switch (settings.optimizer) {
    case "adam":
      return mem.applyGradsAdam(settings.lr, settings.adam);
    case "sgd":
      return mem.applyGradsSgd(settings.lr);
    case "momentum":
      return mem.applyGradsSgdMomentum(settings.lr, settings.momentum ?? 0.9);
  }
}
