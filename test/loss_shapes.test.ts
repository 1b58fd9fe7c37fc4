// Losses refuse shapes that PyTorch would broadcast with only a warning
// (mse of [N] against [N, 1] trains on an [N, N] loss): a TorchError naming
// both shapes and the fix. Which pairs are refused, and the values of the
// rest, are checked against PyTorch (test/fixtures/loss_shapes.py).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { crossEntropy, type DType, liveTensors, manualSeed, mse, rand, randn, type Tensor, tidy, TorchError } from "../mod.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

interface Case {
  loss: "mse" | "cross_entropy";
  target: Tensor;
  pred: Tensor;
}
type Verdict = { status: "ok"; value: number } | { status: "warn" | "error"; message: string };

const encode = (t: Tensor) => ({ data: Array.from(t.toTypedArray() as ArrayLike<number | bigint>, Number), shape: [...t.shape], dtype: t.dtype });

function pytorch(cases: Case[]): Verdict[] {
  const input = JSON.stringify(cases.map((c) => ({ loss: c.loss, target: encode(c.target), pred: encode(c.pred) })));
  const run = spawnSync("/usr/bin/python3", ["test/fixtures/loss_shapes.py"], { cwd: root, input, encoding: "utf8", timeout: 120_000 });
  if (run.status !== 0) throw new Error(`python failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Verdict[];
}

function errorFrom(fn: () => unknown): TorchError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TorchError);
    return error as TorchError;
  }
  throw new Error("expected a TorchError, nothing was thrown");
}

const labels = (shape: number[], classes: number): Tensor => tidy(() => rand(shape).mul(classes).to("int64" as DType));

describe("losses against PyTorch, shape by shape", () => {
  test("torchffi refuses exactly what PyTorch warns about or refuses, and matches it elsewhere", () => {
    manualSeed(15);
    const before = liveTensors();
    tidy(() => {
      const mseShapes: [number[], number[]][] = [
        [[4], [4]], [[4, 1], [4, 1]], [[2, 3], [2, 3]], [[], []], // the same shape
        [[4], [4, 1]], [[4, 1], [4]], [[2, 3], [3]], [[3], []], [[], [3]], [[1, 3], [2, 3]], // broadcasting
        [[3], [4]], [[2, 3], [3, 2]], // no broadcasting at all
      ];
      const cases: Case[] = mseShapes.map(([t, p]) => ({ loss: "mse", target: randn(t), pred: randn(p).requiresGrad_() }));
      const ceShapes: [number[], number[]][] = [
        [[5], [5, 3]], [[2, 4], [2, 3, 4]], [[], [3]], // indices of the right shape
        [[5, 1], [5, 3]], [[4], [5, 3]], [[5, 3], [5]], [[5, 3, 1], [5, 3]], // the wrong shape
      ];
      for (const [t, p] of ceShapes) cases.push({ loss: "cross_entropy", target: labels(t, 3), pred: randn(p).requiresGrad_() });
      const verdicts = pytorch(cases);
      cases.forEach((c, i) => {
        const what = `${c.loss}(target [${c.target.shape}], prediction [${c.pred.shape}]): PyTorch says ${JSON.stringify(verdicts[i])}`;
        const call = () => (c.loss === "mse" ? mse(c.target, c.pred) : crossEntropy(c.target, c.pred));
        const verdict = verdicts[i];
        if (verdict.status === "ok") {
          const loss = call();
          expect(Math.abs(loss.item() - verdict.value), what).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(verdict.value)));
        } else {
          const inside = liveTensors();
          const error = errorFrom(call);
          expect(error.op, what).toBe(c.loss === "mse" ? "mse" : "crossEntropy");
          expect(error.detail, what).toContain(`[${c.pred.shape.join(", ")}]`);
          expect(error.detail, what).toContain(`[${c.target.shape.join(", ")}]`);
          expect(liveTensors(), `${what}: no handle leaked`).toBe(inside);
          expect(c.pred.grad, `${what}: nothing computed`).toBeNull();
        }
      });
      // The pairs that only warn in PyTorch are among those refused here.
      expect(verdicts.filter((v) => v.status === "warn").length).toBeGreaterThanOrEqual(5);
    });
    expect(liveTensors()).toBe(before);
  });
});

describe("the messages name the fix", () => {
  test("mse of [N] against [N, 1]: both shapes, the [N, N] broadcast, and pred.view([-1]) or target.view([-1, 1])", () => {
    tidy(() => {
      const error = errorFrom(() => mse(randn([4]), randn([4, 1])));
      expect(error.message).toBe(
        "mse: prediction [4, 1] and target [4] differ in shape; broadcasting them to [4, 4] would average the wrong differences; " +
          "make them match with pred.view([-1]) or target.view([-1, 1])",
      );
      expect(errorFrom(() => mse(randn([3]), randn([4]))).detail).toMatch(/different numbers of elements \(4 and 3\)/);
    });
  });

  test("crossEntropy names the expected [N, C] logits and [N] labels, and the likely mistake", () => {
    tidy(() => {
      const logits = randn([5, 3]);
      const column = errorFrom(() => crossEntropy(labels([5, 1], 3), logits)).detail;
      expect(column).toMatch(/^expected logits \[N, C\] and int64 labels \[N\]/);
      expect(column).toMatch(/got logits \[5, 3\] and labels \[5, 1\] \(labels \[5\] expected\); use target\.view\(\[-1\]\)/);
      expect(errorFrom(() => crossEntropy(logits, labels([5], 3))).detail).toMatch(/arguments look swapped: it is crossEntropy\(target, logits\)/);
      expect(errorFrom(() => crossEntropy(randn([5, 3]), logits)).detail).toMatch(/one-hot or probabilities\?\).*target\.argmax\(1\)/);
      expect(errorFrom(() => crossEntropy(labels([4], 3), logits)).detail).toMatch(/5 of them, not 4/);
    });
  });
});
