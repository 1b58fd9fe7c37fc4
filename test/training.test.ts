// Autograd, the nn functions, layer initialisation, the optimizers, train(),
// Memory and save/load, checked against PyTorch (fixtures:
// test/fixtures/make_training_fixtures.py). Inputs are drawn from LibTorch's
// global generator on both sides from the same seed, in the same order.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  accuracy,
  type Compute,
  Conv2d,
  conv2d,
  crossEntropy,
  dropout,
  Linear,
  linear,
  liveTensors,
  logSoftmax,
  manualSeed,
  maxPool2d,
  Memory,
  MnistCnn,
  MnistFfn,
  mse,
  noGrad,
  ones,
  type OptimizerKind,
  rand,
  randn,
  relu,
  type Tensor,
  tensor,
  tidy,
  TorchError,
  train,
  type TrainOptions,
  zeros,
} from "../mod.ts";
import { type EncodedTensor, expectTensor, readFixture } from "./helpers.ts";

// ------------------------------------------------------------------ fixtures

interface Summary {
  shape: number[];
  head: number[];
  tail: number[];
  sum: number;
  abs_sum: number;
}
interface ConvCase {
  seed: number;
  n: number;
  c: number;
  h: number;
  w: number;
  out: number;
  k: number;
  stride: number | [number, number];
  padding: number | [number, number];
  dilation: number | [number, number];
  groups: number;
  bias: boolean;
  out_value: EncodedTensor;
  grads: (EncodedTensor | null)[];
}
interface OptimizerRun {
  model: "cnn" | "ffn";
  optimizer: "sgd" | "momentum" | "adam" | "adamWeightDecay";
  seed: number;
  steps: number;
  batch: number;
  losses: number[];
  params: Summary[];
}
interface TrainRun {
  seed: number;
  n: number;
  batchSize: number;
  epochs: number;
  optimizer: OptimizerKind;
  lr: number;
  shuffle: boolean;
  history: number[];
  params: Summary[];
}
interface Fixtures {
  expression: { seed: number; loss: number; x_grad: EncodedTensor; w_grad: EncodedTensor; b_grad: EncodedTensor };
  nonscalar: { seed: number; y: EncodedTensor; x_grad: EncodedTensor };
  linear: { seed: number; bias: boolean; out: EncodedTensor; grads: (EncodedTensor | null)[] }[];
  conv2d: ConvCase[];
  maxPool2d: { seed: number; kernel: number | [number, number]; stride: number | [number, number] | null; out: EncodedTensor; x_grad: EncodedTensor }[];
  crossEntropy: { seed: number; n: number; classes: number; target: EncodedTensor; loss: number; grad: EncodedTensor }[];
  mse: { seed: number; loss: number; grad: EncodedTensor };
  logSoftmax: { seed: number; dim: number; out: EncodedTensor; x_grad: EncodedTensor }[];
  dropout: Record<"ones" | "randn", { seed: number; p: number; out: EncodedTensor }>;
  init: {
    linear_3_4: { seed: number; weight: EncodedTensor; bias: EncodedTensor };
    conv_k3_2_4: { seed: number; weight: EncodedTensor; bias: EncodedTensor };
    conv_k3_4_6_groups2: { seed: number; weight: EncodedTensor; bias: EncodedTensor };
    linear_no_bias: { seed: number; weight: EncodedTensor; next_randn: EncodedTensor };
    linear_784_128: { seed: number; weight: Summary; bias: Summary };
    cnn: { seed: number; params: Summary[] };
    ffn: { seed: number; params: Summary[] };
  };
  optimizerRuns: OptimizerRun[];
  twoSteps: { seed: number; sgd: EncodedTensor; momentum: EncodedTensor; adam: EncodedTensor };
  trainRuns: TrainRun[];
}

const fx = readFixture<Fixtures>("training.json");
const liveAtStart = liveTensors();

// ------------------------------------------------------------------- models

