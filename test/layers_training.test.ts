// Modes in training and evaluation, the parameter-free layers, Sequential,
// and a BatchNorm model trained by Adam and moved to and from PyTorch
// (fixtures: test/fixtures/make_norm_fixtures.py).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  BatchNorm1d,
  BatchNorm2d,
  type Compute,
  Conv2d,
  Dropout,
  Flatten,
  GELU,
  inEvalMode,
  Linear,
  liveTensors,
  manualSeed,
  Memory,
  ones,
  predictClasses,
  randn,
  ReLU,
  Sequential,
  Tanh,
  type Tensor,
  tensor,
  tidy,
  TorchError,
  train,
  zeros,
} from "../mod.ts";
import { adamSteps, type EncodedTensor, expectState, expectTensor, fromEncoded, readFixture } from "./helpers.ts";

interface Fixtures {
  dropout: { seed: number; p: number; out: EncodedTensor };
  adam: {
    seed: number;
    step_seed: number;
    lr: number;
    x: EncodedTensor;
    y: EncodedTensor;
    initial: Record<string, EncodedTensor>;
    losses: number[];
    final: Record<string, EncodedTensor>;
    eval_out: EncodedTensor;
  };
  state: { input: EncodedTensor; eval_out: EncodedTensor; keys: string[] };
}

