// BatchNorm1d/2d and LayerNorm against PyTorch: initialisation, train- and
// eval-mode outputs, gradients, running statistics (fixtures:
// test/fixtures/make_norm_fixtures.py).
import { describe, expect, test } from "vitest";
import {
  BatchNorm1d,
  BatchNorm2d,
  LayerNorm,
  Linear,
  liveTensors,
  manualSeed,
  Memory,
  noGrad,
  tidy,
} from "../mod.ts";
import { type EncodedTensor, expectTensor, fromEncoded, readFixture } from "./helpers.ts";

interface BnCase {
  features: number;
  weight?: EncodedTensor;
  bias?: EncodedTensor;
  inputs: EncodedTensor[];
  upstream: EncodedTensor;
  train_out: EncodedTensor;
  grad_input: EncodedTensor;
  grad_weight: EncodedTensor;
  grad_bias: EncodedTensor;
  running_mean: EncodedTensor;
  running_var: EncodedTensor;
  num_batches_tracked: EncodedTensor;
  eval_out: EncodedTensor;
}

interface Fixtures {
  init: { seed: number; params: Record<string, EncodedTensor> };
  bn1d: BnCase;
  bn1d_3d_cumulative: BnCase;
  bn2d: BnCase;
  bn_bare: { input: EncodedTensor; out: EncodedTensor };
  layer_norm: Record<"weight" | "bias" | "input" | "upstream" | "out" | "grad_input" | "grad_weight" | "grad_bias", EncodedTensor>;
}

const fx = readFixture<Fixtures>("norm_layers.json");
const liveAtStart = liveTensors();

/** Sets a stored parameter to a fixture's values without recording a gradient. */
function assign(mem: Memory, id: number | null, value: EncodedTensor | undefined): void {
  if (id === null || value === undefined) return;
  tidy(() => noGrad(() => mem.get(id).copy_(fromEncoded(value))));
}

function runBatchNorm(make: (mem: Memory) => BatchNorm1d | BatchNorm2d, f: BnCase): void {
  using mem = new Memory();
  const bn = make(mem);
  assign(mem, bn.weight, f.weight);
  assign(mem, bn.bias, f.bias);
  tidy(() => {
    const x0 = fromEncoded(f.inputs[0]);
    x0.requiresGrad = true;
    const out = bn.forward(mem, x0);
    expectTensor(out, f.train_out, 1e-5, 1e-5);
    out.mul(fromEncoded(f.upstream)).sum().backward();
    expectTensor(x0.grad!, f.grad_input, 1e-4, 1e-5);
    expectTensor(mem.get(bn.weight!).grad!, f.grad_weight, 1e-4, 1e-5);
    expectTensor(mem.get(bn.bias!).grad!, f.grad_bias, 1e-4, 1e-5);
    noGrad(() => {
      for (const x of f.inputs.slice(1)) bn.forward(mem, fromEncoded(x));
    });
  });
  expectTensor(mem.get(bn.runningMean!), f.running_mean, 1e-5, 1e-6);
  expectTensor(mem.get(bn.runningVar!), f.running_var, 1e-5, 1e-6);
  expectTensor(mem.get(bn.numBatchesTracked!), f.num_batches_tracked);
  mem.eval();
  tidy(() => expectTensor(bn.forward(mem, fromEncoded(f.inputs[0])), f.eval_out, 1e-5, 1e-5));
  // Eval mode leaves the running statistics alone.
  expectTensor(mem.get(bn.runningMean!), f.running_mean, 1e-5, 1e-6);
  expectTensor(mem.get(bn.numBatchesTracked!), f.num_batches_tracked);
}