/** The seed's MyModel (DESIGN.md): no relu after the convolutions. */
class CNN implements Compute {
  l1: Conv2d;
  l2: Conv2d;
  l3: Linear;
  l4: Linear;
  constructor(mem: Memory) {
    this.l1 = new Conv2d(mem, 5, 1, 10, 1);
    this.l2 = new Conv2d(mem, 5, 10, 20, 1);
    this.l3 = new Linear(mem, 320, 64);
    this.l4 = new Linear(mem, 64, 10);
  }
  forward(mem: Memory, input: Tensor): Tensor {
    let o = this.l1.forward(mem, input).maxPool2d(2);
    o = this.l2.forward(mem, o).maxPool2d(2);
    o = this.l3.forward(mem, o.flatView()).relu();
    return this.l4.forward(mem, o);
  }
}

/** Two linear layers with a relu between them (784-128-10 by default). */
class FFN implements Compute {
  l1: Linear;
  l2: Linear;
  constructor(mem: Memory, sizes: readonly [number, number, number] = [784, 128, 10]) {
    this.l1 = new Linear(mem, sizes[0], sizes[1]);
    this.l2 = new Linear(mem, sizes[1], sizes[2]);
  }
  forward(mem: Memory, input: Tensor): Tensor {
    return this.l2.forward(mem, this.l1.forward(mem, input).relu());
  }
}

// ------------------------------------------------------------------ helpers

function flat(t: Tensor): number[] {
  return Array.from(t.toFloat32Array());
}

function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
}

/** Every parameter of `mem`, copied out. */
function snapshot(mem: Memory): Float32Array[] {
  return Array.from({ length: mem.size }, (_, id) => mem.get(id).toFloat32Array());
}

function expectSameSnapshot(actual: Float32Array[], expected: Float32Array[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(a, `tensor ${i}`).toEqual(expected[i]));
}

/** A tensor against a PyTorch summary: shape, first/last 8 values, sum and abs-sum. */
function expectSummary(t: Tensor, s: Summary, rtol: number, what: string): void {
  expect([...t.shape], `${what} shape`).toEqual(s.shape);
  const v = t.toFloat32Array();
  const head = Array.from(v.subarray(0, 8));
  const tail = Array.from(v.subarray(v.length - 8));
  const check = (got: number, want: number, label: string) =>
    expect(Math.abs(got - want), `${what} ${label}: ${got} vs ${want}`).toBeLessThanOrEqual(rtol * Math.abs(want) + 1e-7);
  head.forEach((g, i) => check(g, s.head[i], `head[${i}]`));
  tail.forEach((g, i) => check(g, s.tail[i], `tail[${i}]`));
  let sum = 0, absSum = 0;
  for (const x of v) {
    sum += x;
    absSum += Math.abs(x);
  }
  // The sum of signed values can be near zero: compare it against the abs-sum's scale.
  expect(Math.abs(sum - s.sum), `${what} sum: ${sum} vs ${s.sum}`).toBeLessThanOrEqual(rtol * s.abs_sum);
  check(absSum, s.abs_sum, "abs-sum");
}

/** Runs `fn` on a fresh Memory that is disposed afterwards (whatever happens). */
function withMemory<T>(fn: (mem: Memory) => T): T {
  const mem = new Memory();
  try {
    return fn(mem);
  } finally {
    mem.dispose();
  }
}

function expectTorchError(fn: () => unknown, pattern?: RegExp): TorchError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected a TorchError").toBeInstanceOf(TorchError);
  if (pattern) expect((caught as TorchError).message).toMatch(pattern);
  return caught as TorchError;
}

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

// ------------------------------------------------------------------ autograd

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

// ----------------------------------------------------------------- functional

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

// ---------------------------------------------------------------------- init

