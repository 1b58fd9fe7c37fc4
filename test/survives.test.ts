// The process survives (issue 6): the whole bad-input battery (test/fuzz_battery.ts,
// thousands of failing calls), then, in the same process, the seed's CNN trained on
// a few thousand Fashion-MNIST images to a sensible accuracy, with nothing leaked.
// (test/fuzz.test.ts asserts the battery's findings one by one; here what matters
// is that the library is still whole after them.)
import { describe, expect, test } from "vitest";
import {
  accuracy,
  crossEntropy,
  getNumThreads,
  liveTensors,
  loadMnist,
  manualSeed,
  Memory,
  MnistCnn,
  noGrad,
  predictClasses,
  tensor,
  tidy,
  train,
} from "../mod.ts";
import { formatCounts, formatViolations, runBattery } from "./fuzz_battery.ts";

describe("after the whole bad-input battery", () => {
  const before = liveTensors();
  const threads = getNumThreads();

  test("the battery runs to the end: every failure an Error, nothing leaked", () => {
    const report = runBattery({ seed: 7, calls: 5000 });
    console.log(formatCounts(report));
    if (report.violations.length > 0) console.log(`violations (asserted in test/fuzz.test.ts):\n${formatViolations(report.violations, 12)}`);
    expect(report.calls).toBeGreaterThanOrEqual(5000);
    const failures = [...report.counts.values()].reduce((sum, c) => sum + c.failed, 0);
    expect(failures).toBeGreaterThan(1000);
    expect(report.violations.filter((v) => v.problem.startsWith("threw a non-Error"))).toEqual([]);
    expect(report.violations.filter((v) => /leak/.test(v.problem) || v.kind === "leak")).toEqual([]);
    expect(liveTensors()).toBe(before);
  });

  test("the library is in its normal state: autograd on, the thread count kept", () => {
    expect(getNumThreads()).toBe(threads);
    tidy(() => {
      const x = tensor([1, 2, 3]);
      x.requiresGrad = true;
      x.pow(2).sum().backward();
      expect(x.grad?.toArray()).toEqual([2, 4, 6]);
      expect(noGrad(() => x.mul(2).requiresGrad)).toBe(false);
      expect(x.mul(2).requiresGrad).toBe(true);
    });
  });

  test("the seed's CNN then trains on 8,000 Fashion-MNIST images to above 80% on 2,000 test images", () => {
    const mem = new Memory();
    try {
      tidy(() => {
        manualSeed(1);
        const trainSet = loadMnist();
        const testSet = loadMnist(undefined, "test");
        const x = trainSet.x.narrow(0, 0, 8000).view([-1, 1, 28, 28]);
        const y = trainSet.y.narrow(0, 0, 8000);
        const model = new MnistCnn(mem);
        const started = performance.now();
        const history = train(mem, x, y, model, { epochs: 3, batchSize: 32, loss: crossEntropy, lr: 2e-3, optimizer: "adam" });
        const testX = testSet.x.narrow(0, 0, 2000).view([-1, 1, 28, 28]);
        const testAccuracy = accuracy(testSet.y.narrow(0, 0, 2000), predictClasses(mem, model, testX));
        console.log(
          `losses ${history.map((l) => l.toFixed(4)).join(", ")}; test accuracy ${(100 * testAccuracy).toFixed(1)}% ` +
            `in ${((performance.now() - started) / 1000).toFixed(1)} s`,
        );
        expect(history[2]).toBeLessThan(history[0]);
        expect(testAccuracy).toBeGreaterThan(0.8);
      });
    } finally {
      mem.dispose();
    }
    expect(liveTensors()).toBe(before);
  });
});
