// Every Tensor op against PyTorch's output for the same inputs
// (fixtures: test/fixtures/make_tensor_fixtures.py).
import { describe, expect, test } from "vitest";
import { arange, cat, type DType, manualSeed, rand, randn, randperm, stack, type Tensor, tidy } from "../mod.ts";
import { type EncodedTensor, expectTensor, fromEncoded, readFixture } from "./helpers.ts";

interface OpCase {
  name: string;
  op: string;
  inputs: EncodedTensor[];
  args: unknown[];
  expected: EncodedTensor;
}
interface Fixtures {
  cases: OpCase[];
  creations: { kind: "rand" | "randn" | "randperm"; seed: number; shape: number[]; dtype?: DType; expected: EncodedTensor }[];
  aranges: { args: number[]; expected: EncodedTensor }[];
}

const fixtures = readFixture<Fixtures>("tensor_ops.json");

type Apply = (inputs: Tensor[], args: any[]) => Tensor;
const binary = (name: "add" | "sub" | "mul" | "div" | "pow" | "eq" | "gt" | "lt"): Apply => ([a, b]) => a[name](b);
const withNumber = (name: "add" | "sub" | "mul" | "div" | "pow" | "eq" | "gt" | "lt"): Apply => ([a], [n]) => a[name](n);
const unary = (name: "neg" | "exp" | "log" | "sqrt" | "abs" | "relu" | "sigmoid" | "tanh" | "t" | "clone" | "detach" | "flatView"): Apply =>
  ([a]) => a[name]();

// How each fixture op name maps onto torchffi's API.
const ops: Record<string, Apply> = {
  ...Object.fromEntries((["add", "sub", "mul", "div", "pow", "eq", "gt", "lt"] as const).flatMap((n) => [
    [n, binary(n)],
    [`${n}Scalar`, withNumber(n)],
  ])),
  ...Object.fromEntries((["neg", "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "t", "clone", "detach", "flatView"] as const)
    .map((n) => [n, unary(n)])),
  softmax: ([a], [dim]) => a.softmax(dim),
  logSoftmax: ([a], [dim]) => a.logSoftmax(dim),
  addTransposed: ([a, b]) => a.t().add(b),
  sigmoidTransposed: ([a]) => a.t().sigmoid(),
  matmul: ([a, b]) => a.matmul(b),
  sum: ([a], [dim, keepdim]) => a.sum(dim ?? undefined, keepdim),
  mean: ([a], [dim, keepdim]) => a.mean(dim ?? undefined, keepdim),
  max: ([a], [dim, keepdim]) => a.max(dim ?? undefined, keepdim),
  min: ([a], [dim, keepdim]) => a.min(dim ?? undefined, keepdim),
  argmax: ([a], [dim, keepdim]) => a.argmax(dim ?? undefined, keepdim),
  view: ([a], [shape]) => a.view(shape),
  reshape: ([a], [shape]) => a.reshape(shape),
  flatten: ([a], [start, end]) => a.flatten(start, end),
  unsqueeze: ([a], [dim]) => a.unsqueeze(dim),
  squeeze: ([a], [dim]) => a.squeeze(dim ?? undefined),
  transpose: ([a], [d0, d1]) => a.transpose(d0, d1),
  permute: ([a], [dims]) => a.permute(dims),
  narrow: ([a], [dim, start, length]) => a.narrow(dim, start, length),
  get: ([a], [i]) => a.get(i),
  select: ([a], [dim, i]) => a.select(dim, i),
  indexSelect: ([a, index], [dim]) => a.indexSelect(dim, index),
  cat: (inputs, [dim]) => cat(inputs, dim),
  stack: (inputs, [dim]) => stack(inputs, dim),
  to: ([a], [dtype]) => a.to(dtype),
};

describe("ops match PyTorch", () => {
  test("every fixture op is mapped", () => {
    const unmapped = fixtures.cases.filter((c) => !(c.op in ops)).map((c) => c.op);
    expect(unmapped).toEqual([]);
    expect(fixtures.cases.length).toBeGreaterThan(90);
  });

  for (const c of fixtures.cases) {
    test(c.name, () => {
      tidy(() => {
        const inputs = c.inputs.map(fromEncoded);
        expectTensor(ops[c.op](inputs, c.args), c.expected);
      });
    });
  }
});

describe("creation matches PyTorch", () => {
  for (const c of fixtures.creations) {
    test(`${c.kind}(${c.shape}) after manualSeed(${c.seed})${c.dtype ? " " + c.dtype : ""}`, () => {
      tidy(() => {
        manualSeed(c.seed);
        const t = c.kind === "randperm" ? randperm(c.shape[0]) : (c.kind === "rand" ? rand : randn)(c.shape, c.dtype);
        expectTensor(t, c.expected);
      });
    });
  }

  for (const c of fixtures.aranges) {
    test(`arange(${c.args.join(", ")})`, () => {
      tidy(() => {
        const [a, b, step] = c.args;
        expectTensor(arange(a, b, step), c.expected);
      });
    });
  }
});
