// Learning-rate schedules against torch.optim.lr_scheduler (fixtures:
// fixtures/make_optim_fixtures.py): the rates bit for bit, train() with a
// schedule against the same loop in PyTorch, resuming mid-schedule, bad input.
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  cosineAnnealingLR,
  linearWarmup,
  liveTensors,
  type LrSchedule,
  manualSeed,
  oneCycleLR,
  type OptimizerKind,
  rand,
  randn,
  stepLR,
  tidy,
  train,
} from "../mod.ts";
import { readFixture } from "./helpers.ts";
import { expectSameSnapshot, expectSummary, expectTorchError, FFN, relDiff, snapshot, type Summary, withMemory } from "./training_helpers.ts";

type Helper = "stepLR" | "cosineAnnealingLR" | "linearWarmup" | "oneCycleLR";
interface ScheduleCase {
  helper: Helper;
  lr: number;
  options: Record<string, unknown>;
  lrs: number[];
}
interface TrainRun {
  seed: number;
  n: number;
  batchSize: number;
  epochs: number;
  optimizer: OptimizerKind;
  lr: number;
  options: Record<string, unknown>;
  schedule: { helper: Helper; lr: number; options: Record<string, unknown>; per: "step" | "epoch" } | null;
  history: number[];
  params: Summary[];
}
const fx = readFixture<{ schedules: ScheduleCase[]; trainRuns: TrainRun[] }>("optim_more.json");
const liveAtStart = liveTensors();
const work = mkdtempSync(join(tmpdir(), "torchffi-sched-"));

// deno-lint-ignore no-explicit-any
const HELPERS: Record<Helper, (lr: number, options: any) => LrSchedule> = { stepLR, cosineAnnealingLR, linearWarmup, oneCycleLR };

describe("the helpers give PyTorch's rates bit for bit", () => {
  for (const c of fx.schedules) {
    test(`${c.helper}(${c.lr}, ${JSON.stringify(c.options)}): ${c.lrs.length} rates`, () => {
      const schedule = HELPERS[c.helper](c.lr, c.options);
      // The position is the step (or the epoch with per: "epoch"): give both.
      expect(c.lrs.map((_, t) => schedule(t, t))).toEqual(c.lrs);
      // Asked out of order (as after a resume), a schedule still gives the same rates.
      const reversed = c.lrs.map((_, t) => c.lrs.length - 1 - t).map((t) => schedule(t, t));
      expect(reversed.reverse()).toEqual(c.lrs);
      const fresh = HELPERS[c.helper](c.lr, c.options);
      expect(fresh(c.lrs.length - 1, c.lrs.length - 1)).toBe(c.lrs[c.lrs.length - 1]);
    });
  }

  test("the stepping convention: stepLR follows epochs, the others steps (per overrides)", () => {
    const byEpoch = stepLR(0.1, { stepSize: 1, gamma: 0.5 });
    expect([byEpoch(0, 0), byEpoch(7, 0), byEpoch(8, 1), byEpoch(9, 2)]).toEqual([0.1, 0.1, 0.05, 0.025]);
    const byStep = stepLR(0.1, { stepSize: 1, gamma: 0.5, per: "step" });
    expect([byStep(0, 0), byStep(1, 0), byStep(2, 0)]).toEqual([0.1, 0.05, 0.025]);
    const cosine = cosineAnnealingLR(0.1, { tMax: 4 });
    expect(cosine(2, 0)).toBeLessThan(0.1);
    const cosineByEpoch = cosineAnnealingLR(0.1, { tMax: 4, per: "epoch" });
    expect([cosineByEpoch(2, 0), cosineByEpoch(5, 1)]).toEqual([0.1, cosine(1, 0)]);
  });
});

describe("train({ lrSchedule }) matches the same loop in PyTorch", () => {
  for (const run of fx.trainRuns) {
    const what = run.schedule ? `${run.schedule.helper} per ${run.schedule.per}` : "no schedule";
    test(`${run.optimizer} ${JSON.stringify(run.options)}, ${what}, ${run.epochs} epochs`, () => {
      withMemory((mem) => tidy(() => {
        manualSeed(run.seed);
        const model = new FFN(mem);
        const x = randn([run.n, 784]);
        const y = rand([run.n]).mul(10).to("int64");
        const calls: [number, number][] = [];
        const schedule = run.schedule ? HELPERS[run.schedule.helper](run.schedule.lr, { ...run.schedule.options, per: run.schedule.per }) : null;
        const lrSchedule: LrSchedule | undefined = schedule
          ? (step, epoch) => {
            calls.push([step, epoch]);
            return schedule(step, epoch);
          }
          : undefined;
        const settings = run.optimizer === "adamw" ? { adamw: run.options } : run.optimizer === "rmsprop" ? { rmsprop: run.options } : {};
        const history = train(mem, x, y, model, {
          epochs: run.epochs,
          batchSize: run.batchSize,
          ...(lrSchedule ? { lrSchedule } : { lr: run.lr }),
          optimizer: run.optimizer,
          ...settings,
        });
        history.forEach((l, i) => expect(relDiff(l, run.history[i]), `epoch ${i}: ${l} vs ${run.history[i]}`).toBeLessThan(1e-5));
        run.params.forEach((s, id) => expectSummary(mem.get(id), s, 1e-4, `parameter ${id}`));
        if (schedule) {
          const perEpoch = Math.ceil(run.n / run.batchSize);
          expect(calls).toEqual(Array.from({ length: perEpoch * run.epochs }, (_, s) => [s, Math.floor(s / perEpoch)]));
        }
      }));
    });
  }

  test("the scheduled runs differ from the same runs at a constant rate (the comparison above can fail)", () => {
    for (const run of fx.trainRuns.filter((r) => r.schedule)) {
      const constant = withMemory((mem) => tidy(() => {
        manualSeed(run.seed);
        const model = new FFN(mem);
        const x = randn([run.n, 784]);
        const y = rand([run.n]).mul(10).to("int64");
        return train(mem, x, y, model, { epochs: run.epochs, batchSize: run.batchSize, lr: run.lr, optimizer: run.optimizer });
      }));
      expect(constant.some((l, i) => relDiff(l, run.history[i]) > 1e-4), run.schedule!.helper).toBe(true);
    }
  });
});