describe("layers initialise as PyTorch's nn.Linear / nn.Conv2d", () => {
  test("Linear(3, 4): weight and bias, every value", () => {
    withMemory((mem) => tidy(() => {
      const f = fx.init.linear_3_4;
      manualSeed(f.seed);
      const l = new Linear(mem, 3, 4);
      expectTensor(mem.get(l.weight), f.weight, 0, 0);
      expectTensor(mem.get(l.bias!), f.bias, 0, 0);
      expect(mem.get(l.weight).requiresGrad).toBe(true);
      expect(mem.get(l.bias!).requiresGrad).toBe(true);
    }));
  });

  test("Conv2d(k3, 2 -> 4): weight and bias, every value", () => {
    withMemory((mem) => tidy(() => {
      const f = fx.init.conv_k3_2_4;
      manualSeed(f.seed);
      const conv = new Conv2d(mem, 3, 2, 4, 1);
      expectTensor(mem.get(conv.weight), f.weight, 0, 0);
      expectTensor(mem.get(conv.bias!), f.bias, 0, 0);
    }));
  });

  test("Conv2d(k3, 4 -> 6, stride 2, groups 2): weight [6, 2, 3, 3] and bias", () => {
    withMemory((mem) => tidy(() => {
      const f = fx.init.conv_k3_4_6_groups2;
      manualSeed(f.seed);
      const conv = new Conv2d(mem, 3, 4, 6, 2, { groups: 2 });
      expectTensor(mem.get(conv.weight), f.weight, 0, 0);
      expectTensor(mem.get(conv.bias!), f.bias, 0, 0);
      expect(conv.forward(mem, zeros([1, 4, 9, 9])).shape).toEqual([1, 6, 4, 4]);
    }));
  });

  test("Linear without bias draws no bias (the next draw matches PyTorch's)", () => {
    withMemory((mem) => tidy(() => {
      const f = fx.init.linear_no_bias;
      manualSeed(f.seed);
      const l = new Linear(mem, 5, 3, { bias: false });
      expect(l.bias).toBeNull();
      expect(mem.size).toBe(1);
      expectTensor(mem.get(l.weight), f.weight, 0, 0);
      expectTensor(randn([3]), f.next_randn, 0, 0);
    }));
  });

  test("Linear(784, 128): shape, first/last values, sum and abs-sum", () => {
    withMemory((mem) => tidy(() => {
      const f = fx.init.linear_784_128;
      manualSeed(f.seed);
      const l = new Linear(mem, 784, 128);
      expectSummary(mem.get(l.weight), f.weight, 1e-7, "weight");
      expectSummary(mem.get(l.bias!), f.bias, 1e-7, "bias");
    }));
  });

  for (const [name, make] of [["cnn", (mem: Memory) => new CNN(mem)], ["ffn", (mem: Memory) => new FFN(mem)]] as const) {
    test(`the seed's ${name.toUpperCase()}, parameter by parameter`, () => {
      withMemory((mem) => tidy(() => {
        const f = fx.init[name];
        manualSeed(f.seed);
        make(mem);
        expect(mem.size).toBe(f.params.length);
        f.params.forEach((s, id) => expectSummary(mem.get(id), s, 1e-7, `parameter ${id}`));
      }));
    });
  }

  test("the library's MnistCnn and MnistFfn are the seed's models, initialised as PyTorch's", () => {
    const cases = [
      { f: fx.init.cnn, make: (mem: Memory) => new MnistCnn(mem), spelled: (mem: Memory) => new CNN(mem), input: [2, 1, 28, 28] },
      { f: fx.init.ffn, make: (mem: Memory) => new MnistFfn(mem), spelled: (mem: Memory) => new FFN(mem), input: [2, 784] },
    ];
    for (const { f, make, spelled, input } of cases) {
      withMemory((mem) => withMemory((twin) => tidy(() => {
        manualSeed(f.seed);
        const model = make(mem);
        expect(mem.size).toBe(f.params.length);
        f.params.forEach((s, id) => expectSummary(mem.get(id), s, 1e-7, `parameter ${id}`));
        // The same forward as the models spelled out above, from the same start.
        manualSeed(f.seed);
        const reference = spelled(twin);
        const x = randn(input);
        expect(flat(noGrad(() => model.forward(mem, x)))).toEqual(flat(noGrad(() => reference.forward(twin, x))));
      })));
    }
  });

  test("the CNN maps [N, 1, 28, 28] to [N, 10]", () => {
    withMemory((mem) => tidy(() => {
      const model = new CNN(mem);
      expect(model.forward(mem, zeros([3, 1, 28, 28])).shape).toEqual([3, 10]);
    }));
  });
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
    });
  });

  test("the fixture's batch sizes leave a partial last batch", () => {
    for (const run of fx.trainRuns) expect(run.n % run.batchSize).not.toBe(0);
  });
});

