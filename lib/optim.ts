/**
 * Optimizer kinds and their settings, as `train()` takes them, and the one
 * function that applies a step of each to a `Memory`.
 *
 * @module
 */
import { TorchError } from "./errors.ts";
import type { AdamOptions, Memory } from "./memory.ts";
import { adamwSettings, type AdamWOptions, type RmspropOptions, rmspropSettings } from "./optim_more.ts";

/**
 * The optimizers `train()` knows: Adam, plain SGD, SGD with momentum, AdamW
 * (`torch.optim.AdamW`) and RMSprop (`torch.optim.RMSprop`).
 *
 * @example
 * ```ts
 * const optimizer: OptimizerKind = "momentum";
 * train(mem, x, y, model, { epochs: 1, batchSize: 64, lr: 0.01, optimizer, momentum: 0.9 });
 * ```
 */
export type OptimizerKind = "adam" | "sgd" | "momentum" | "adamw" | "rmsprop";

/** An optimizer kind with its settings. */
export interface OptimizerSettings {
  optimizer: OptimizerKind;
  /** The rate of every step; may be left out when a schedule gives each step's rate. */
  lr?: number;
  /** Momentum for `"momentum"` (default 0.9). */
  momentum?: number;
  /** Settings for `"adam"` (PyTorch's defaults). */
  adam?: AdamOptions;
  /** Settings for `"adamw"` (PyTorch's defaults, weight decay 0.01). */
  adamw?: AdamWOptions;
  /** Settings for `"rmsprop"` (PyTorch's defaults). */
  rmsprop?: RmspropOptions;
}

const KINDS: readonly OptimizerKind[] = ["adam", "sgd", "momentum", "adamw", "rmsprop"];

/**
 * Adam's settings with PyTorch's defaults filled in, or a `TorchError` naming
 * the first bad one (the same limits `torch.optim.Adam` enforces).
 *
 * @example
 * ```ts
 * const { beta1, beta2, eps, weightDecay } = adamSettings({ weightDecay: 1e-4 }, "applyGradsAdam");
 * ```
 */
export function adamSettings(options: AdamOptions = {}, op: string): Required<AdamOptions> {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = options ?? {};
  const inUnitInterval = (v: number) => v >= 0 && v < 1;
  const nonNegative = (v: number) => v >= 0 && Number.isFinite(v);
  const checks: [string, number, (v: number) => boolean, string][] = [
    ["beta1", beta1, inUnitInterval, "in [0, 1)"],
    ["beta2", beta2, inUnitInterval, "in [0, 1)"],
    ["eps", eps, nonNegative, "a non-negative number"],
    ["weightDecay", weightDecay, nonNegative, "a non-negative number"],
  ];
  for (const [name, value, valid, expected] of checks) {
    if (typeof value !== "number" || !valid(value)) throw new TorchError(op, `${name} must be ${expected}, got ${String(value)}`);
  }
  return { beta1, beta2, eps, weightDecay };
}

/**
 * Checks optimizer settings up front, so that a bad option fails before any
 * training work is done. With `scheduled`, `lr` may be left out (a schedule
 * gives each step's rate).
 *
 * @example
 * ```ts
 * checkOptimizer({ optimizer: "sgd", lr: 0.1 }, "train");
 * ```
 */
export function checkOptimizer(settings: OptimizerSettings, op: string, scheduled = false): void {
  if (!KINDS.includes(settings.optimizer)) {
    throw new TorchError(op, `optimizer must be one of ${KINDS.join(", ")}, got ${JSON.stringify(settings.optimizer)}`);
  }
  const fixedRate = !(scheduled && settings.lr === undefined);
  if (fixedRate && (typeof settings.lr !== "number" || !Number.isFinite(settings.lr) || settings.lr <= 0)) {
    throw new TorchError(op, `lr must be a positive number, got ${String(settings.lr)}`);
  }
  const m = settings.momentum;
  if (m !== undefined && (typeof m !== "number" || !Number.isFinite(m) || m < 0)) {
    throw new TorchError(op, `momentum must be a non-negative number, got ${String(m)}`);
  }
  if (settings.optimizer === "adam") adamSettings(settings.adam, op);
  if (settings.optimizer === "adamw") adamwSettings(settings.adamw, op);
  if (settings.optimizer === "rmsprop") rmspropSettings(settings.rmsprop, op);
}

/**
 * Applies one step of the chosen optimizer to every parameter in `mem` and
 * drops the gradients (one call into C), at the rate `lr` (default
 * `settings.lr`; a schedule passes the step's rate).
 *
 * @example
 * ```ts
 * loss.backward();
 * applyOptimizer(mem, { optimizer: "momentum", lr: 0.01, momentum: 0.9 });
 * ```
 */
export function applyOptimizer(mem: Memory, settings: OptimizerSettings, lr = settings.lr as number): void {
  switch (settings.optimizer) {
    case "adam":
      return mem.applyGradsAdam(lr, settings.adam);
    case "sgd":
      return mem.applyGradsSgd(lr);
    case "momentum":
      return mem.applyGradsSgdMomentum(lr, settings.momentum ?? 0.9);
    case "adamw":
      return mem.applyGradsAdamW(lr, settings.adamw);
    case "rmsprop":
      return mem.applyGradsRmsprop(lr, settings.rmsprop);
  }
}
