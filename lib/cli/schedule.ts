/**
 * `torchffi train --schedule SPEC`: a learning-rate schedule from a short
 * spec, built on `--lr` and the run's length.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { cosineAnnealingLR, linearWarmup, type LrSchedule, oneCycleLR, stepLR } from "../lr_schedule.ts";
import { UsageError } from "./args.ts";

/**
 * The `--schedule` lines of `torchffi train --help`.
 *
 * @example
 * ```ts
 * const help = `Usage: torchffi train [options]\n${SCHEDULE_HELP}`;
 * ```
 */
export const SCHEDULE_HELP = `  --schedule SPEC                  learning-rate schedule over the run (default none: --lr throughout):
                                     cosine[:ETA_MIN]       CosineAnnealingLR from --lr to ETA_MIN (default 0), per step
                                     step:N[:GAMMA]         StepLR: times GAMMA (default 0.1) every N epochs
                                     warmup:N[:FACTOR]      LinearLR from --lr*FACTOR (default 1/3) to --lr over N steps
                                     onecycle[:PCT]         OneCycleLR up to --lr, rising for PCT of the steps (default 0.3)
`;

/**
 * A parsed `--schedule`: the schedule and a description for the run's header.
 *
 * @example
 * ```ts
 * const { schedule, description } = parseSchedule("cosine", 1e-3, 2, 100)!;
 * ```
 */
export interface ParsedSchedule {
  schedule: LrSchedule;
  description: string;
}

function number(spec: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n)) throw new UsageError(`--schedule ${spec}: ${JSON.stringify(text)} is not a number`);
  return n;
}

/**
 * The schedule `spec` names (see `SCHEDULE_HELP`) for a run of `epochs`
 * epochs of `stepsPerEpoch` steps at base rate `lr`, or `undefined` for none;
 * a bad spec is a `UsageError` in one line.
 *
 * @example
 * ```ts
 * const parsed = parseSchedule("step:1:0.5", 0.01, 3, 50); // halves the rate after every epoch
 * ```
 */
export function parseSchedule(spec: string | boolean | undefined, lr: number, epochs: number, stepsPerEpoch: number): ParsedSchedule | undefined {
  if (spec === undefined || spec === "none") return undefined;
  if (typeof spec !== "string") throw new UsageError("--schedule needs a value (cosine, step:N:GAMMA, warmup:N, onecycle)");
  const [kind, ...rest] = spec.split(":");
  const totalSteps = epochs * stepsPerEpoch;
  const arity = (max: number) => {
    if (rest.length > max) throw new UsageError(`--schedule ${spec}: too many parts`);
  };
  try {
    switch (kind) {
      case "cosine": {
        arity(1);
        const etaMin = number(spec, rest[0], 0);
        return { schedule: cosineAnnealingLR(lr, { tMax: totalSteps, etaMin }), description: `cosine to ${etaMin} over ${totalSteps} steps` };
      }
      case "step": {
        arity(2);
        if (rest[0] === undefined) throw new UsageError(`--schedule ${spec}: step needs N, the epochs between decays (step:N[:GAMMA])`);
        const stepSize = number(spec, rest[0], 0);
        const gamma = number(spec, rest[1], 0.1);
        return { schedule: stepLR(lr, { stepSize, gamma }), description: `times ${gamma} every ${stepSize} epoch(s)` };
      }
      case "warmup": {
        arity(2);
        if (rest[0] === undefined) throw new UsageError(`--schedule ${spec}: warmup needs N, the steps of the ramp (warmup:N[:FACTOR])`);
        const totalIters = number(spec, rest[0], 0);
        const startFactor = number(spec, rest[1], 1 / 3);
        return { schedule: linearWarmup(lr, { startFactor, totalIters }), description: `linear warmup over ${totalIters} steps` };
      }
      case "onecycle": {
        arity(1);
        const pctStart = number(spec, rest[0], 0.3);
        return { schedule: oneCycleLR(lr, { totalSteps, pctStart }), description: `one cycle over ${totalSteps} steps` };
      }
    }
  } catch (error) {
    if (error instanceof TorchError) throw new UsageError(`--schedule ${spec}: ${error.detail}`);
    throw error;
  }
  throw new UsageError(`--schedule must be cosine, step:N[:GAMMA], warmup:N[:FACTOR], onecycle or none, got ${JSON.stringify(spec)}`);
}
