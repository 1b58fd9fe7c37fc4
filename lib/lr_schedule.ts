/**
 * Learning-rate schedules for `train({ lrSchedule })`: functions
 * `(step, epoch) => lr`, where `step` counts optimizer steps from the start of
 * training (0-based, across epochs) and `epoch` is the 0-based epoch. The
 * helpers reproduce `torch.optim.lr_scheduler`'s numbers bit for bit: where
 * PyTorch computes a rate from the previous one (StepLR, LinearLR,
 * CosineAnnealingLR), so do they, caching the last position so a whole run
 * costs one update per step. A schedule is a pure function of its position,
 * so a resumed run (which restores `step` and `epoch`) continues exactly.
 *
 * @module
 */
import { TorchError } from "./errors.ts";

/**
 * A learning-rate schedule: the rate of the optimizer step at `step` (0-based,
 * counted over the whole run) in `epoch` (0-based).
 *
 * @example
 * ```ts
 * const halveEachEpoch: LrSchedule = (_step, epoch) => 0.1 * 0.5 ** epoch;
 * train(mem, x, y, model, { epochs: 5, batchSize: 64, optimizer: "sgd", lrSchedule: halveEachEpoch });
 * ```
 */
export type LrSchedule = (step: number, epoch: number) => number;

/**
 * Which counter a schedule follows: `"step"` (the PyTorch loop calls
 * `scheduler.step()` after every `optimizer.step()`) or `"epoch"` (after every
 * epoch).
 *
 * @example
 * ```ts
 * const per: SchedulePer = "epoch";
 * ```
 */
export type SchedulePer = "step" | "epoch";

function fail(op: string, message: string): never {
  throw new TorchError(op, message);
}

function positive(op: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) fail(op, `${name} must be a positive number, got ${String(v)}`);
  return v as number;
}

function positiveInteger(op: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) fail(op, `${name} must be a positive integer, got ${String(v)}`);
  return v as number;
}

function perOf(op: string, per: unknown, fallback: SchedulePer): SchedulePer {
  if (per === undefined) return fallback;
  if (per !== "step" && per !== "epoch") fail(op, `per must be "step" or "epoch", got ${JSON.stringify(per)}`);
  return per as SchedulePer;
}

function positionOf(op: string, per: SchedulePer, step: number, epoch: number): number {
  const t = per === "step" ? step : epoch;
  if (!Number.isSafeInteger(t) || t < 0) fail(op, `the ${per} must be a non-negative integer, got ${String(t)}`);
  return t;
}

// A schedule PyTorch defines by recurrence (lr_t from lr_{t-1}): walks forward
// from the last position asked for, or from the start when asked for an earlier one.
function recurrent(op: string, per: SchedulePer, first: number, next: (previous: number, t: number) => number): LrSchedule {
  let position = 0;
  let lr = first;
  return (step, epoch) => {
    const t = positionOf(op, per, step, epoch);
    if (t < position) {
      position = 0;
      lr = first;
    }
    while (position < t) lr = next(lr, ++position);
    return lr;
  };
}

/**
 * Options of `stepLR` (`torch.optim.lr_scheduler.StepLR`).
 *
 * @example
 * ```ts
 * const options: StepLROptions = { stepSize: 30, gamma: 0.1 };
 * ```
 */
export interface StepLROptions {
  /** Decay every `stepSize` epochs (or steps with `per: "step"`). */
  stepSize: number;
  /** Factor of each decay (default 0.1). */
  gamma?: number;
  /** Default `"epoch"`, as PyTorch's examples step StepLR. */
  per?: SchedulePer;
}

/**
 * `StepLR(optimizer, step_size, gamma)` with the optimizer's rate `lr`:
 * `lr` times `gamma` every `stepSize` epochs (by default; PyTorch's numbers
 * when `scheduler.step()` runs once per epoch), or steps with `per: "step"`.
 *
 * @example
 * ```ts
 * train(mem, x, y, model, { epochs: 9, batchSize: 64, optimizer: "sgd", lrSchedule: stepLR(0.1, { stepSize: 3, gamma: 0.5 }) });
 * ```
 */
export function stepLR(lr: number, options: StepLROptions): LrSchedule {
  const op = "stepLR";
  positive(op, "lr", lr);
  if (options === null || typeof options !== "object") fail(op, "options { stepSize, gamma } are required");
  const stepSize = positiveInteger(op, "stepSize", options.stepSize);
  const gamma = positive(op, "gamma", options.gamma ?? 0.1);
  const per = perOf(op, options.per, "epoch");
  return recurrent(op, per, lr, (previous, t) => (t % stepSize === 0 ? previous * gamma : previous));
}

