// AdamW and RMSprop against torch.optim (fixtures: fixtures/make_optim_fixtures.py):
// bit for bit on given gradients, step for step on the seed's models, state kept
// across steps and in checkpoints, buffers untouched, bad settings change nothing.
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  type AdamWOptions,
  crossEntropy,
  liveTensors,
  manualSeed,
  type Memory,
  rand,
  randn,
  type RmspropOptions,
  type Tensor,
  tidy,
  train,
} from "../mod.ts";
import { type EncodedTensor, readFixture } from "./helpers.ts";
import { CNN, expectSameSnapshot, expectSummary, expectTorchError, FFN, relDiff, snapshot, type Summary, withMemory } from "./training_helpers.ts";

type Options = AdamWOptions & RmspropOptions;
interface Case {
  name: string;
  optimizer: "adamw" | "rmsprop";
  lr: number;
  options: Options;
  seed: number;
}
interface Fixture {
  exact: (Case & { after: EncodedTensor[]; after64: EncodedTensor[] })[];
  runs: (Case & { model: "cnn" | "ffn"; losses: number[]; params: Summary[] })[];
}
const fx = readFixture<Fixture>("optim_more.json");
const liveAtStart = liveTensors();
const work = mkdtempSync(join(tmpdir(), "torchffi-optim-"));

function step(mem: Memory, c: Pick<Case, "optimizer" | "lr" | "options">): void {
  if (c.optimizer === "adamw") mem.applyGradsAdamW(c.lr, c.options as AdamWOptions);
  else mem.applyGradsRmsprop(c.lr, c.options as RmspropOptions);
}

/** Makes `p.grad` equal `g` exactly (d(sum(p * g))/dp = g). */
function setGrad(p: Tensor, g: Tensor): void {
  tidy(() => p.mul(g).sum().backward());
}

const maxLossDiff: Record<string, number> = {};
afterAll(() => console.log("max relative loss difference vs PyTorch:", JSON.stringify(maxLossDiff)));

describe("AdamW and RMSprop equal torch.optim bit for bit on given gradients", () => {
  for (const c of fx.exact) {
    test(`${c.name} ${JSON.stringify(c.options)}: four steps, every value`, () => {
      withMemory((mem) => tidy(() => {
        manualSeed(c.seed);
        const p = randn([37]);
        const grads = [randn([37]), randn([37]), randn([37]), randn([37])];
        p.requiresGrad = true;
        const id = mem.push(p, "p");
        // Neither a buffer nor a frozen parameter may move.
        const buffer = mem.pushBuffer(randn([5]), "running");
        const frozen = mem.push(randn([3]), "frozen");
        mem.get(frozen).requiresGrad = false;
        const still = [mem.get(buffer).toFloat32Array(), mem.get(frozen).toFloat32Array()];
        grads.forEach((g, k) => {
          setGrad(mem.get(id), g);
          step(mem, c);
          expect(mem.get(id).grad).toBeNull();
          expect(mem.get(id).toFloat32Array(), `after step ${k + 1}`).toEqual(Float32Array.from(c.after[k].data as number[]));
        });
        expectSameSnapshot([mem.get(buffer).toFloat32Array(), mem.get(frozen).toFloat32Array()], still);
      }));
    });
  }

  for (const c of fx.exact) {
    test(`${c.name} in float64 (LibTorch's ops, not the fused float32 loop): four steps, every value`, () => {
      withMemory((mem) => tidy(() => {
        manualSeed(c.seed);
        const p = randn([37]).to("float64");
        const grads = [randn([37]), randn([37]), randn([37]), randn([37])];
        p.requiresGrad = true;
        const id = mem.push(p, "p");
        grads.forEach((g, k) => {
          setGrad(mem.get(id), g.to("float64"));
          step(mem, c);
          expect(mem.get(id).toArray(), `after step ${k + 1}`).toEqual(c.after64[k].data);
        });
      }));
    });
  }

  test("the cases differ from each other (the comparison above can fail)", () => {
    const finals = fx.exact.map((c) => JSON.stringify(c.after[3].data));
    expect(new Set(finals).size).toBe(finals.length);
  });
});

describe("buffers", () => {
  test("no optimizer steps a buffer, even with its gradient turned on (PyTorch's optimizers never see buffers)", () => {
    const optimizers: [string, (mem: Memory) => void][] = [
      ["sgd", (mem) => mem.applyGradsSgd(0.1)],
      ["momentum", (mem) => mem.applyGradsSgdMomentum(0.1)],
      ["adam", (mem) => mem.applyGradsAdam(0.1)],
      ["adamw", (mem) => mem.applyGradsAdamW(0.1)],
      ["rmsprop", (mem) => mem.applyGradsRmsprop(0.1, { momentum: 0.9, centered: true })],
    ];
    for (const [name, apply] of optimizers) {
      withMemory((mem) => tidy(() => {
        manualSeed(9);
        const w = mem.push(randn([4]).requiresGrad_(true), "w");
        const b = mem.pushBuffer(randn([4]), "running");
        mem.get(b).requiresGrad = true;
        const before = [mem.get(w).toFloat32Array(), mem.get(b).toFloat32Array()];
        for (let k = 0; k < 2; k++) {
          mem.get(w).mul(mem.get(b)).sum().backward();
          expect(mem.get(b).grad, name).not.toBeNull();
          apply(mem);
        }
        expect(mem.get(b).toFloat32Array(), name).toEqual(before[1]);
        expect(mem.get(w).toFloat32Array(), name).not.toEqual(before[0]);
      }));
    }
  });
});

