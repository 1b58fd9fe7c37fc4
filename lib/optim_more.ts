/**
 * AdamW and RMSprop on a `Memory`'s C store: their settings, checked against
 * the limits `torch.optim` enforces, and the one C call that runs each step.
 *
 * @module
 */
import { TorchError } from "./errors.ts";
import { checkStatus, native } from "./ffi/library.ts";
import type { StoreHandle } from "./ffi/symbols.ts";

/**
 * AdamW's settings (`torch.optim.AdamW`); the defaults are PyTorch's,
 * including its `weight_decay=0.01`.
 *
 * @example
 * ```ts
 * mem.applyGradsAdamW(1e-3, { betas: [0.9, 0.95], weightDecay: 0.1 });
 * ```
 */
export interface AdamWOptions {
  /** Decays of the first and second moments (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** Decoupled weight decay: each step multiplies the parameters by `1 - lr * weightDecay` (default 0.01). */
  weightDecay?: number;
}

/**
 * RMSprop's settings (`torch.optim.RMSprop`); the defaults are PyTorch's.
 *
 * @example
 * ```ts
 * mem.applyGradsRmsprop(1e-2, { alpha: 0.9, momentum: 0.9, centered: true });
 * ```
 */
export interface RmspropOptions {
  /** Smoothing constant of the squared-gradient average, in [0, 1] (default 0.99). */
  alpha?: number;
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** Momentum of the step (default 0: none). */
  momentum?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Normalise by the variance of the gradient rather than its second moment (default false). */
  centered?: boolean;
}

function check(op: string, name: string, value: unknown, valid: (v: number) => boolean, expected: string): void {
  if (typeof value !== "number" || !Number.isFinite(value) || !valid(value)) {
    throw new TorchError(op, `${name} must be ${expected}, got ${Array.isArray(value) ? JSON.stringify(value) : String(value)}`);
  }
}

const unit = (v: number) => v >= 0 && v < 1;
const nonNegative = (v: number) => v >= 0;

function settingsObject(op: string, options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object") throw new TorchError(op, `options must be an object, got ${String(options)}`);
  return options as Record<string, unknown>;
}

/**
 * AdamW's settings with PyTorch's defaults filled in, or a `TorchError` naming
 * the first bad one.
 *
 * @example
 * ```ts
 * const { betas, eps, weightDecay } = adamwSettings({ weightDecay: 0.1 }, "applyGradsAdamW");
 * ```
 */
export function adamwSettings(options: AdamWOptions | undefined, op: string): Required<AdamWOptions> {
  const { betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0.01 } = settingsObject(op, options) as AdamWOptions;
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new TorchError(op, `betas must be a pair [beta1, beta2], got ${JSON.stringify(betas)}`);
  }
  check(op, "betas[0]", betas[0], unit, "in [0, 1)");
  check(op, "betas[1]", betas[1], unit, "in [0, 1)");
  check(op, "eps", eps, nonNegative, "a non-negative number");
  check(op, "weightDecay", weightDecay, nonNegative, "a non-negative number");
  return { betas: [betas[0], betas[1]], eps, weightDecay };
}

/**
 * RMSprop's settings with PyTorch's defaults filled in, or a `TorchError`
 * naming the first bad one. `alpha` above 1 (which PyTorch accepts) is refused:
 * it makes the squared-gradient average negative and the step NaN.
 *
 * @example
 * ```ts
 * const settings = rmspropSettings({ momentum: 0.9 }, "applyGradsRmsprop");
 * ```
 */
export function rmspropSettings(options: RmspropOptions | undefined, op: string): Required<RmspropOptions> {
  const { alpha = 0.99, eps = 1e-8, momentum = 0, weightDecay = 0, centered = false } = settingsObject(op, options) as RmspropOptions;
  check(op, "alpha", alpha, (v) => v >= 0 && v <= 1, "in [0, 1]");
  check(op, "eps", eps, nonNegative, "a non-negative number");
  check(op, "momentum", momentum, nonNegative, "a non-negative number");
  check(op, "weightDecay", weightDecay, nonNegative, "a non-negative number");
  if (typeof centered !== "boolean") throw new TorchError(op, `centered must be a boolean, got ${String(centered)}`);
  return { alpha, eps, momentum, weightDecay, centered };
}

/**
 * One AdamW step over every parameter of `store` with a gradient (one C call).
 * Settings are checked first, so a bad one changes nothing.
 *
 * @example
 * ```ts
 * stepAdamW(mem._storeFor("applyGradsAdamW"), 1e-3, {}, "applyGradsAdamW");
 * ```
 */
export function stepAdamW(store: NonNullable<StoreHandle>, lr: number, options: AdamWOptions | undefined, op: string): void {
  const { betas, eps, weightDecay } = adamwSettings(options, op);
  checkStatus(native.tf_store_adamw(store, lr, betas[0], betas[1], eps, weightDecay), op);
}

/**
 * One RMSprop step over every parameter of `store` with a gradient (one C
 * call). Settings are checked first, so a bad one changes nothing.
 *
 * @example
 * ```ts
 * stepRmsprop(mem._storeFor("applyGradsRmsprop"), 1e-2, { momentum: 0.9 }, "applyGradsRmsprop");
 * ```
 */
export function stepRmsprop(store: NonNullable<StoreHandle>, lr: number, options: RmspropOptions | undefined, op: string): void {
  const { alpha, eps, momentum, weightDecay, centered } = rmspropSettings(options, op);
  checkStatus(native.tf_store_rmsprop(store, lr, alpha, eps, weightDecay, momentum, centered ? 1 : 0), op);
}
