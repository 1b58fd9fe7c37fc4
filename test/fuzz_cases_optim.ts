// Fuzz cases (test/fuzz_cases.ts lists them) for AdamW, RMSprop and the
// learning-rate schedule helpers: wild settings give a result or a TorchError
// naming the call, a refused step leaves every parameter as it was, and no
// step ever moves a buffer.
import { cosineAnnealingLR, linearWarmup, type LrSchedule, Memory, noGrad, oneCycleLR, stepLR, type Tensor } from "../mod.ts";
import { type Case, makeTensor, wildNumber } from "./fuzz_cases.ts";
import { describe, type Recorder, type Rng } from "./fuzz_record.ts";

function contents(t: Tensor): string {
  return JSON.stringify(noGrad(() => t.detach().toArray()), (_, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
}

// A setting: mostly sensible, sometimes anything.
function setting(rng: Rng, sensible: () => number): unknown {
  if (rng.chance(0.75)) return sensible();
  return rng.chance(0.85) ? wildNumber(rng) : rng.pick<unknown>(["0.9", null, [0.9], {}, true]);
}

function violation(rec: Recorder, kind: string, what: string, problem: string): void {
  rec.violations.push({ call: rec.calls - 1, kind, what, problem });
}

export const newOptimizers: Case = (rng, rec) => {
  const mem = new Memory();
  try {
    const ids: number[] = [];
    for (let i = rng.int(1, 3); i > 0; i--) {
      const p = makeTensor(rng, { dtype: rng.chance(0.8) ? "float32" : "float64", grad: 1, transposed: 0.3 });
      ids.push(mem.push(p));
    }
    const buffer = mem.pushBuffer(makeTensor(rng, { dtype: "float32", grad: 0 }));
    if (rng.chance(0.85)) for (const id of ids) mem.get(id).mul(mem.get(id)).sum().backward();
    const before = ids.map((id) => contents(mem.get(id)));
    const bufferBefore = contents(mem.get(buffer));
    const lr = setting(rng, () => rng.pick([1e-3, 0.01, 0.5])) as number;
    let kind: string, what: string, fn: () => void;
    if (rng.chance(0.5)) {
      const options = {
        betas: rng.chance(0.8) ? [setting(rng, () => rng.pick([0, 0.9, 0.5])), setting(rng, () => rng.pick([0.999, 0.99, 0]))] : setting(rng, () => 0.9),
        eps: setting(rng, () => rng.pick([1e-8, 0, 1e-3])),
        weightDecay: setting(rng, () => rng.pick([0, 0.01, 0.5])),
      };
      kind = "applyGradsAdamW";
      what = `mem.applyGradsAdamW(${describe(lr)}, ${describe(options)})`;
      fn = () => mem.applyGradsAdamW(lr, options as never);
    } else {
      const options = {
        alpha: setting(rng, () => rng.pick([0.99, 0, 1, 0.5])),
        eps: setting(rng, () => rng.pick([1e-8, 0, 1e-3])),
        momentum: setting(rng, () => rng.pick([0, 0.9])),
        weightDecay: setting(rng, () => rng.pick([0, 0.01])),
        centered: rng.chance(0.9) ? rng.chance(0.5) : rng.pick<unknown>([1, "yes", null]),
      };
      kind = "applyGradsRmsprop";
      what = `mem.applyGradsRmsprop(${describe(lr)}, ${describe(options)})`;
      fn = () => mem.applyGradsRmsprop(lr, options as never);
    }
    const done = rec.call(kind, what, [kind], () => (fn(), true));
    if (done === undefined && ids.some((id, i) => contents(mem.get(id)) !== before[i])) violation(rec, kind, what, "the refused step changed a parameter");
    if (contents(mem.get(buffer)) !== bufferBefore) violation(rec, kind, what, "the step moved a buffer");
  } finally {
    mem.dispose();
  }
};

const HELPERS = {
  stepLR: (rng: Rng) => [setting(rng, () => 0.1), { stepSize: setting(rng, () => rng.int(1, 4)), gamma: setting(rng, () => 0.5) }],
  cosineAnnealingLR: (rng: Rng) => [setting(rng, () => 0.1), { tMax: setting(rng, () => rng.int(1, 20)), etaMin: setting(rng, () => rng.pick([0, 0.01])) }],
  linearWarmup: (rng: Rng) => [setting(rng, () => 0.1), { startFactor: setting(rng, () => 0.25), totalIters: setting(rng, () => rng.int(1, 10)) }],
  oneCycleLR: (rng: Rng) => [setting(rng, () => 0.1), { totalSteps: setting(rng, () => rng.int(1, 30)), pctStart: setting(rng, () => 0.3) }],
} as const;
const MAKE = { stepLR, cosineAnnealingLR, linearWarmup, oneCycleLR } as const;

export const schedules: Case = (rng, rec) => {
  const helper = rng.pick(Object.keys(HELPERS) as (keyof typeof HELPERS)[]);
  const [lr, options] = HELPERS[helper](rng);
  const what = `${helper}(${describe(lr)}, ${describe(options)})`;
  const schedule = rec.call(helper, what, [helper], () => MAKE[helper](lr as number, options as never), (r) =>
    typeof r === "function" ? [] : [`expected a function, got ${describe(r)}`]);
  if (schedule === undefined) return;
  for (let i = rng.int(1, 4); i > 0; i--) {
    // Positions a run reaches, or not positions at all (the recurrent schedules
    // walk from their last position, so a far but valid one would only be slow).
    const position = () => (rng.chance(0.9) ? rng.int(0, 40) : rng.pick([-1, 1.5, NaN, Infinity, 2 ** 53, -(2 ** 63)]));
    const step = position(), epoch = position();
    rec.call(helper, `${what}(${describe(step)}, ${describe(epoch)})`, [helper], () => (schedule as LrSchedule)(step, epoch), (r) =>
      typeof r === "number" && !Number.isNaN(r) ? [] : [`expected a rate, got ${describe(r)}`]);
  }
};

/** The cases and their weights, appended to CASES. */
export const optimCases: [Case, number][] = [[newOptimizers, 3], [schedules, 3]];