describe("resuming", () => {
  for (const [name, make] of [
    ["cosineAnnealingLR", () => cosineAnnealingLR(0.05, { tMax: 20 })],
    ["stepLR per epoch", () => stepLR(0.05, { stepSize: 1, gamma: 0.7 })],
    ["oneCycleLR", () => oneCycleLR(0.05, { totalSteps: 20 })],
  ] as const) {
    test(`with ${name}: a run resumed from an epoch's checkpoint continues the schedule exactly`, () => {
      tidy(() => {
        manualSeed(31);
        const x = randn([75, 784]);
        const y = rand([75]).mul(10).to("int64");
        const path = join(work, "sched.ckpt");
        const afterTwo = join(work, "sched-epoch1.ckpt");
        const base = { epochs: 4, batchSize: 16, optimizer: "momentum" as const };
        const full = withMemory((mem) => {
          manualSeed(3);
          const history = train(mem, x, y, new FFN(mem), {
            ...base,
            lrSchedule: make(),
            checkpoint: path,
            onEpoch: (epoch) => epoch === 1 && copyFileSync(path, afterTwo),
          });
          return { history, params: snapshot(mem) };
        });
        const calls: number[] = [];
        const fresh = make();
        const resumed = withMemory((mem) => {
          manualSeed(999);
          const lrSchedule: LrSchedule = (step, epoch) => {
            calls.push(step);
            return fresh(step, epoch);
          };
          expect(mem.size).toBe(0);
          const history = train(mem, x, y, new FFN(mem), { ...base, lrSchedule, checkpoint: afterTwo, resume: true });
          expect(mem.loadCheckpoint(afterTwo).step).toBe(20);
          return { history, params: snapshot(mem) };
        });
        expect(calls[0]).toBe(10); // two epochs of five steps were done
        expect(resumed.history).toEqual(full.history);
        expectSameSnapshot(resumed.params, full.params);
      });
    });
  }
});

describe("the step count in checkpoints", () => {
  test("saved when given, absent in older checkpoints (resuming then counts whole epochs), refused when not a count", () => {
    tidy(() => {
      manualSeed(41);
      const x = randn([40, 784]);
      const y = rand([40]).mul(10).to("int64");
      const base = { epochs: 3, batchSize: 16, optimizer: "sgd" as const, lrSchedule: cosineAnnealingLR(0.1, { tMax: 9 }) };
      const path = join(work, "steps.ckpt");
      const older = join(work, "steps-older.ckpt");
      const full = withMemory((mem) => {
        manualSeed(3);
        const history = train(mem, x, y, new FFN(mem), {
          ...base,
          checkpoint: path,
          onEpoch: (epoch) => {
            if (epoch !== 0) return;
            const info = mem.loadCheckpoint(path);
            expect(info.step).toBe(3);
            // As a checkpoint from before step counts were written.
            mem.saveCheckpoint(older, { epoch: info.epoch, history: info.history });
          },
        });
        return { history, params: snapshot(mem) };
      });
      const resumed = withMemory((mem) => {
        manualSeed(77);
        const model = new FFN(mem);
        expect(mem.loadCheckpoint(older).step).toBeUndefined();
        const history = train(mem, x, y, model, { ...base, lrSchedule: cosineAnnealingLR(0.1, { tMax: 9 }), checkpoint: older, resume: true });
        return { history, params: snapshot(mem) };
      });
      expect(resumed.history).toEqual(full.history);
      expectSameSnapshot(resumed.params, full.params);
      withMemory((mem) => {
        new FFN(mem, [2, 2, 2]);
        for (const step of [-1, 1.5, NaN]) {
          expectTorchError(() => mem.saveCheckpoint(join(work, "bad-step.ckpt"), { epoch: 0, history: [], step }), /saveCheckpoint: step must be a non-negative integer/);
        }
      });
    });
  });
});