describe("AdamW and RMSprop match torch.optim over five training steps", () => {
  for (const run of fx.runs) {
    test(`${run.model} with ${run.name}`, () => {
      withMemory((mem) => tidy(() => {
        manualSeed(run.seed);
        const model = run.model === "cnn" ? new CNN(mem) : new FFN(mem);
        const inputShape = run.model === "cnn" ? [16, 1, 28, 28] : [16, 784];
        run.losses.forEach((want, i) => {
          const got = tidy(() => {
            const x = randn(inputShape);
            const y = rand([16]).mul(10).to("int64");
            const loss = crossEntropy(y, model.forward(mem, x));
            loss.backward();
            step(mem, run);
            return loss.item();
          });
          const d = relDiff(got, want);
          maxLossDiff[run.name] = Math.max(maxLossDiff[run.name] ?? 0, d);
          expect(d, `step ${i}: ${got} vs ${want}`).toBeLessThan(1e-5);
        });
        run.params.forEach((s, id) => expectSummary(mem.get(id), s, 1e-4, `parameter ${id}`));
      }));
    });
  }
});

describe("optimizer state", () => {
  for (const c of fx.exact) {
    test(`${c.name}: a checkpoint carries the state, so the steps after loading equal the steps without stopping`, () => {
      const path = join(work, `${c.name}.ckpt`);
      const valuesOnly = join(work, `${c.name}-values.safetensors`);
      // Draws the start value and the four gradients; returns the gradients.
      const setUp = (mem: Memory, start: "fixture" | "other") => {
        manualSeed(c.seed);
        const p = randn([37]);
        const grads = [randn([37]), randn([37]), randn([37]), randn([37])];
        const value = start === "fixture" ? p : rand([37]);
        value.requiresGrad = true;
        mem.push(value, "p");
        return grads;
      };
      const steps = (mem: Memory, grads: Tensor[]) => {
        for (const g of grads) {
          setGrad(mem.get(0), g);
          step(mem, c);
        }
        return mem.get(0).toFloat32Array();
      };
      const straight = withMemory((mem) => tidy(() => {
        const grads = setUp(mem, "fixture");
        steps(mem, grads.slice(0, 2));
        mem.saveCheckpoint(path);
        mem.save(valuesOnly);
        return steps(mem, grads.slice(2));
      }));
      expect(straight).toEqual(Float32Array.from(c.after[3].data as number[]));
      // Another store, with other values and no state, loads the checkpoint and takes the last two steps.
      const resumed = withMemory((mem) => tidy(() => {
        const grads = setUp(mem, "other");
        mem.loadCheckpoint(path);
        return steps(mem, grads.slice(2));
      }));
      expect(resumed).toEqual(straight);
      // The same values without the state (a fresh optimizer) end elsewhere: the state mattered.
      const fresh = withMemory((mem) => tidy(() => {
        const grads = setUp(mem, "other");
        mem.load(valuesOnly);
        return steps(mem, grads.slice(2));
      }));
      expect(fresh).not.toEqual(straight);
    });
  }

  for (const [optimizer, options] of [["adamw", { adamw: { weightDecay: 0.05 } }], ["rmsprop", { rmsprop: { momentum: 0.9, centered: true } }]] as const) {
    test(`train({ optimizer: "${optimizer}" }) resumed from an epoch's checkpoint gives exactly the uninterrupted run`, () => {
      tidy(() => {
        manualSeed(21);
        const x = randn([70, 784]);
        const y = rand([70]).mul(10).to("int64");
        const base = { epochs: 4, batchSize: 16, lr: 1e-3, optimizer, ...options };
        const path = join(work, `${optimizer}-train.ckpt`);
        const afterTwo = join(work, `${optimizer}-train-epoch1.ckpt`);
        const full = withMemory((mem) => {
          manualSeed(3);
          const history = train(mem, x, y, new FFN(mem), {
            ...base,
            checkpoint: path,
            onEpoch: (epoch) => epoch === 1 && copyFileSync(path, afterTwo),
          });
          return { history, params: snapshot(mem) };
        });
        const resumed = withMemory((mem) => {
          manualSeed(999);
          const history = train(mem, x, y, new FFN(mem), { ...base, checkpoint: afterTwo, resume: true });
          return { history, params: snapshot(mem) };
        });
        expect(resumed.history).toEqual(full.history);
        expectSameSnapshot(resumed.params, full.params);
      });
    });
  }
});