/**
 * Options of `cosineAnnealingLR` (`torch.optim.lr_scheduler.CosineAnnealingLR`).
 *
 * @example
 * ```ts
 * const options: CosineAnnealingLROptions = { tMax: 1000, etaMin: 1e-5 };
 * ```
 */
export interface CosineAnnealingLROptions {
  /** Steps (or epochs) of a half period: the rate reaches `etaMin` there (PyTorch's `T_max`). */
  tMax: number;
  /** The lowest rate (default 0). Every rate given to an optimizer must be positive, so with 0 keep the run within `tMax`. */
  etaMin?: number;
  /** Default `"step"`. */
  per?: SchedulePer;
}

/**
 * `CosineAnnealingLR(optimizer, T_max, eta_min)` with the optimizer's rate
 * `lr`: from `lr` down to `etaMin` along a cosine over `tMax` steps (by
 * default; PyTorch's numbers when `scheduler.step()` runs after every
 * optimizer step) or epochs with `per: "epoch"`, by PyTorch's recurrence.
 *
 * @example
 * ```ts
 * const lrSchedule = cosineAnnealingLR(0.1, { tMax: epochs * Math.ceil(n / batchSize) });
 * ```
 */
export function cosineAnnealingLR(lr: number, options: CosineAnnealingLROptions): LrSchedule {
  const op = "cosineAnnealingLR";
  positive(op, "lr", lr);
  if (options === null || typeof options !== "object") fail(op, "options { tMax, etaMin } are required");
  const tMax = positiveInteger(op, "tMax", options.tMax);
  const etaMin = options.etaMin ?? 0;
  if (typeof etaMin !== "number" || !Number.isFinite(etaMin) || etaMin < 0 || etaMin > lr) {
    fail(op, `etaMin must be a number in [0, lr], got ${String(etaMin)}`);
  }
  const per = perOf(op, options.per, "step");
  return recurrent(op, per, lr, (previous, t) => {
    // Python's % is never negative; JavaScript's can be.
    const m = 2 * tMax;
    if ((((t - 1 - tMax) % m) + m) % m === 0) return previous + (lr - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
    return (1 + Math.cos(Math.PI * t / tMax)) / (1 + Math.cos(Math.PI * (t - 1) / tMax)) * (previous - etaMin) + etaMin;
  });
}

/**
 * Options of `linearWarmup` (`torch.optim.lr_scheduler.LinearLR`).
 *
 * @example
 * ```ts
 * const options: LinearWarmupOptions = { startFactor: 0.1, totalIters: 500 };
 * ```
 */
export interface LinearWarmupOptions {
  /** Factor of the first rate, in (0, 1] (default 1/3, as PyTorch). */
  startFactor?: number;
  /** Factor reached after `totalIters`, in [0, 1] (default 1). */
  endFactor?: number;
  /** Steps (or epochs) of the ramp (default 5, as PyTorch). */
  totalIters?: number;
  /** Default `"step"`. */
  per?: SchedulePer;
}

/**
 * `LinearLR(optimizer, start_factor, end_factor, total_iters)` with the
 * optimizer's rate `lr`: from `lr * startFactor` linearly to
 * `lr * endFactor` over `totalIters` steps (by default; PyTorch's numbers when
 * `scheduler.step()` runs after every optimizer step) or epochs with
 * `per: "epoch"`, then constant; by PyTorch's recurrence.
 *
 * @example
 * ```ts
 * const lrSchedule = linearWarmup(1e-3, { startFactor: 0.01, totalIters: 100 });
 * ```
 */
export function linearWarmup(lr: number, options: LinearWarmupOptions = {}): LrSchedule {
  const op = "linearWarmup";
  positive(op, "lr", lr);
  if (options === null || typeof options !== "object") fail(op, `options must be an object, got ${String(options)}`);
  const startFactor = options.startFactor ?? 1 / 3;
  const endFactor = options.endFactor ?? 1;
  if (typeof startFactor !== "number" || !(startFactor > 0 && startFactor <= 1)) fail(op, `startFactor must be in (0, 1], got ${String(startFactor)}`);
  if (typeof endFactor !== "number" || !(endFactor >= 0 && endFactor <= 1)) fail(op, `endFactor must be in [0, 1], got ${String(endFactor)}`);
  const totalIters = positiveInteger(op, "totalIters", options.totalIters ?? 5);
  // PyTorch's recurrence turns a first rate of 0 into NaN (0 * Infinity) at the next step.
  if (!(lr * startFactor > 0)) fail(op, `startFactor ${startFactor} makes the first rate (lr * startFactor) underflow to 0`);
  const per = perOf(op, options.per, "step");
  return recurrent(op, per, lr * startFactor, (previous, t) => {
    if (t > totalIters) return previous;
    return previous * (1 + (endFactor - startFactor) / (totalIters * startFactor + (t - 1) * (endFactor - startFactor)));
  });
}

/**
 * Options of `oneCycleLR` (`torch.optim.lr_scheduler.OneCycleLR`).
 *
 * @example
 * ```ts
 * const options: OneCycleLROptions = { totalSteps: 1000, pctStart: 0.25 };
 * ```
 */
export interface OneCycleLROptions {
  /** Steps of the cycle (PyTorch's `total_steps`, or `epochs * steps_per_epoch`). */
  totalSteps: number;
  /** Fraction of the cycle spent increasing the rate (default 0.3). */
  pctStart?: number;
  /** `"cos"` (default) or `"linear"`. */
  annealStrategy?: "cos" | "linear";
  /** The first rate is `maxLr / divFactor` (default 25). */
  divFactor?: number;
  /** The last rate is the first divided by `finalDivFactor` (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to the first rate, then down to the last) instead of two (default false). */
  threePhase?: boolean;
}

/**
 * `OneCycleLR(optimizer, max_lr, total_steps, pct_start, anneal_strategy,
 * div_factor, final_div_factor, three_phase, cycle_momentum=False)`: up from
 * `maxLr / divFactor` to `maxLr`, then down to far below; per step, as PyTorch
 * steps it (a step past `totalSteps` is an error there and here). Only the
 * rate is scheduled: PyTorch's default `cycle_momentum=True` also changes the
 * optimizer's momentum, which a schedule cannot.
 *
 * @example
 * ```ts
 * const lrSchedule = oneCycleLR(0.1, { totalSteps: epochs * Math.ceil(n / batchSize) });
 * ```
 */
export function oneCycleLR(maxLr: number, options: OneCycleLROptions): LrSchedule {
  const op = "oneCycleLR";
  positive(op, "maxLr", maxLr);
  if (options === null || typeof options !== "object") fail(op, "options { totalSteps } are required");
  const totalSteps = positiveInteger(op, "totalSteps", options.totalSteps);
  const pctStart = options.pctStart ?? 0.3;
  if (typeof pctStart !== "number" || !(pctStart >= 0 && pctStart <= 1)) fail(op, `pctStart must be in [0, 1], got ${String(pctStart)}`);
  const strategy = options.annealStrategy ?? "cos";
  if (strategy !== "cos" && strategy !== "linear") fail(op, `annealStrategy must be "cos" or "linear", got ${JSON.stringify(strategy)}`);
  const divFactor = positive(op, "divFactor", options.divFactor ?? 25);
  const finalDivFactor = positive(op, "finalDivFactor", options.finalDivFactor ?? 1e4);
  const initialLr = maxLr / divFactor;
  const minLr = initialLr / finalDivFactor;
  const anneal = strategy === "cos"
    ? (start: number, end: number, pct: number) => end + (start - end) / 2.0 * (Math.cos(Math.PI * pct) + 1)
    : (start: number, end: number, pct: number) => (end - start) * pct + start;
  const phases: [number, number, number][] = options.threePhase
    ? [[pctStart * totalSteps - 1, initialLr, maxLr], [2 * pctStart * totalSteps - 2, maxLr, initialLr], [totalSteps - 1, initialLr, minLr]]
    : [[pctStart * totalSteps - 1, initialLr, maxLr], [totalSteps - 1, maxLr, minLr]];
  return (step) => {
    const t = positionOf(op, "step", step, 0);
    if (t > totalSteps) fail(op, `step ${t} is past the cycle of ${totalSteps} steps (totalSteps)`);
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const [end, from, to] = phases[i];
      if (t <= end || i === phases.length - 1) {
        // Where PyTorch divides by zero (a phase of no length), say why instead of giving NaN.
        if (end === start) fail(op, `pctStart ${pctStart} leaves the phase of step ${t} empty in a cycle of ${totalSteps} steps`);
        return anneal(from, to, (t - start) / (end - start));
      }
      start = end;
    }
    return fail(op, "no phase");
  };
}
