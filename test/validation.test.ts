// train() and its callers do not leak tensors over thousands of steps, and bad
// options and layer sizes are refused before any work is done.
import { describe, expect, test } from "vitest";
import {
  type Compute,
  Conv2d,
  crossEntropy,
  Linear,
  liveTensors,
  manualSeed,
  type Memory,
  rand,
  randn,
  type Tensor,
  tidy,
  train,
  type TrainOptions,
} from "../mod.ts";
import { expectSameSnapshot, expectTorchError, FFN, flat, snapshot, withMemory } from "./training_helpers.ts";

const liveAtStart = liveTensors();

// ---------------------------------------------------------------------- leaks

describe("leaks", () => {
  test("5,000 manual training steps leave liveTensors() where it was after the first step", () => {
    withMemory((mem) => tidy(() => {
      manualSeed(8);
      const model = new FFN(mem, [20, 10, 3]);
      const x = randn([8, 20]);
      const y = rand([8]).mul(3).to("int64");
      const step = () => tidy(() => {
        const loss = crossEntropy(y, model.forward(mem, x));
        loss.backward();
        mem.applyGradsAdam(1e-3);
        return loss.item();
      });
      const first = step();
      const afterFirst = liveTensors();
      let last = first;
      for (let i = 1; i < 5000; i++) last = step();
      expect(liveTensors()).toBe(afterFirst);
      expect(last).toBeLessThan(first); // it did train
    }));
  });

  test("train() over 5,000 batches keeps liveTensors() flat", () => {
    withMemory((mem) => tidy(() => {
      manualSeed(9);
      const model = new FFN(mem, [20, 10, 3]);
      const n = 5000 * 4;
      const x = randn([n, 20]);
      const y = rand([n]).mul(3).to("int64");
      const before = liveTensors();
      const counts = new Set<number>();
      let steps = 0;
      train(mem, x, y, model, {
        epochs: 1,
        batchSize: 4,
        lr: 1e-3,
        optimizer: "momentum",
        onBatch: () => {
          steps++;
          counts.add(liveTensors());
        },
      });
      expect(steps).toBe(5000);
      expect([...counts]).toHaveLength(1);
      expect(liveTensors()).toBe(before);
    }));
  });
});

// ----------------------------------------------------------------- validation

describe("validation", () => {
  const base: TrainOptions = { epochs: 1, batchSize: 4, lr: 0.1, optimizer: "sgd" };
  const badOptions: [string, Partial<TrainOptions> | Record<string, unknown>][] = [
    ["NaN lr", { lr: NaN }],
    ["zero lr", { lr: 0 }],
    ["negative lr", { lr: -1e-3 }],
    ["infinite lr", { lr: Infinity }],
    ["batchSize 0", { batchSize: 0 }],
    ["fractional batchSize", { batchSize: 2.5 }],
    ["epochs 0", { epochs: 0 }],
    ["negative epochs", { epochs: -1 }],
    ["unknown optimizer", { optimizer: "adagrad" }],
    ["negative momentum", { optimizer: "momentum", momentum: -0.9 }],
    ["a loss that is not a function", { loss: "crossEntropy" }],
  ];

  /** Runs a failing train() and checks it did no work: no forward, no draws, no changes, no leaks. */
  function expectRejectedBeforeWork(run: (mem: Memory, x: Tensor, y: Tensor, model: Compute) => unknown, pattern?: RegExp, ySamples = 10): void {
    withMemory((mem) => tidy(() => {
      manualSeed(11);
      const inner = new FFN(mem, [5, 4, 3]);
      let forwards = 0;
      const model: Compute = { forward: (m, input) => (forwards++, inner.forward(m, input)) };
      const x = randn([10, 5]);
      const y = rand([ySamples]).mul(3).to("int64");
      const before = snapshot(mem);
      const live = liveTensors();
      manualSeed(12);
      expectTorchError(() => run(mem, x, y, model), pattern);
      expect(forwards, "forward calls").toBe(0);
      expectSameSnapshot(snapshot(mem), before);
      expect(liveTensors()).toBe(live);
      for (let id = 0; id < mem.size; id++) expect(mem.get(id).grad).toBeNull();
      // The generator was not touched (no randperm was drawn).
      const next = flat(rand([4]));
      manualSeed(12);
      expect(next).toEqual(flat(rand([4])));
    }));
  }

  for (const [name, override] of badOptions) {
    test(`train() rejects ${name} before doing any work`, () => {
      expectRejectedBeforeWork((mem, x, y, model) => train(mem, x, y, model, { ...base, ...override } as TrainOptions));
    });
  }

  test("train() rejects x/y length mismatch before doing any work", () => {
    expectRejectedBeforeWork((mem, x, y, model) => train(mem, x, y, model, base), /10.*9/, 9);
  });

  // train() documents that every option is checked before any work; Adam's settings are
  // part of the options (today they are only checked by the first optimizer step).
  for (const adam of [{ beta1: 1.5 }, { beta2: -1 }, { eps: NaN }, { weightDecay: -1 }]) {
    test(`train() rejects Adam settings ${JSON.stringify(adam).replace("null", "NaN")} before doing any work`, () => {
      expectRejectedBeforeWork((mem, x, y, model) => train(mem, x, y, model, { ...base, optimizer: "adam", adam }), /beta|eps|weight/i);
    });
  }

  test("the validation harness notices work (a valid run changes the parameters)", () => {
    withMemory((mem) => tidy(() => {
      manualSeed(11);
      const model = new FFN(mem, [5, 4, 3]);
      const x = randn([10, 5]);
      const y = rand([10]).mul(3).to("int64");
      const before = snapshot(mem);
      train(mem, x, y, model, base);
      expect(flat(mem.get(0))).not.toEqual(Array.from(before[0]));
    }));
  });

  test("Conv2d with kernelSize 0 and Linear with 0 features are TorchErrors that register nothing", () => {
    withMemory((mem) => {
      expectTorchError(() => new Conv2d(mem, 0, 1, 10, 1), /kernelSize/);
      expectTorchError(() => new Conv2d(mem, 3, 1, 10, 0), /stride/);
      expectTorchError(() => new Conv2d(mem, 3, 0, 10, 1), /inChannels/);
      expectTorchError(() => new Conv2d(mem, 3, 4, 6, 1, { groups: 4 }), /groups/);
      expectTorchError(() => new Linear(mem, 0, 10), /inFeatures/);
      expectTorchError(() => new Linear(mem, 10, 0), /outFeatures/);
      expectTorchError(() => new Linear(mem, 2.5, 10), /inFeatures/);
      expect(mem.size).toBe(0);
    });
  });
});

// Runs last (vitest runs a file's tests in order): everything above cleaned up after itself.
describe("the whole file", () => {
  test("leaves no tensor alive", () => {
    expect(liveTensors()).toBe(liveAtStart);
  });
});