// --------------------------------------------------------------------- Memory

describe("Memory", () => {
  test("push, get, size and paramsInfo", () => {
    withMemory((mem) => tidy(() => {
      expect(mem.size).toBe(0);
      const w = tensor([[0.5, -0.5, 1], [2, 3, 4]]);
      w.requiresGrad = true;
      const frozen = tensor([7, 8, 9, 10]);
      expect(mem.push(w)).toBe(0);
      expect(mem.push(frozen)).toBe(1);
      expect(mem.size).toBe(2);
      expect(mem.get(0).toArray()).toEqual([[0.5, -0.5, 1], [2, 3, 4]]);
      expect(mem.get(1).toArray()).toEqual([7, 8, 9, 10]);
      expect(mem.get(0).requiresGrad).toBe(true);
      expect(mem.get(1).requiresGrad).toBe(false);
      const info = mem.paramsInfo();
      const lines = info.split("\n");
      expect(lines.find((l) => /^\s*0\s/.test(l))).toMatch(/\[2, 3\]\s+6\s+yes/);
      expect(lines.find((l) => /^\s*1\s/.test(l))).toMatch(/\[4\]\s+4\s+no/);
      expect(info).toMatch(/2 tensors, 10 elements/);
    }));
  });

  test("push stores the tensor itself, not a copy: a step updates it", () => {
    withMemory((mem) => tidy(() => {
      const w = tensor([1, 2, 3]);
      w.requiresGrad = true;
      const id = mem.push(w);
      w.mul(tensor([1, 10, 100])).sum().backward();
      mem.applyGradsSgd(0.1);
      expect(flat(w)).toEqual(flat(tensor([0.9, 1, -7])));
      expect(flat(mem.get(id))).toEqual(flat(w));
    }));
  });

  test("newPush draws a standard normal tensor that requires grad (or not)", () => {
    withMemory((mem) => tidy(() => {
      manualSeed(21);
      const id = mem.newPush([40, 50], true);
      const other = mem.newPush([3], false);
      const t = mem.get(id);
      expect(t.shape).toEqual([40, 50]);
      expect(t.requiresGrad).toBe(true);
      expect(mem.get(other).requiresGrad).toBe(false);
      manualSeed(21);
      expect(flat(t)).toEqual(flat(randn([40, 50])));
      expect(Math.abs(t.mean().item())).toBeLessThan(0.1);
      expect(Math.abs(t.pow(2).mean().item() - 1)).toBeLessThan(0.1);
      expect(mem.get(mem.newPush([2])).requiresGrad).toBe(true); // the default
    }));
  });

  test("get with a bad id is a TorchError", () => {
    withMemory((mem) => tidy(() => {
      new Linear(mem, 2, 2);
      for (const bad of [-1, 2, 99, 0.5, NaN]) expectTorchError(() => mem.get(bad), /id/);
      expect(mem.get(1).shape).toEqual([2]);
    }));
  });

  test("optimizer state persists across steps (two steps with different gradients match torch.optim)", () => {
    const f = fx.twoSteps;
    const steps: [keyof typeof applyTwo, EncodedTensor][] = [["sgd", f.sgd], ["momentum", f.momentum], ["adam", f.adam]];
    for (const [name, expected] of steps) {
      tidy(() => {
        manualSeed(f.seed);
        const p0 = randn([6]), g1 = randn([6]), g2 = randn([6]);
        const persistent = withMemory((mem) => {
          const id = mem.push(withGrad(p0.clone()));
          for (const g of [g1, g2]) {
            setGrad(mem.get(id), g);
            applyTwo[name](mem);
          }
          expectTensor(mem.get(id), expected, 1e-5, 1e-6);
          return flat(mem.get(id));
        });
        // The seed's bug: a fresh optimizer for every step.
        let p = p0.clone();
        for (const g of [g1, g2]) {
          p = withMemory((mem) => {
            const id = mem.push(withGrad(p.clone()));
            setGrad(mem.get(id), g);
            applyTwo[name](mem);
            return mem.get(id).detach().clone();
          });
        }
        if (name === "sgd") expect(flat(p)).toEqual(persistent); // plain SGD has no state
        else expect(flat(p), `${name} must differ from fresh single steps`).not.toEqual(persistent);
      });
    }
  });

  test("applyGrads* drop the gradients; zeroGrad does too", () => {
    withMemory((mem) => tidy(() => {
      const model = new FFN(mem, [6, 5, 3]);
      const x = randn([4, 6]), y = tensor([0, 1, 2, 1], undefined, "int64");
      for (const apply of [(m: Memory) => m.applyGradsSgd(0.1), (m: Memory) => m.applyGradsSgdMomentum(0.1), (m: Memory) => m.applyGradsAdam(0.1), (m: Memory) => m.zeroGrad()]) {
        crossEntropy(y, model.forward(mem, x)).backward();
        for (let id = 0; id < mem.size; id++) expect(mem.get(id).grad, `grad of ${id} after backward`).not.toBeNull();
        apply(mem);
        for (let id = 0; id < mem.size; id++) expect(mem.get(id).grad, `grad of ${id} after the step`).toBeNull();
      }
    }));
  });

  test("bad lr, momentum and Adam settings are TorchErrors and change nothing", () => {
    const build = (mem: Memory) => {
      manualSeed(17);
      const model = new FFN(mem, [6, 5, 3]);
      crossEntropy(tensor([0, 1], undefined, "int64"), model.forward(mem, randn([2, 6]))).backward();
    };
    // The reference: the same model and gradients, one Adam step, no failed calls before it.
    const reference = withMemory((twin) => tidy(() => {
      build(twin);
      twin.applyGradsAdam(0.01);
      return snapshot(twin);
    }));
    withMemory((mem) => tidy(() => {
      build(mem);
      const before = snapshot(mem);
      for (const lr of [0, -0.1, NaN, Infinity]) {
        expectTorchError(() => mem.applyGradsSgd(lr), /learning rate/);
        expectTorchError(() => mem.applyGradsSgdMomentum(lr), /learning rate/);
        expectTorchError(() => mem.applyGradsAdam(lr), /learning rate/);
      }
      for (const momentum of [-0.5, NaN, Infinity]) expectTorchError(() => mem.applyGradsSgdMomentum(0.1, momentum), /momentum/);
      const badAdam = [{ beta1: 1 }, { beta1: -0.1 }, { beta1: NaN }, { beta2: 1.5 }, { beta2: NaN }, { eps: -1 }, { eps: NaN }, { weightDecay: -1 }];
      for (const options of badAdam) expectTorchError(() => mem.applyGradsAdam(0.1, options), /beta|eps|weight/i);
      expectSameSnapshot(snapshot(mem), before);
      // The gradients were left for a valid step, and the failed calls created no optimizer
      // state: the first real step equals a first step on an untouched twin.
      for (let id = 0; id < mem.size; id++) expect(mem.get(id).grad).not.toBeNull();
      mem.applyGradsAdam(0.01);
      expectSameSnapshot(snapshot(mem), reference);
      expect(Array.from(reference[0])).not.toEqual(Array.from(before[0]));
    }));
  });

  test("disposing a Memory frees its tensors; a disposed Memory refuses work", () => {
    tidy(() => {
      const before = liveTensors();
      const mem = new Memory();
      const model = new CNN(mem);
      const w = mem.get(0);
      expect(liveTensors()).toBeGreaterThan(before);
      tidy(() => noGrad(() => model.forward(mem, zeros([1, 1, 28, 28])).sum().item()));
      mem.dispose();
      expect(liveTensors()).toBe(before);
      expect(w.isDisposed).toBe(true);
      expectTorchError(() => mem.get(0));
      expectTorchError(() => mem.applyGradsSgd(0.1));
      mem.dispose(); // twice is harmless
      expect(liveTensors()).toBe(before);
    });
  });
});

