// Bad input to the normalisation layers: a TorchError naming the layer and the
// expected shape, no leaked handle, and nothing in the store changed.
import { describe, expect, test } from "vitest";
import { BatchNorm1d, BatchNorm2d, LayerNorm, Linear, liveTensors, Memory, randn, type Tensor, tidy, TorchError, zeros } from "../mod.ts";

const liveAtStart = liveTensors();

function snapshot(mem: Memory): string {
  return JSON.stringify([...mem.namedParameters(), ...mem.namedBuffers()].map(([n, t]) => [n, Array.from(t.toTypedArray(), Number)]));
}

/** fn must throw a TorchError from `op` matching `message`, leaking nothing and changing nothing in `mem`. */
function refused(mem: Memory, op: string, message: RegExp, fn: () => unknown): void {
  tidy(() => {
    const before = snapshot(mem);
    const live = liveTensors();
    let caught: unknown;
    try {
      tidy(fn);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TorchError);
    expect((caught as TorchError).op).toBe(op);
    expect((caught as TorchError).message).toMatch(message);
    expect(liveTensors()).toBe(live);
    expect(snapshot(mem)).toBe(before);
  });
}

/** A store with running statistics that are not the initial ones. */
function trainedBn(): { mem: Memory; bn1: BatchNorm1d; bn2: BatchNorm2d } {
  const mem = new Memory();
  const bn1 = new BatchNorm1d(mem, 3, { name: "bn1" });
  const bn2 = new BatchNorm2d(mem, 2, { name: "bn2" });
  tidy(() => {
    bn1.forward(mem, randn([4, 3]));
    bn2.forward(mem, randn([2, 2, 3, 3]));
  });
  return { mem, bn1, bn2 };
}

describe("BatchNorm refuses bad input", () => {
  test("wrong feature counts and ranks name the layer and the expected shape", () => {
    const { mem, bn1, bn2 } = trainedBn();
    try {
      refused(mem, "BatchNorm1d(bn1)", /BatchNorm1d\(bn1\): expected input \[N, 3\] or \[N, 3, L\], got \[4, 2\]/, () => bn1.forward(mem, randn([4, 2])));
      refused(mem, "BatchNorm1d(bn1)", /expected input \[N, 3\] or \[N, 3, L\], got \[4, 3, 2, 2\]/, () => bn1.forward(mem, randn([4, 3, 2, 2])));
      refused(mem, "BatchNorm1d(bn1)", /got \[3\]/, () => bn1.forward(mem, randn([3])));
      refused(mem, "BatchNorm2d(bn2)", /BatchNorm2d\(bn2\): expected input \[N, 2, H, W\], got \[2, 3, 4, 4\]/, () => bn2.forward(mem, randn([2, 3, 4, 4])));
      refused(mem, "BatchNorm2d(bn2)", /expected input \[N, 2, H, W\], got \[2, 2\]/, () => bn2.forward(mem, randn([2, 2])));
      refused(mem, "BatchNorm1d(bn1)", /expected a float32 input \[N, 3\] or \[N, 3, L\], got float64/, () => bn1.forward(mem, zeros([4, 3], "float64")));
      refused(mem, "BatchNorm1d(bn1)", /expected a Tensor|disposed|tensor/i, () => bn1.forward(mem, [1, 2, 3] as unknown as Tensor));
      mem.eval();
      refused(mem, "BatchNorm1d(bn1)", /got \[4, 2\]/, () => bn1.forward(mem, randn([4, 2])));
    } finally {
      mem.dispose();
    }
  });

  test("a batch of one in train mode is PyTorch's error; in eval mode it is fine", () => {
    const { mem, bn1, bn2 } = trainedBn();
    try {
      refused(mem, "BatchNorm1d(bn1)", /BatchNorm1d\(bn1\): Expected more than 1 value per channel when training, got input size \[1, 3\]/, () =>
        bn1.forward(mem, randn([1, 3])));
      refused(mem, "BatchNorm1d(bn1)", /Expected more than 1 value per channel when training, got input size \[1, 3, 1\]/, () =>
        bn1.forward(mem, randn([1, 3, 1])));
      refused(mem, "BatchNorm2d(bn2)", /Expected more than 1 value per channel when training, got input size \[1, 2, 1, 1\]/, () =>
        bn2.forward(mem, randn([1, 2, 1, 1])));
      // One sample with more than one value per channel is a valid batch, as in PyTorch.
      tidy(() => expect(bn1.forward(mem, randn([1, 3, 2])).shape).toEqual([1, 3, 2]));
      expect(mem.get("bn1.num_batches_tracked").item()).toBe(2);
      mem.eval();
      const before = snapshot(mem);
      tidy(() => expect(bn1.forward(mem, randn([1, 3])).shape).toEqual([1, 3]));
      expect(snapshot(mem)).toBe(before);
    } finally {
      mem.dispose();
    }
  });

  test("bad options and names are refused before anything is stored", () => {
    using mem = new Memory();
    new Linear(mem, 2, 2, { name: "bn" });
    const before = snapshot(mem);
    const live = liveTensors();
    expect(() => new BatchNorm1d(mem, 0)).toThrow(/BatchNorm1d: numFeatures must be a positive integer, got 0/);
    expect(() => new BatchNorm2d(mem, 2.5)).toThrow(/BatchNorm2d: numFeatures must be a positive integer/);
    expect(() => new BatchNorm1d(mem, 2, { eps: 0 })).toThrow(/eps must be a positive number, got 0/);
    expect(() => new BatchNorm1d(mem, 2, { momentum: 1.5 })).toThrow(/momentum must be a number in \[0, 1\] or null, got 1.5/);
    expect(() => new BatchNorm1d(mem, 2, { name: "bn" })).toThrow(/BatchNorm1d: the name "bn" is already taken in this Memory \(bn.weight exists\)/);
    expect(() => new LayerNorm(mem, [2, 0])).toThrow(/LayerNorm: shape\[1\] must be a positive integer, got 0/);
    expect(() => new LayerNorm(mem, [])).toThrow(/LayerNorm: shape must be/);
    expect(() => new LayerNorm(mem, 2, { name: "bn" })).toThrow(/LayerNorm: the name "bn" is already taken/);
    expect(() => new BatchNorm1d(null as unknown as Memory, 2)).toThrow(/BatchNorm1d: expected a Memory, got null/);
    expect(snapshot(mem)).toBe(before);
    expect(mem.size).toBe(2);
    expect(liveTensors()).toBe(live);
  });
});

describe("LayerNorm refuses bad input", () => {
  test("a wrong trailing shape or dtype names the layer and the expected shape", () => {
    using mem = new Memory();
    const ln = new LayerNorm(mem, [3, 4], { name: "ln" });
    refused(mem, "LayerNorm(ln)", /LayerNorm\(ln\): expected input \[\.\.\., 3, 4\], got \[2, 4, 3\]/, () => ln.forward(mem, randn([2, 4, 3])));
    refused(mem, "LayerNorm(ln)", /expected input \[\.\.\., 3, 4\], got \[4\]/, () => ln.forward(mem, randn([4])));
    refused(mem, "LayerNorm(ln)", /expected a float32 input \[\.\.\., 3, 4\], got int64/, () => ln.forward(mem, zeros([3, 4], "int64")));
    tidy(() => expect(ln.forward(mem, randn([3, 4])).shape).toEqual([3, 4]));
  });
});

test("no tensor leaked", () => {
  expect(liveTensors()).toBe(liveAtStart);
});