describe("bad settings", () => {
  test("each is a TorchError naming the option, and nothing in the store changes", () => {
    withMemory((mem) => tidy(() => {
      manualSeed(5);
      const model = new FFN(mem, [6, 5, 3]);
      crossEntropy(rand([4]).mul(3).to("int64"), model.forward(mem, randn([4, 6]))).backward();
      const before = snapshot(mem);
      const grads = Array.from({ length: mem.size }, (_, id) => mem.get(id).grad!.toFloat32Array());
      for (const lr of [0, -0.1, NaN, Infinity]) {
        expectTorchError(() => mem.applyGradsAdamW(lr), /applyGradsAdamW.*learning rate/);
        expectTorchError(() => mem.applyGradsRmsprop(lr), /applyGradsRmsprop.*learning rate/);
      }
      const badAdamW: [unknown, RegExp][] = [
        [{ betas: [1, 0.999] }, /betas\[0\] must be in \[0, 1\)/],
        [{ betas: [-0.1, 0.999] }, /betas\[0\]/],
        [{ betas: [0.9, 1.5] }, /betas\[1\]/],
        [{ betas: [0.9, NaN] }, /betas\[1\]/],
        [{ betas: [0.9] }, /betas must be a pair/],
        [{ betas: 0.9 }, /betas must be a pair/],
        [{ eps: -1 }, /eps/],
        [{ weightDecay: -0.01 }, /weightDecay/],
        [{ weightDecay: Infinity }, /weightDecay/],
        [null, /options must be an object/],
      ];
      for (const [options, pattern] of badAdamW) expectTorchError(() => mem.applyGradsAdamW(0.1, options as AdamWOptions), pattern);
      const badRmsprop: [unknown, RegExp][] = [
        [{ alpha: -0.1 }, /alpha must be in \[0, 1\]/],
        [{ alpha: 1.5 }, /alpha/],
        [{ alpha: NaN }, /alpha/],
        [{ eps: -1 }, /eps/],
        [{ momentum: -0.5 }, /momentum/],
        [{ weightDecay: -1 }, /weightDecay/],
        [{ centered: "yes" }, /centered must be a boolean/],
      ];
      for (const [options, pattern] of badRmsprop) expectTorchError(() => mem.applyGradsRmsprop(0.1, options as RmspropOptions), pattern);
      // Settings that pass alone but give a scalar float32 cannot hold (LibTorch would refuse it
      // mid-step, after stepping the tensors before): refused before any tensor changes.
      expectTorchError(() => mem.applyGradsAdamW(1e300), /applyGradsAdamW: 1 - lr \* weight_decay is -1e\+298, which tensor 0's dtype Float cannot hold/);
      expectTorchError(() => mem.applyGradsAdamW(1e300, { weightDecay: 0 }), /the step size .* cannot hold/);
      expectTorchError(() => mem.applyGradsRmsprop(1e300), /applyGradsRmsprop: lr is -1e\+300, .*cannot hold/);
      expectTorchError(() => mem.applyGradsRmsprop(0.1, { eps: 1e300 }), /eps is 1e\+300/);
      expectSameSnapshot(snapshot(mem), before);
      // The gradients wait for a valid step, and no optimizer state was created:
      // a first step now equals a first step on an untouched twin.
      expectSameSnapshot(Array.from({ length: mem.size }, (_, id) => mem.get(id).grad!.toFloat32Array()), grads);
      mem.applyGradsRmsprop(0.01, { momentum: 0.9, centered: true });
      const twin = withMemory((other) => tidy(() => {
        manualSeed(5);
        const m = new FFN(other, [6, 5, 3]);
        crossEntropy(rand([4]).mul(3).to("int64"), m.forward(other, randn([4, 6]))).backward();
        other.applyGradsRmsprop(0.01, { momentum: 0.9, centered: true });
        return snapshot(other);
      }));
      expectSameSnapshot(snapshot(mem), twin);
      expect(Array.from(twin[0])).not.toEqual(Array.from(before[0]));
    }));
  });

  test("train() refuses bad AdamW and RMSprop settings before any work", () => {
    withMemory((mem) => tidy(() => {
      manualSeed(6);
      const model = new FFN(mem, [6, 5, 3]);
      const before = snapshot(mem);
      const x = randn([8, 6]), y = rand([8]).mul(3).to("int64");
      expectTorchError(() => train(mem, x, y, model, { epochs: 1, batchSize: 4, lr: 0.1, optimizer: "adamw", adamw: { betas: [0.9, 1] } }), /train.*betas\[1\]/);
      expectTorchError(() => train(mem, x, y, model, { epochs: 1, batchSize: 4, lr: 0.1, optimizer: "rmsprop", rmsprop: { alpha: 2 } }), /train.*alpha/);
      expectTorchError(() => train(mem, x, y, model, { epochs: 1, batchSize: 4, lr: 0.1, optimizer: "adamax" as never }), /adamw, rmsprop/);
      expectSameSnapshot(snapshot(mem), before);
    }));
  });
});

describe("the whole file", () => {
  test("leaves no tensor alive", () => {
    expect(liveTensors()).toBe(liveAtStart);
  });
});