const fx = readFixture<Fixtures>("norm_layers.json");
const liveAtStart = liveTensors();
const python = "/usr/bin/python3";
const fixtureScript = new URL("./fixtures/make_norm_fixtures.py", import.meta.url).pathname;
const stateFile = new URL("./fixtures/norm_state.safetensors", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "torchffi-norm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Records the mode of every forward call, and optionally fails. */
class ModeSpy implements Compute {
  modes: boolean[] = [];
  fail = false;
  forward(mem: Memory, input: Tensor): Tensor {
    this.modes.push(mem.training);
    if (this.fail) throw new Error("forward failed");
    return input.mul(1);
  }
}

/** make_norm_fixtures.py's nn.Sequential, with PyTorch's child numbers as names. */
function adamModel(mem: Memory): Sequential {
  return new Sequential(
    mem,
    new Linear(mem, 8, 6, { name: "0" }),
    new BatchNorm1d(mem, 6, { name: "1" }),
    new ReLU(),
    new Dropout(0.25),
    new Linear(mem, 6, 3, { name: "4" }),
    new Tanh(),
  );
}

/** make_norm_fixtures.py's BnCnn. */
class BnCnn implements Compute {
  conv: Conv2d;
  bn: BatchNorm2d;
  fc: Linear;
  constructor(mem: Memory) {
    this.conv = new Conv2d(mem, 3, 1, 4, 1, { bias: false, name: "conv" });
    this.bn = new BatchNorm2d(mem, 4, { name: "bn" });
    this.fc = new Linear(mem, 4 * 6 * 6, 3, { name: "fc" });
  }
  forward(mem: Memory, x: Tensor): Tensor {
    return this.fc.forward(mem, this.bn.forward(mem, this.conv.forward(mem, x)).relu().flatten(1));
  }
}


describe("modes in training and evaluation", () => {
  test("train() runs every step in train mode, even after mem.eval()", () => {
    using mem = new Memory();
    const spy = new ModeSpy();
    const w = mem.newPush([2, 2]);
    const model: Compute = { forward: (m, x) => spy.forward(m, x).matmul(m.get(w)) };
    mem.eval();
    tidy(() => train(mem, randn([6, 2]), tensor([0, 1, 0, 1, 0, 1], [6], "int64"), model, { epochs: 2, batchSize: 3, lr: 0.1, shuffle: false }));
    expect(spy.modes).toEqual([true, true, true, true]);
    expect(mem.training).toBe(true);
  });

  test("predictClasses runs in eval mode and restores the previous mode, even when forward throws", () => {
    using mem = new Memory();
    const spy = new ModeSpy();
    tidy(() => {
      const x = randn([5, 3]);
      predictClasses(mem, spy, x, 2);
      expect(spy.modes).toEqual([false, false, false]);
      expect(mem.training).toBe(true);
      mem.eval();
      predictClasses(mem, spy, x);
      expect(mem.training).toBe(false);
      mem.train();
      spy.fail = true;
      const before = liveTensors();
      expect(() => predictClasses(mem, spy, x)).toThrow("forward failed");
      expect(mem.training).toBe(true);
      expect(liveTensors()).toBe(before);
    });
  });

  test("predictClasses frees each batch's activations before the next batch", () => {
    using mem = new Memory();
    const lin = new Linear(mem, 3, 4);
    // Counts the live tensors as each batch starts; its forward makes intermediates.
    const seen: number[] = [];
    const model: Compute = {
      forward: (m: Memory, input: Tensor) => {
        seen.push(liveTensors());
        return lin.forward(m, input).relu().mul(2).add(1);
      },
    };
    tidy(() => {
      const x = randn([40, 3]);
      const before = liveTensors();
      const predicted = predictClasses(mem, model, x, 4);
      expect(predicted.shape).toEqual([40]);
      expect(seen).toHaveLength(10);
      // Only the earlier batches' small class vectors stay: one tensor a batch.
      for (let b = 1; b < seen.length; b++) expect(seen[b] - seen[b - 1], `batch ${b}`).toBe(1);
      expect(liveTensors()).toBe(before + 1);
    });
  });

  test("inEvalMode switches for the call and back", () => {
    using mem = new Memory();
    expect(inEvalMode(mem, () => mem.training)).toBe(false);
    expect(mem.training).toBe(true);
    expect(() => inEvalMode(mem, () => { throw new Error("x"); })).toThrow("x");
    expect(mem.training).toBe(true);
    expect(() => inEvalMode(null as unknown as Memory, () => 1)).toThrow(TorchError);
  });
});

describe("layers without parameters", () => {
  test("Dropout draws PyTorch's mask after the same seed in train mode and is the identity in eval mode", () => {
    using mem = new Memory();
    const drop = new Dropout(fx.dropout.p);
    tidy(() => {
      manualSeed(fx.dropout.seed);
      expectTensor(drop.forward(mem, ones([6, 7])), fx.dropout.out, 1e-6, 1e-6);
      mem.eval();
      expect(drop.forward(mem, ones([6, 7])).sum().item()).toBe(42);
    });
    expect(() => new Dropout(1.5)).toThrow(/Dropout: p must be a probability in \[0, 1\], got 1.5/);
  });

  test("Flatten, ReLU, GELU and Tanh", () => {
    using mem = new Memory();
    tidy(() => {
      expect(new Flatten().forward(mem, zeros([2, 3, 4, 5])).shape).toEqual([2, 60]);
      expect(new Flatten(0, 1).forward(mem, zeros([2, 3, 4])).shape).toEqual([6, 4]);
      expect(new ReLU().forward(mem, tensor([-1, 2])).toArray()).toEqual([0, 2]);
      const x = tensor([-1, 0.5, 2]);
      const erf = new GELU().forward(mem, x).toArray() as number[];
      const approx = new GELU("tanh").forward(mem, x).toArray() as number[];
      // x·Φ(x) from the error function's known values, and the tanh formula.
      [-0.15865525, 0.34573123, 1.95449974].forEach((v, i) => expect(erf[i]).toBeCloseTo(v, 6));
      [-1, 0.5, 2].forEach((v, i) => expect(approx[i]).toBeCloseTo(0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))), 6));
      (new Tanh().forward(mem, x).toArray() as number[]).forEach((v, i) => expect(v).toBeCloseTo(Math.tanh([-1, 0.5, 2][i]), 6));
    });
    expect(() => new GELU("fast" as "tanh")).toThrow(TorchError);
  });

  test("Sequential chains forward in order and refuses what is not a layer", () => {
    using mem = new Memory();
    const calls: string[] = [];
    const step = (tag: string, k: number): Compute => ({ forward: (_m, x) => (calls.push(tag), x.mul(k)) });
    const seq = new Sequential(mem, step("a", 2), step("b", 3), new Sequential(mem, step("c", 5)));
    tidy(() => expect(seq.forward(mem, tensor([1])).item()).toBe(30));
    expect(calls).toEqual(["a", "b", "c"]);
    expect(seq.layers.length).toBe(3);
    expect(() => new Sequential(mem, step("a", 1), {} as Compute)).toThrow(/Sequential: layer 1 must implement forward/);
  });
});