// ------------------------------------------------------------------ save/load

describe("save and load", () => {
  const dir = mkdtempSync(join(tmpdir(), "torchffi-training-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const python = "/usr/bin/python3";

  function savedCnn(seed: number, path: string): void {
    withMemory((mem) => {
      manualSeed(seed);
      new CNN(mem);
      mem.save(path);
    });
  }

  test("load into a model built with a different seed gives identical outputs", () => {
    const path = join(dir, "cnn.safetensors");
    tidy(() => {
      manualSeed(99);
      const input = randn([4, 1, 28, 28]);
      const [expected, weights] = withMemory((a) => {
        manualSeed(1);
        const model = new CNN(a);
        a.save(path);
        return [flat(noGrad(() => model.forward(a, input))), snapshot(a)] as const;
      });
      withMemory((b) => {
        manualSeed(2);
        const model = new CNN(b);
        expect(flat(noGrad(() => model.forward(b, input)))).not.toEqual(expected);
        b.load(path);
        expect(flat(noGrad(() => model.forward(b, input)))).toEqual(expected);
        expectSameSnapshot(snapshot(b), weights);
        // Still trainable after loading.
        expect(b.get(0).requiresGrad).toBe(true);
        crossEntropy(tensor([1, 2, 3, 4], undefined, "int64"), model.forward(b, input)).backward();
        b.applyGradsSgd(0.1);
        expect(flat(b.get(0))).not.toEqual(Array.from(weights[0]));
      });
    });
  });

  test("the file is readable from Python (8-byte header + JSON + torch.frombuffer)", () => {
    const path = join(dir, "py.safetensors");
    savedCnn(5, path);
    const script = [
      "import json, struct, sys, torch",
      "raw = open(sys.argv[1], 'rb').read()",
      "(n,) = struct.unpack('<Q', raw[:8])",
      "header = json.loads(raw[8:8 + n])",
      "data = raw[8 + n:]",
      "out = {'metadata': header.pop('__metadata__', None)}",
      "for name, e in header.items():",
      "    b, end = e['data_offsets']",
      "    assert e['dtype'] == 'F32'",
      "    t = torch.frombuffer(bytearray(data[b:end]), dtype=torch.float32).reshape(e['shape'])",
      "    out[name] = {'shape': list(t.shape), 'sum': t.double().sum().item(), 'first': t.reshape(-1)[0].item()}",
      "print(json.dumps(out))",
    ].join("\n");
    const result = spawnSync(python, ["-c", script, path], { encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    const read = JSON.parse(result.stdout) as Record<string, { shape: number[]; sum: number; first: number }>;
    expect(read.metadata).toEqual({ format: "torchffi.Memory" });
    withMemory((mem) => tidy(() => {
      manualSeed(5);
      new CNN(mem);
      expect(Object.keys(read).filter((k) => k !== "metadata").sort()).toEqual(["0", "1", "2", "3", "4", "5", "6", "7"]);
      for (let id = 0; id < mem.size; id++) {
        const t = mem.get(id);
        expect(read[String(id)].shape).toEqual([...t.shape]);
        expect(read[String(id)].first).toBe(t.toFloat32Array()[0]);
        const sum = flat(t).reduce((a, b) => a + b, 0);
        expect(Math.abs(read[String(id)].sum - sum)).toBeLessThan(1e-9 * flat(t.abs()).reduce((a, b) => a + b, 0) + 1e-12);
      }
    }));
  });

  test("saving where it cannot write is a TorchError and leaves no file behind", () => {
    withMemory((mem) => {
      new Linear(mem, 3, 2);
      const target = join(dir, "no-such-dir", "x.safetensors");
      const e = expectTorchError(() => mem.save(target));
      expect(e.op).toBe("save");
      expect(existsSync(join(dir, "no-such-dir"))).toBe(false);
      expect(readdirSync(dir).filter((name) => name.includes(".tmp-"))).toEqual([]);
    });
  });

  test("a bad file is a TorchError and leaves the store unchanged", () => {
    const good = join(dir, "good.safetensors");
    savedCnn(6, good);
    const bytes = readFileSync(good);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = bytes.subarray(8, 8 + headerLength).toString("utf8");

    const bad: Record<string, string> = {};
    const write = (name: string, data: Uint8Array) => {
      bad[name] = join(dir, `${name}.safetensors`);
      writeFileSync(bad[name], data);
    };
    write("truncated", bytes.subarray(0, bytes.length - 100));
    write("only-header", bytes.subarray(0, 8 + headerLength));
    write("tiny", bytes.subarray(0, 5));
    const notJson = Buffer.from(bytes);
    notJson[8] = "!".charCodeAt(0);
    write("corrupt-header", notJson);
    const hugeLength = Buffer.from(bytes);
    hugeLength.writeBigUInt64LE(BigInt(bytes.length) * 2n, 0);
    write("huge-header-length", hugeLength);
    // Same byte sizes, different dtype: only the dtype check can catch it.
    expect(header).toContain('"F32"');
    write("wrong-dtype", Buffer.concat([bytes.subarray(0, 8), Buffer.from(header.replace('"F32"', '"I32"')), bytes.subarray(8 + headerLength)]));
    withMemory((other) => {
      new FFN(other, [784, 64, 10]); // four tensors; the CNN has eight
      bad["fewer-tensors"] = join(dir, "ffn.safetensors");
      other.save(bad["fewer-tensors"]);
    });
    withMemory((other) => {
      // Eight tensors like the CNN, with other shapes.
      new FFN(other, [784, 64, 10]);
      new FFN(other, [10, 20, 30]);
      bad["wrong-shapes"] = join(dir, "shapes.safetensors");
      other.save(bad["wrong-shapes"]);
    });
    bad["missing"] = join(dir, "does-not-exist.safetensors");

    withMemory((mem) => tidy(() => {
      manualSeed(7);
      new CNN(mem);
      const before = snapshot(mem);
      const live = liveTensors();
      for (const [name, path] of Object.entries(bad)) {
        const e = expectTorchError(() => mem.load(path));
        expect(e.op, name).toBe("load");
        expect(e.message, name).toContain(path);
        expectSameSnapshot(snapshot(mem), before);
        expect(liveTensors(), name).toBe(live);
      }
      // The good file still loads.
      mem.load(good);
      expect(flat(mem.get(0))).not.toEqual(Array.from(before[0]));
    }));
  });
});

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
    ["unknown optimizer", { optimizer: "rmsprop" }],
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

// Helpers for the two-step optimizer test.
const applyTwo = {
  sgd: (mem: Memory) => mem.applyGradsSgd(0.1),
  momentum: (mem: Memory) => mem.applyGradsSgdMomentum(0.1, 0.9),
  adam: (mem: Memory) => mem.applyGradsAdam(0.1),
};

function withGrad(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}

/** Makes `p.grad` equal `g` (d(sum(p * g))/dp = g). */
function setGrad(p: Tensor, g: Tensor): void {
  tidy(() => p.mul(g).sum().backward());
}

// Runs last (vitest runs a file's tests in order): everything above cleaned up after itself.
describe("the whole file", () => {
  test("leaves no tensor alive", () => {
    expect(liveTensors()).toBe(liveAtStart);
  });
});
