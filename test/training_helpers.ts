// Shared by the training tests (autograd, functional, init, optimizers, memory,
// validation), which check autograd, the nn functions, layer initialisation, the
// optimizers, train(), Memory and save/load against PyTorch (fixtures:
// test/fixtures/make_training_fixtures.py). Inputs are drawn from LibTorch's
// global generator on both sides from the same seed, in the same order.
import { expect } from "vitest";
import { type Compute, Conv2d, Linear, Memory, type OptimizerKind, type Tensor, TorchError } from "../mod.ts";
import { type EncodedTensor, readFixture } from "./helpers.ts";

// ------------------------------------------------------------------ fixtures

export interface Summary {
  shape: number[];
  head: number[];
  tail: number[];
  sum: number;
  abs_sum: number;
}
export interface ConvCase {
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
export interface OptimizerRun {
  model: "cnn" | "ffn";
  optimizer: "sgd" | "momentum" | "adam" | "adamWeightDecay";
  seed: number;
  steps: number;
  batch: number;
  losses: number[];
  params: Summary[];
}
export interface TrainRun {
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
export interface Fixtures {
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

export const fx = readFixture<Fixtures>("training.json");

// ------------------------------------------------------------------- models

/** The seed's MyModel (DESIGN.md): no relu after the convolutions. */
export class CNN implements Compute {
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
export class FFN implements Compute {
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

export function flat(t: Tensor): number[] {
  return Array.from(t.toFloat32Array());
}

export function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
}

/** Every parameter of `mem`, copied out. */
export function snapshot(mem: Memory): Float32Array[] {
  return Array.from({ length: mem.size }, (_, id) => mem.get(id).toFloat32Array());
}

export function expectSameSnapshot(actual: Float32Array[], expected: Float32Array[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(a, `tensor ${i}`).toEqual(expected[i]));
}

/** A tensor against a PyTorch summary: shape, first/last 8 values, sum and abs-sum. */
export function expectSummary(t: Tensor, s: Summary, rtol: number, what: string): void {
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
export function withMemory<T>(fn: (mem: Memory) => T): T {
  const mem = new Memory();
  try {
    return fn(mem);
  } finally {
    mem.dispose();
  }
}

export function expectTorchError(fn: () => unknown, pattern?: RegExp): TorchError {
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
