// setNumThreads / getNumThreads: the count LibTorch (and OpenBLAS) use inside one op.
import { afterAll, expect, test } from "vitest";
import { getNumThreads, manualSeed, randn, setNumThreads, tidy, TorchError } from "../mod.ts";

const initial = getNumThreads();
afterAll(() => setNumThreads(initial));

test("the count set is the count read back, and results agree across counts", () => {
  tidy(() => {
    manualSeed(2);
    const a = randn([300, 200]), b = randn([200, 100]);
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    const one = a.matmul(b).relu().sum(1);
    setNumThreads(2);
    expect(getNumThreads()).toBe(2);
    const two = a.matmul(b).relu().sum(1);
    expect(one.sub(two).abs().max().item()).toBeLessThan(1e-3);
  });
});

test("a count that is not a positive integer is refused and changes nothing", () => {
  setNumThreads(1);
  for (const bad of [0, -1, 1.5, NaN, 2 ** 31]) {
    expect(() => setNumThreads(bad)).toThrow(TorchError);
    expect(getNumThreads()).toBe(1);
  }
});
