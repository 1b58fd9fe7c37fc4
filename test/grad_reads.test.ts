// Reading the same native object twice gives the same Tensor: `t.grad` while
// the gradient is the same, `mem.get(id)` always. Nothing to dispose, nothing
// made per read; the gradient is freed with its tensor or when it is dropped.
// And `requiresGrad_()`, PyTorch's chaining form of the flag.
import { describe, expect, test } from "vitest";
import { crossEntropy, Linear, liveTensors, Memory, mse, randn, tensor, tidy, TorchError } from "../mod.ts";

const values = (t: { toArray(): unknown }) => (t.toArray() as number[]).map((v) => Math.fround(v));

describe("t.grad", () => {
  test("is the same Tensor on every read while backward() adds into it", () => {
    const w = tensor([1, -2, 3]).requiresGrad_();
    tidy(() => w.mul(w).sum().backward()); // d/dw sum(w^2) = 2w
    const first = w.grad!;
    expect(w.grad).toBe(first);
    expect(first.toArray()).toEqual([2, -4, 6]);
    tidy(() => w.mul(w).sum().backward());
    expect(w.grad).toBe(first); // accumulated in place: the same native tensor
    expect(first.toArray()).toEqual([4, -8, 12]);
    w.dispose();
  });

  test("a loop reading it makes no handles (the issue's 200-step SGD loop went from 14 to 810)", () => {
    const w = randn([4, 3]).requiresGrad_();
    const x = randn([8, 4]);
    tidy(() => x.matmul(w).pow(2).mean().backward());
    let previous = w.grad; // the one handle, made by the first read
    const before = liveTensors();
    for (let step = 0; step < 200; step++) {
      // Read outside any scope, several times a step, as a hand-written loop does.
      const g = w.grad!;
      expect(w.grad!.shape).toEqual([4, 3]);
      expect(g).toBe(previous);
      tidy(() => x.matmul(w).pow(2).mean().backward());
      previous = w.grad;
    }
    expect(liveTensors()).toBe(before);
    w.dispose();
    x.dispose();
  });

  test("is freed when the gradient is dropped, and a new one shows the new gradient", () => {
    const w = tensor([1, 2]).requiresGrad_();
    const before = liveTensors();
    tidy(() => w.mul(3).sum().backward());
    const old = w.grad!;
    expect(liveTensors()).toBe(before + 1);
    w.zeroGrad();
    expect(old.isDisposed).toBe(true);
    expect(liveTensors()).toBe(before);
    expect(w.grad).toBeNull();
    tidy(() => w.mul(5).sum().backward());
    const fresh = w.grad!;
    expect(fresh).not.toBe(old);
    expect(fresh.toArray()).toEqual([5, 5]);
    expect(() => old.toArray()).toThrow(/disposed/);
    w.dispose();
  });

  test("belongs to its tensor: its dispose() does nothing, and it goes with the tensor (dispose or scope)", () => {
    const before = liveTensors();
    const w = tensor([1, 2, 3]).requiresGrad_();
    tidy(() => w.sum().backward());
    const g = w.grad!;
    g.dispose();
    expect(g.isDisposed).toBe(false);
    expect(w.grad).toBe(g);
    w.dispose();
    expect(g.isDisposed).toBe(true);
    expect(liveTensors()).toBe(before);

    let inner: { isDisposed: boolean } | null = null;
    tidy(() => {
      const v = tensor([4, 5]).requiresGrad_();
      v.mul(v).sum().backward();
      inner = v.grad;
      tidy(() => v.grad!.add(1)); // read in an inner scope: must survive it
      expect(inner!.isDisposed).toBe(false);
    });
    expect(inner!.isDisposed).toBe(true);
    expect(liveTensors()).toBe(before);
  });

  test("a Memory's optimizer step drops the gradients and frees their Tensors", () => {
    const mem = new Memory();
    const layer = new Linear(mem, 3, 2);
    const x = randn([5, 3]), y = tensor([0, 1, 1, 0, 1], undefined, "int64");
    const before = liveTensors();
    tidy(() => crossEntropy(y, layer.forward(mem, x)).backward());
    const grads = [mem.get(0).grad!, mem.get(1).grad!];
    expect(mem.get(0).grad).toBe(grads[0]);
    expect(liveTensors()).toBe(before + 2);
    mem.applyGradsSgd(0.1);
    expect(grads.map((g) => g.isDisposed)).toEqual([true, true]);
    expect(mem.get(0).grad).toBeNull();
    expect(liveTensors()).toBe(before);
    tidy(() => crossEntropy(y, layer.forward(mem, x)).backward());
    expect(mem.get(1).grad).not.toBeNull();
    mem.zeroGrad();
    expect(mem.get(1).grad).toBeNull();
    expect(liveTensors()).toBe(before);
    mem.dispose();
    x.dispose();
    y.dispose();
  });
});

describe("mem.get(id)", () => {
  test("is the same Tensor on every call and makes no handle", () => {
    const mem = new Memory();
    new Linear(mem, 4, 2);
    const before = liveTensors();
    const w = mem.get(0);
    for (let i = 0; i < 100; i++) expect(mem.get(0)).toBe(w);
    expect(liveTensors()).toBe(before);
    mem.dispose();
  });
});

describe("requiresGrad_()", () => {
  test("sets the flag and returns the same tensor, as PyTorch's requires_grad_()", () => {
    const t = randn([2, 2]);
    expect(t.requiresGrad_()).toBe(t);
    expect(t.requiresGrad).toBe(true);
    expect(t.requiresGrad_(false)).toBe(t);
    expect(t.requiresGrad).toBe(false);
    const w = randn([3]).requiresGrad_();
    tidy(() => mse(tensor([1, 2, 3]), w.mul(2)).backward());
    expect(values(w.grad!)).toEqual(values(tidy(() => w.mul(2).sub(tensor([1, 2, 3])).mul(4 / 3)))); // d/dw mean((2w - t)^2)
    t.dispose();
    w.dispose();
  });

  test("refuses what PyTorch refuses, and non-booleans, as TorchErrors", () => {
    tidy(() => {
      const w = randn([2]).requiresGrad_();
      const nonLeaf = w.mul(2);
      expect(() => nonLeaf.requiresGrad_(false)).toThrow(TorchError);
      expect(() => nonLeaf.requiresGrad_(false)).toThrow(/requiresGrad/);
      expect(() => w.requiresGrad_("yes" as unknown as boolean)).toThrow(/requiresGrad_: expected true or false, got string/);
      expect(() => tensor([1, 2], undefined, "int64").requiresGrad_()).toThrow(/requiresGrad: .*floating point/);
    });
  });
});