describe("initialisation", () => {
  test("Linear, BatchNorm1d, LayerNorm, Linear after manualSeed: every parameter and buffer as PyTorch's", () => {
    using mem = new Memory();
    manualSeed(fx.init.seed);
    new Linear(mem, 4, 6, { name: "fc1" });
    const bn = new BatchNorm1d(mem, 6, { name: "bn" });
    new LayerNorm(mem, 6, { name: "ln" });
    new Linear(mem, 6, 3, { name: "fc2" });
    const names = Object.keys(fx.init.params);
    expect([...mem.namedParameters(), ...mem.namedBuffers()].map(([n]) => n).sort()).toEqual([...names].sort());
    for (const name of names) expectTensor(mem.get(name), fx.init.params[name], 0, 0);
    expect(mem.namedBuffers().map(([n]) => n)).toEqual(["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]);
    expect(mem.get(bn.weight!).requiresGrad).toBe(true);
    expect(mem.get(bn.runningMean!).requiresGrad).toBe(false);
    expect(mem.paramsInfo()).toMatch(/bn\.num_batches_tracked\s+\[\]\s+1\s+buffer/);
  });

  test("default names follow the kind and build order; options leave out what PyTorch leaves out", () => {
    using mem = new Memory();
    new BatchNorm1d(mem, 2);
    new BatchNorm2d(mem, 2, { affine: false });
    new BatchNorm2d(mem, 2, { trackRunningStats: false });
    new LayerNorm(mem, [2, 3]);
    new LayerNorm(mem, 2, { elementwiseAffine: false });
    expect([...mem.namedParameters()].map(([n]) => n)).toEqual([
      "batchnorm1d0.weight", "batchnorm1d0.bias", "batchnorm2d1.weight", "batchnorm2d1.bias", "layernorm0.weight", "layernorm0.bias",
    ]);
    expect(mem.namedBuffers().map(([n]) => n)).toEqual([
      "batchnorm1d0.running_mean", "batchnorm1d0.running_var", "batchnorm1d0.num_batches_tracked",
      "batchnorm2d0.running_mean", "batchnorm2d0.running_var", "batchnorm2d0.num_batches_tracked",
    ]);
    expect(mem.get("layernorm0.weight").shape).toEqual([2, 3]);
    expect(mem.get("batchnorm1d0.num_batches_tracked").dtype).toBe("int64");
  });
});

describe("BatchNorm matches PyTorch", () => {
  test("BatchNorm1d [N, C]: train output, gradients, running stats after 3 batches, eval output", () => {
    runBatchNorm((mem) => new BatchNorm1d(mem, fx.bn1d.features), fx.bn1d);
  });

  test("BatchNorm1d [N, C, L] with momentum null (cumulative average) and eps 1e-3", () => {
    runBatchNorm((mem) => new BatchNorm1d(mem, 3, { momentum: null, eps: 1e-3 }), fx.bn1d_3d_cumulative);
  });

  test("BatchNorm2d with momentum 0.3", () => {
    runBatchNorm((mem) => new BatchNorm2d(mem, fx.bn2d.features, { momentum: 0.3 }), fx.bn2d);
  });

  test("without affine or running stats: batch statistics even in eval mode", () => {
    using mem = new Memory();
    const bn = new BatchNorm1d(mem, 4, { affine: false, trackRunningStats: false });
    expect(mem.size).toBe(0);
    mem.eval();
    tidy(() => expectTensor(bn.forward(mem, fromEncoded(fx.bn_bare.input)), fx.bn_bare.out, 1e-5, 1e-5));
  });
});

describe("LayerNorm matches PyTorch", () => {
  test("LayerNorm([3, 5], eps 1e-4): output and gradients, the same in both modes", () => {
    using mem = new Memory();
    const f = fx.layer_norm;
    const ln = new LayerNorm(mem, [3, 5], { eps: 1e-4, name: "ln" });
    assign(mem, ln.weight, f.weight);
    assign(mem, ln.bias, f.bias);
    tidy(() => {
      const x = fromEncoded(f.input);
      x.requiresGrad = true;
      const out = ln.forward(mem, x);
      expectTensor(out, f.out, 1e-5, 1e-5);
      out.mul(fromEncoded(f.upstream)).sum().backward();
      expectTensor(x.grad!, f.grad_input, 1e-4, 1e-5);
      expectTensor(mem.get(ln.weight!).grad!, f.grad_weight, 1e-4, 1e-5);
      expectTensor(mem.get(ln.bias!).grad!, f.grad_bias, 1e-4, 1e-5);
      mem.eval();
      expectTensor(ln.forward(mem, fromEncoded(f.input)), f.out, 1e-5, 1e-5);
    });
  });
});

test("no tensor leaked", () => {
  expect(liveTensors()).toBe(liveAtStart);
});

