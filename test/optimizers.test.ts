// The optimizers step for step against torch.optim, and train() against the same
// loop in PyTorch (fixtures: see training_helpers.ts).
import { afterAll, describe, expect, test } from "vitest";
import { accuracy, crossEntropy, liveTensors, manualSeed, type Memory, rand, randn, tensor, tidy, train } from "../mod.ts";
import { CNN, expectSummary, FFN, fx, type OptimizerRun, relDiff, withMemory } from "./training_helpers.ts";

const liveAtStart = liveTensors();

// The settings of OPTIMIZERS in make_training_fixtures.py.
const applyStep: Record<OptimizerRun["optimizer"], (mem: Memory) => void> = {
  sgd: (mem) => mem.applyGradsSgd(0.05),
  momentum: (mem) => mem.applyGradsSgdMomentum(0.01, 0.9),
  adam: (mem) => mem.applyGradsAdam(1e-3),
  adamWeightDecay: (mem) => mem.applyGradsAdam(1e-3, { weightDecay: 0.05 }),
};

// Largest relative loss difference seen per optimizer, printed at the end for the record.
const maxLossDiff: Record<string, number> = {};
function recordDiff(key: string, d: number): void {
  maxLossDiff[key] = Math.max(maxLossDiff[key] ?? 0, d);
}
afterAll(() => {
  console.log("max relative loss difference vs PyTorch:", JSON.stringify(maxLossDiff));
});

// ---------------------------------------------------------------- optimizers

describe("optimizers match torch.optim step for step", () => {
  for (const run of fx.optimizerRuns) {
    test(`${run.model} with ${run.optimizer}: ${run.steps} steps`, () => {
      withMemory((mem) => tidy(() => {
        manualSeed(run.seed);
        const model = run.model === "cnn" ? new CNN(mem) : new FFN(mem);
        const inputShape = run.model === "cnn" ? [run.batch, 1, 28, 28] : [run.batch, 784];
        const losses: number[] = [];
        for (let step = 0; step < run.steps; step++) {
          losses.push(tidy(() => {
            const x = randn(inputShape);
            const y = rand([run.batch]).mul(10).to("int64");
            const loss = crossEntropy(y, model.forward(mem, x));
            loss.backward();
            applyStep[run.optimizer](mem);
            return loss.item();
          }));
        }
        losses.forEach((l, i) => {
          const d = relDiff(l, run.losses[i]);
          recordDiff(run.optimizer, d);
          expect(d, `step ${i}: ${l} vs ${run.losses[i]}`).toBeLessThan(1e-5);
        });
        expect(mem.size).toBe(run.params.length);
        run.params.forEach((s, id) => expectSummary(mem.get(id), s, 1e-4, `parameter ${id}`));
      }));
    });
  }

  test("the optimizers are not interchangeable (the comparison above can fail)", () => {
    // Same start and data, different optimizers: the final parameters must differ.
    const byOptimizer = new Map<string, number>();
    for (const run of fx.optimizerRuns.filter((r) => r.model === "ffn")) byOptimizer.set(run.optimizer, run.params[0].abs_sum);
    expect(new Set(byOptimizer.values()).size).toBe(byOptimizer.size);
  });
});

// -------------------------------------------------------------------- train()

describe("train() matches the same loop in PyTorch", () => {
  for (const run of fx.trainRuns) {
    test(`FFN, ${run.optimizer}, n=${run.n}, batch ${run.batchSize}, ${run.epochs} epochs, shuffle ${run.shuffle}`, () => {
      withMemory((mem) => tidy(() => {
        manualSeed(run.seed);
        const model = new FFN(mem);
        const x = randn([run.n, 784]);
        const y = rand([run.n]).mul(10).to("int64");
        const epochs: [number, number][] = [];
        const batches: { epoch: number; batch: number; samples: number }[] = [];
        const history = train(mem, x, y, model, {
          epochs: run.epochs,
          batchSize: run.batchSize,
          lr: run.lr,
          optimizer: run.optimizer,
          loss: crossEntropy,
          shuffle: run.shuffle,
          onEpoch: (epoch, loss) => epochs.push([epoch, loss]),
          onBatch: ({ epoch, batch, samples }) => batches.push({ epoch, batch, samples }),
        });
        expect(history.length).toBe(run.epochs);
        history.forEach((l, i) => {
          const d = relDiff(l, run.history[i]);
          recordDiff(`train/${run.optimizer}`, d);
          expect(d, `epoch ${i}: ${l} vs ${run.history[i]}`).toBeLessThan(1e-5);
        });
        expect(epochs).toEqual(history.map((loss, epoch) => [epoch, loss]));
        const perEpoch = Math.ceil(run.n / run.batchSize);
        expect(batches.length).toBe(perEpoch * run.epochs);
        // The last, partial batch is kept.
        expect(batches[perEpoch - 1]).toEqual({ epoch: 0, batch: perEpoch - 1, samples: run.n });
        expect(batches[perEpoch - 2].samples).toBe((perEpoch - 1) * run.batchSize);
        run.params.forEach((s, id) => expectSummary(mem.get(id), s, 1e-4, `parameter ${id}`));
      }));
    });
  }

  test("accuracy(target, logits) is the fraction of rows whose argmax is the target", () => {
    tidy(() => {
      const logits = tensor([[0.1, 0.9, 0], [2, 1, 0], [0, 0, 5], [1, 3, 2]]);
      expect(accuracy(tensor([1, 0, 2, 1], undefined, "int64"), logits)).toBe(1);
      expect(accuracy(tensor([1, 1, 2, 0], undefined, "int64"), logits)).toBe(0.5);
      expect(accuracy(tensor([0, 1, 0, 0], undefined, "int64"), logits)).toBe(0);
      logits.requiresGrad = true;
      expect(accuracy(tensor([1, 0, 2, 2], undefined, "int64"), logits.mul(2))).toBe(0.75);
      expect(accuracy(tensor([1, 0, 2, 2], undefined, "int64"), tensor([1, 0, 2, 1], undefined, "int64"))).toBe(0.75);
    });
  });

  test("accuracy refuses shapes that would broadcast (a fraction above 1) instead of counting", () => {
    tidy(() => {
      const target = tensor([1, 0, 2, 1], undefined, "int64");
      const cases: [number[], string][] = [[[1], "[1]"], [[4, 3, 2], "[4, 3, 2]"], [[5, 3], "[5, 3]"], [[1, 3], "[1, 3]"], [[2, 2], "[2, 2]"]];
      for (const [shape, shown] of cases) {
        expect(() => accuracy(target, randn(shape)), shown).toThrow(
          `accuracy: a prediction of shape ${shown} does not fit a target of shape [4]: pass logits [N, C] or class indices [N] for a target [N]`,
        );
      }
      expect(() => accuracy(target.view([4, 1]), tensor([1, 0, 2, 1], undefined, "int64"))).toThrow(/shape \[4\] does not fit a target of shape \[4, 1\]/);
    });
  });

  test("the fixture's batch sizes leave a partial last batch", () => {
    for (const run of fx.trainRuns) expect(run.n % run.batchSize).not.toBe(0);
  });
});

// Runs last (vitest runs a file's tests in order): everything above cleaned up after itself.
describe("the whole file", () => {
  test("leaves no tensor alive", () => {
    expect(liveTensors()).toBe(liveAtStart);
  });
});
