// The nn functions (linear, conv2d, maxPool2d, crossEntropy, mse, logSoftmax,
// relu, dropout) and their gradients, checked against PyTorch (fixtures: see
// training_helpers.ts).
import { describe, expect, test } from "vitest";
import {
  conv2d,
  crossEntropy,
  dropout,
  linear,
  liveTensors,
  logSoftmax,
  manualSeed,
  maxPool2d,
  mse,
  ones,
  rand,
  randn,
  relu,
  tensor,
  tidy,
} from "../mod.ts";
import { expectTensor } from "./helpers.ts";
import { expectTorchError, flat, fx, relDiff } from "./training_helpers.ts";

const liveAtStart = liveTensors();

describe("nn functions match PyTorch", () => {
  for (const c of fx.linear) {
    test(`linear ${c.bias ? "with" : "without"} bias, and its gradients`, () => {
      tidy(() => {
        manualSeed(c.seed);
        const x = randn([4, 6]), w = randn([3, 6]), b = c.bias ? randn([3]) : null;
        for (const t of [x, w, b]) if (t) t.requiresGrad = true;
        const y = linear(x, w, b);
        expectTensor(y.detach(), c.out, 1e-5, 1e-6);
        y.backward(randn(y.shape));
        expectTensor(x.grad!, c.grads[0]!, 1e-5, 1e-6);
        expectTensor(w.grad!, c.grads[1]!, 1e-5, 1e-6);
        if (b) expectTensor(b.grad!, c.grads[2]!, 1e-5, 1e-6);
        else expect(c.grads[2]).toBeNull();
      });
    });
  }

  for (const c of fx.conv2d) {
    const name = `conv2d [${c.n},${c.c},${c.h},${c.w}] -> ${c.out} k${c.k} stride ${JSON.stringify(c.stride)} padding ` +
      `${JSON.stringify(c.padding)} dilation ${JSON.stringify(c.dilation)} groups ${c.groups} ${c.bias ? "bias" : "no bias"}`;
    test(`${name}, and its gradients`, () => {
      tidy(() => {
        manualSeed(c.seed);
        const x = randn([c.n, c.c, c.h, c.w]);
        const w = randn([c.out, c.c / c.groups, c.k, c.k]);
        const b = c.bias ? randn([c.out]) : null;
        for (const t of [x, w, b]) if (t) t.requiresGrad = true;
        const options = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
        const y = conv2d(x, w, b, options);
        expectTensor(y.detach(), c.out_value, 1e-5, 1e-5);
        // The method form is the same op.
        expect(flat(x.conv2d(w, b, options))).toEqual(flat(y));
        y.backward(randn(y.shape));
        expectTensor(x.grad!, c.grads[0]!, 1e-5, 1e-5);
        expectTensor(w.grad!, c.grads[1]!, 1e-5, 1e-5);
        if (b) expectTensor(b.grad!, c.grads[2]!, 1e-5, 1e-5);
        else expect(c.grads[2]).toBeNull();
      });
    });
  }

  for (const c of fx.maxPool2d) {
    test(`maxPool2d kernel ${JSON.stringify(c.kernel)} stride ${JSON.stringify(c.stride)}, and its gradient`, () => {
      tidy(() => {
        manualSeed(c.seed);
        const x = randn([2, 3, 8, 9]);
        x.requiresGrad = true;
        const y = c.stride === null ? maxPool2d(x, c.kernel) : maxPool2d(x, c.kernel, c.stride);
        expectTensor(y.detach(), c.out, 0, 0);
        y.backward(randn(y.shape));
        expectTensor(x.grad!, c.x_grad, 0, 0);
      });
    });
  }

  for (const c of fx.crossEntropy) {
    test(`crossEntropy(target, logits) on [${c.n}, ${c.classes}], and its gradient`, () => {
      tidy(() => {
        manualSeed(c.seed);
        const logits = randn([c.n, c.classes]);
        logits.requiresGrad = true;
        const target = rand([c.n]).mul(c.classes).to("int64");
        expectTensor(target, c.target);
        const loss = crossEntropy(target, logits);
        expect(loss.shape).toEqual([]);
        expect(relDiff(loss.item(), c.loss)).toBeLessThan(1e-6);
        loss.backward();
        expectTensor(logits.grad!, c.grad, 1e-5, 1e-8);
        // The order matters: class indices are the first argument.
        expectTorchError(() => crossEntropy(logits, target));
      });
    });
  }

  test("mse(target, pred), and its gradient", () => {
    tidy(() => {
      manualSeed(fx.mse.seed);
      const pred = randn([4, 3]), target = randn([4, 3]);
      pred.requiresGrad = true;
      const loss = mse(target, pred);
      expect(relDiff(loss.item(), fx.mse.loss)).toBeLessThan(1e-6);
      loss.backward();
      expectTensor(pred.grad!, fx.mse.grad, 1e-6, 1e-8);
      expect(target.grad).toBeNull();
    });
  });

  for (const c of fx.logSoftmax) {
    test(`logSoftmax dim ${c.dim}, and its gradient`, () => {
      tidy(() => {
        manualSeed(c.seed);
        const x = randn([3, 5]);
        x.requiresGrad = true;
        const y = logSoftmax(x, c.dim);
        expectTensor(y.detach(), c.out, 1e-6, 1e-6);
        y.backward(randn([3, 5]));
        expectTensor(x.grad!, c.x_grad, 1e-5, 1e-6);
      });
    });
  }

  test("relu", () => {
    tidy(() => {
      expect(relu(tensor([-2, 0, 3.5])).toArray()).toEqual([0, 0, 3.5]);
    });
  });

  test("dropout in eval mode is the identity", () => {
    tidy(() => {
      manualSeed(3);
      const x = randn([50, 40]);
      expect(flat(dropout(x, 0.5, false))).toEqual(flat(x));
      expect(flat(x.dropout(0.9, false))).toEqual(flat(x));
    });
  });

  test("dropout in train mode zeroes about p of the elements and scales the rest by 1/(1-p)", () => {
    tidy(() => {
      manualSeed(4);
      const p = 0.3, n = 20000;
      const v = flat(ones([n]).dropout(p, true));
      const zeros = v.filter((e) => e === 0).length;
      expect(Math.abs(zeros / n - p)).toBeLessThan(0.02); // about 6 standard deviations
      for (const e of v) if (e !== 0) expect(e).toBeCloseTo(1 / (1 - p), 6);
      // The default is p = 0.5 in train mode.
      const half = flat(dropout(ones([n])));
      expect(Math.abs(half.filter((e) => e === 0).length / n - 0.5)).toBeLessThan(0.02);
    });
  });

  test("dropout with p = 0 keeps everything and p = 1 drops everything; p outside [0, 1] is a TorchError", () => {
    tidy(() => {
      manualSeed(5);
      const x = randn([30, 30]);
      expect(flat(x.dropout(0, true))).toEqual(flat(x));
      expect(flat(x.dropout(1, true)).every((v) => v === 0)).toBe(true);
      expectTorchError(() => x.dropout(1.5, true));
      expectTorchError(() => dropout(x, -0.1, true));
    });
  });

  test("dropout draws the same mask as PyTorch from the same seed", () => {
    tidy(() => {
      const a = fx.dropout.ones;
      manualSeed(a.seed);
      expectTensor(ones([400]).dropout(a.p, true), a.out, 1e-6, 0);
      const b = fx.dropout.randn;
      manualSeed(b.seed);
      const x = randn([20, 30]);
      expectTensor(dropout(x, b.p, true), b.out, 1e-6, 0);
    });
  });
});

// Runs last (vitest runs a file's tests in order): everything above cleaned up after itself.
describe("the whole file", () => {
  test("leaves no tensor alive", () => {
    expect(liveTensors()).toBe(liveAtStart);
  });
});