describe("a BatchNorm model against PyTorch", () => {
  const f = fx.adam;


  test("Sequential(Linear, BatchNorm1d, ReLU, Dropout, Linear, Tanh): 4 Adam steps and the eval output equal torch.optim.Adam's", () => {
    using mem = new Memory();
    manualSeed(f.seed);
    const model = adamModel(mem);
    expectState(mem, f.initial, 0, 0);
    manualSeed(f.step_seed);
    const losses = adamSteps(mem, model, f.x, f.y, f.lr, f.losses.length);
    losses.forEach((l, i) => expect(l).toBeCloseTo(f.losses[i], 5));
    expectState(mem, f.final, 1e-4, 1e-5);
    mem.eval();
    tidy(() => expectTensor(model.forward(mem, fromEncoded(f.x)), f.eval_out, 1e-4, 1e-5));
  });

  test("train() from eval mode gives the same steps (it switches to train mode)", () => {
    using mem = new Memory();
    manualSeed(f.seed);
    const model = adamModel(mem);
    mem.eval();
    manualSeed(f.step_seed);
    const history = tidy(() =>
      train(mem, fromEncoded(f.x), fromEncoded(f.y), model, { epochs: f.losses.length, batchSize: 10, lr: f.lr, optimizer: "adam", shuffle: false })
    );
    history.forEach((l, i) => expect(l).toBeCloseTo(f.losses[i], 5));
    expectState(mem, f.final, 1e-4, 1e-5);
    // Predictions use the running statistics (eval mode): PyTorch's eval output's classes.
    tidy(() => {
      const want = fromEncoded(f.eval_out).argmax(-1).toArray();
      expect(predictClasses(mem, model, fromEncoded(f.x)).toArray()).toEqual(want);
    });
    expect(mem.training).toBe(true);
  });

  test("a PyTorch state dict with BatchNorm2d loads and gives PyTorch's eval output; mem.save loads back in PyTorch with strict=True", () => {
    using mem = new Memory();
    const net = new BnCnn(mem);
    mem.load(stateFile);
    expect(mem.get("bn.num_batches_tracked").item()).toBe(3);
    expect([...mem.namedParameters(), ...mem.namedBuffers()].map(([n]) => n).sort()).toEqual([...fx.state.keys].sort());
    mem.eval();
    tidy(() => expectTensor(net.forward(mem, fromEncoded(fx.state.input)), fx.state.eval_out, 1e-5, 1e-5));
    const out = join(dir, "bn_cnn.safetensors");
    mem.save(out);
    const run = spawnSync(python, [fixtureScript, "check", out], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const fromPython = JSON.parse(run.stdout) as EncodedTensor;
    tidy(() => expectTensor(fromEncoded(fromPython), fx.state.eval_out, 1e-6, 1e-7));
  });
});

describe("checkpoints with BatchNorm", () => {
  test("a resumed run of a model with BatchNorm and Dropout continues exactly (running stats, batch count, generator)", () => {
    const path = join(dir, "bn.ckpt.safetensors");
    const snapshot = (mem: Memory) =>
      [...mem.namedParameters(), ...mem.namedBuffers()].map(([n, t]) => [n, Array.from(t.toTypedArray(), Number)] as const);
    const run = (epochs: number, seed: number, options: { checkpoint?: string; resume?: boolean }) => {
      using mem = new Memory();
      manualSeed(seed);
      const model = adamModel(mem);
      const history = tidy(() =>
        train(mem, fromEncoded(fx.adam.x), fromEncoded(fx.adam.y), model, { epochs, batchSize: 4, lr: 0.01, ...options })
      );
      return { history, state: snapshot(mem) };
    };
    const whole = run(3, 5, {});
    run(1, 5, { checkpoint: path });
    const resumed = run(3, 999, { checkpoint: path, resume: true });
    expect(resumed.history).toEqual(whole.history);
    expect(resumed.state).toEqual(whole.state);
    // 3 epochs of ceil(10 / 4) steps each, every one counted.
    expect(resumed.state.find(([n]) => n === "1.num_batches_tracked")![1]).toEqual([9]);
  });
});

test("no tensor leaked", () => {
  expect(liveTensors()).toBe(liveAtStart);
});

