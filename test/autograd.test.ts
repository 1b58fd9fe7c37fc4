// Autograd (requiresGrad, backward, gradient accumulation, detach, noGrad),
// checked against PyTorch (fixtures: see training_helpers.ts).
import { describe, expect, test } from "vitest";
import { liveTensors, manualSeed, noGrad, ones, randn, tensor, tidy, zeros } from "../mod.ts";
import { expectTensor } from "./helpers.ts";
import { expectTorchError, flat, fx, relDiff } from "./training_helpers.ts";

const liveAtStart = liveTensors();

describe("autograd", () => {
  test("requiresGrad reads and writes; integer tensors cannot require grad", () => {
    tidy(() => {
      const t = zeros([2, 3]);
      expect(t.requiresGrad).toBe(false);
      t.requiresGrad = true;
      expect(t.requiresGrad).toBe(true);
      expect(t.mul(2).requiresGrad).toBe(true);
      t.requiresGrad = false;
      expect(t.requiresGrad).toBe(false);
      expect(t.mul(2).requiresGrad).toBe(false);
      const i = tensor([1, 2], undefined, "int64");
      expectTorchError(() => {
        i.requiresGrad = true;
      });
      expect(i.requiresGrad).toBe(false);
    });
  });

  test("backward on a scalar: gradients through matmul, relu, logSoftmax and mean match PyTorch", () => {
    tidy(() => {
      const f = fx.expression;
      manualSeed(f.seed);
      const x = randn([4, 5]), w = randn([5, 3]), b = randn([3]), c = randn([4, 3]);
      for (const t of [x, w, b]) t.requiresGrad = true;
      expect(x.grad).toBeNull();
      const loss = x.matmul(w).add(b).relu().logSoftmax(1).mul(c).mean();
      expect(loss.shape).toEqual([]);
      expect(relDiff(loss.item(), f.loss)).toBeLessThan(1e-6);
      loss.backward();
      expectTensor(x.grad!, f.x_grad, 1e-5, 1e-7);
      expectTensor(w.grad!, f.w_grad, 1e-5, 1e-7);
      expectTensor(b.grad!, f.b_grad, 1e-5, 1e-7);
      expect(c.grad).toBeNull();
    });
  });

  test("backward(gradient) on a non-scalar matches PyTorch; without a gradient it is a TorchError", () => {
    tidy(() => {
      const f = fx.nonscalar;
      manualSeed(f.seed);
      const x = randn([3, 4]), g = randn([3, 4]);
      x.requiresGrad = true;
      const y = x.mul(x).mul(3);
      expectTensor(y.detach(), f.y, 1e-6, 1e-7);
      expectTorchError(() => y.backward(), /scalar/);
      expect(x.grad).toBeNull();
      y.backward(g);
      expectTensor(x.grad!, f.x_grad, 1e-6, 1e-7);
      // A gradient of the wrong shape is refused.
      expectTorchError(() => x.mul(2).backward(ones([2, 2])));
    });
  });

  test("gradients accumulate over two backward calls; zeroGrad drops them", () => {
    tidy(() => {
      const f = fx.expression;
      manualSeed(f.seed);
      const x = randn([4, 5]), w = randn([5, 3]), b = randn([3]), c = randn([4, 3]);
      for (const t of [x, w, b]) t.requiresGrad = true;
      const loss = () => x.matmul(w).add(b).relu().logSoftmax(1).mul(c).mean();
      loss().backward();
      const once = flat(w.grad!);
      loss().backward();
      const twice = flat(w.grad!);
      twice.forEach((v, i) => expect(v).toBeCloseTo(2 * once[i], 6));
      const expected = f.w_grad.data as number[];
      twice.forEach((v, i) => expect(Math.abs(v - 2 * expected[i])).toBeLessThanOrEqual(1e-5 * Math.abs(expected[i]) + 1e-7));
      w.zeroGrad();
      expect(w.grad).toBeNull();
      expect(x.grad).not.toBeNull();
      loss().backward();
      expectTensor(w.grad!, f.w_grad, 1e-5, 1e-7);
    });
  });

  test("detach stops gradients", () => {
    tidy(() => {
      const x = tensor([1, 2, 3]);
      x.requiresGrad = true;
      const d = x.detach();
      expect(d.requiresGrad).toBe(false);
      expect(d.toArray()).toEqual([1, 2, 3]);
      // d(sum(2 * detach(x)) + sum(x²))/dx = 2x: the detached branch contributes nothing.
      d.mul(2).sum().add(x.mul(x).sum()).backward();
      expect(x.grad!.toArray()).toEqual([2, 4, 6]);
      // A loss built only from the detached copy cannot be differentiated.
      expectTorchError(() => x.detach().mul(x.detach()).sum().backward());
    });
  });

  test("noGrad records nothing and restores the mode, also when fn throws", () => {
    tidy(() => {
      const w = tensor([1, 2]);
      w.requiresGrad = true;
      const inside = noGrad(() => w.mul(3).add(1));
      expect(inside.requiresGrad).toBe(false);
      expect(inside.toArray()).toEqual([4, 7]);
      expectTorchError(() => inside.sum().backward());
      expect(w.mul(3).requiresGrad).toBe(true);

      expect(() => noGrad(() => {
        expect(w.mul(2).requiresGrad).toBe(false);
        throw new Error("boom");
      })).toThrow("boom");
      expect(w.mul(2).requiresGrad).toBe(true);

      // Nested blocks restore the mode of the enclosing block, not "on".
      noGrad(() => {
        noGrad(() => undefined);
        expect(w.mul(2).requiresGrad).toBe(false);
      });
      expect(w.mul(2).requiresGrad).toBe(true);
      w.mul(2).sum().backward();
      expect(w.grad!.toArray()).toEqual([2, 2]);
    });
  });

  test("backward where nothing requires grad is a TorchError", () => {
    tidy(() => {
      const e = expectTorchError(() => tensor([1, 2, 3]).sum().backward());
      expect(e.op).toBe("backward");
      expect(e.detail).toMatch(/require/);
    });
  });
});

// Runs last (vitest runs a file's tests in order): everything above cleaned up after itself.
describe("the whole file", () => {
  test("leaves no tensor alive", () => {
    expect(liveTensors()).toBe(liveAtStart);
  });
});