describe("bad input", () => {
  test("bad helper options are TorchErrors naming the helper and the option", () => {
    const cases: [() => unknown, RegExp][] = [
      [() => stepLR(-0.1, { stepSize: 2 }), /stepLR: lr must be a positive number/],
      [() => stepLR(0.1, { stepSize: 0 }), /stepLR: stepSize must be a positive integer/],
      [() => stepLR(0.1, { stepSize: 1.5 }), /stepSize/],
      [() => stepLR(0.1, { stepSize: 2, gamma: -1 }), /stepLR: gamma/],
      [() => stepLR(0.1, { stepSize: 2, per: "batch" as never }), /stepLR: per must be "step" or "epoch"/],
      [() => stepLR(0.1, undefined as never), /stepLR: options/],
      [() => cosineAnnealingLR(0.1, { tMax: 0 }), /cosineAnnealingLR: tMax/],
      [() => cosineAnnealingLR(0.1, { tMax: 5, etaMin: 0.2 }), /cosineAnnealingLR: etaMin must be a number in \[0, lr\]/],
      [() => cosineAnnealingLR(NaN, { tMax: 5 }), /cosineAnnealingLR: lr/],
      [() => linearWarmup(0.1, { startFactor: 0 }), /linearWarmup: startFactor must be in \(0, 1\]/],
      [() => linearWarmup(0.1, { endFactor: 1.5 }), /linearWarmup: endFactor/],
      [() => linearWarmup(0.1, { totalIters: 0 }), /linearWarmup: totalIters/],
      [() => linearWarmup(0.1, { startFactor: 5e-324 }), /linearWarmup: startFactor 5e-324 makes the first rate .* underflow to 0/],
      [() => oneCycleLR(0.1, { totalSteps: 0 }), /oneCycleLR: totalSteps/],
      [() => oneCycleLR(0.1, { totalSteps: 10, pctStart: 1.5 }), /oneCycleLR: pctStart/],
      [() => oneCycleLR(0.1, { totalSteps: 10, annealStrategy: "exp" as never }), /oneCycleLR: annealStrategy/],
      [() => oneCycleLR(0.1, { totalSteps: 10, divFactor: 0 }), /oneCycleLR: divFactor/],
      [() => oneCycleLR(0.1, { totalSteps: 10 })(11, 0), /oneCycleLR: step 11 is past the cycle of 10 steps/],
      [() => cosineAnnealingLR(0.1, { tMax: 5 })(-1, 0), /cosineAnnealingLR: the step must be a non-negative integer/],
      // PyTorch's OneCycleLR divides by zero here (ZeroDivisionError).
      [() => oneCycleLR(0.1, { totalSteps: 10, pctStart: 0.1 })(0, 0), /oneCycleLR: pctStart 0.1 leaves the phase of step 0 empty/],
    ];
    for (const [fn, pattern] of cases) expectTorchError(fn, pattern);
  });

  test("train() refuses a bad schedule or a bad scheduled rate, with the store as the last good step left it", () => {
    withMemory((mem) => tidy(() => {
      manualSeed(8);
      const model = new FFN(mem, [6, 5, 3]);
      const x = randn([12, 6]), y = rand([12]).mul(3).to("int64");
      const base = { epochs: 2, batchSize: 4, optimizer: "sgd" as const };
      const before = snapshot(mem);
      expectTorchError(() => train(mem, x, y, model, { ...base, lrSchedule: 0.1 as never }), /train: lrSchedule must be a function/);
      expectTorchError(() => train(mem, x, y, model, { ...base }), /train: lr must be a positive number/);
      for (const bad of [0, -0.1, NaN, Infinity, "0.1"]) {
        expectTorchError(() => train(mem, x, y, model, { ...base, lrSchedule: () => bad as number }), /train: lrSchedule\(0, 0\) returned .*positive number/);
      }
      expectSameSnapshot(snapshot(mem), before);
      // A rate that goes bad at step 4 (the second step of the second epoch): steps 0 to 3 ran, then it stops
      // before any work on step 4 (no gradients are left behind).
      const lrSchedule: LrSchedule = (step) => (step < 4 ? 0.1 : 0);
      expectTorchError(() => train(mem, x, y, model, { ...base, lrSchedule }), /lrSchedule\(4, 1\) returned 0/);
      const afterFour = snapshot(mem);
      expect(Array.from(afterFour[0])).not.toEqual(Array.from(before[0]));
      for (let id = 0; id < mem.size; id++) expect(mem.get(id).grad).toBeNull();
      // A cycle too short for the run stops at the step past it.
      expectTorchError(() => train(mem, x, y, model, { ...base, lrSchedule: oneCycleLR(0.1, { totalSteps: 3 }) }), /oneCycleLR: step 4 is past/);
    }));
  });
});

describe("the whole file", () => {
  test("leaves no tensor alive", () => {
    expect(liveTensors()).toBe(liveAtStart);
  });
});
