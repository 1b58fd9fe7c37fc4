// The more-maths ops and creation functions against PyTorch: values, dtypes,
// shapes, gradients and LibTorch's error messages
// (fixtures: test/fixtures/make_math_fixtures.py).
import { describe, expect, test } from "vitest";
import {
  type AvgPool2dOptions,
  type DType,
  einsum,
  eye,
  linspace,
  liveTensors,
  manualSeed,
  onesLike,
  randint,
  randLike,
  randnLike,
  type Tensor,
  tidy,
  TorchError,
  zerosLike,
} from "../mod.ts";
import { type EncodedTensor, expectTensor, fromEncoded, readFixture } from "./helpers.ts";

interface OpCase {
  name: string;
  op: string;
  inputs: EncodedTensor[];
  args: any[];
  expected?: EncodedTensor;
  upstream?: EncodedTensor;
  grads?: (EncodedTensor | null)[];
  error?: string;
}
interface Creation {
  fn: "randint" | "randLike" | "randnLike" | "zerosLike" | "onesLike" | "eye" | "linspace";
  seed?: number;
  args: any[];
  source?: EncodedTensor;
  expected: EncodedTensor;
}

const fixtures = readFixture<{ cases: OpCase[]; creations: Creation[] }>("math_ops.json");

type Apply = (inputs: Tensor[], args: any[]) => Tensor;
type UnaryName = "silu" | "sin" | "cos" | "floor" | "ceil" | "round" | "sign" | "reciprocal" | "rsqrt";
const UNARY: UnaryName[] = ["silu", "sin", "cos", "floor", "ceil", "round", "sign", "reciprocal", "rsqrt"];
const norms: Record<string, number> = { inf: Infinity, "-inf": -Infinity };

// How each fixture op name maps onto torchffi's API (null in args: PyTorch's default).
const ops: Record<string, Apply> = {
  ...Object.fromEntries(UNARY.map((n): [string, Apply] => [n, ([a]) => a[n]()])),
  gelu: ([a], [mode]) => a.gelu(mode),
  leakyRelu: ([a], [slope]) => (slope === null ? a.leakyRelu() : a.leakyRelu(slope)),
  softplus: ([a], [beta, threshold]) => a.softplus(beta ?? undefined, threshold ?? undefined),
  minimum: ([a, b]) => a.minimum(b),
  maximum: ([a, b]) => a.maximum(b),
  bmm: ([a, b]) => a.bmm(b),
  einsum: (inputs, [equation]) => einsum(equation, ...inputs),
  cumsum: ([a], [dim]) => a.cumsum(dim),
  cumprod: ([a], [dim]) => a.cumprod(dim),
  prod: ([a], [dim, keepdim]) => a.prod(dim ?? undefined, keepdim),
  std: ([a], [dims, unbiased, keepdim]) => a.std(dims ?? undefined, { unbiased: unbiased ?? undefined, keepdim: keepdim ?? undefined }),
  var: ([a], [dims, unbiased, keepdim]) => a.var(dims ?? undefined, { unbiased: unbiased ?? undefined, keepdim: keepdim ?? undefined }),
  norm: ([a], [p, dims, keepdim]) => a.norm(p === null ? undefined : norms[p] ?? Number(p), dims ?? undefined, keepdim),
  logsumexp: ([a], [dim, keepdim]) => a.logsumexp(dim, keepdim),
  avgPool2d: ([a], [kernel, options]) => a.avgPool2d(kernel, options as AvgPool2dOptions),
  adaptiveAvgPool2d: ([a], [size]) => a.adaptiveAvgPool2d(size),
};

const isFloat = (t: Tensor) => t.dtype === "float32" || t.dtype === "float64";

describe("more maths matches PyTorch", () => {
  test("every fixture op is mapped, and each has forward, backward and refusal cases", () => {
    expect(fixtures.cases.filter((c) => !(c.op in ops)).map((c) => c.op)).toEqual([]);
    expect(fixtures.cases.filter((c) => c.grads).length).toBeGreaterThan(50);
    expect(fixtures.cases.filter((c) => c.error).length).toBeGreaterThan(8);
  });

  for (const c of fixtures.cases.filter((c) => !c.error)) {
    test(`${c.name}${c.grads ? " (with gradients)" : ""}`, () => {
      tidy(() => {
        const inputs = c.inputs.map(fromEncoded);
        if (c.grads) for (const x of inputs) if (isFloat(x)) x.requiresGrad = true;
        const out = ops[c.op](inputs, c.args);
        expectTensor(out, c.expected!, 1e-6, 1e-6);
        if (!c.grads) return;
        out.backward(fromEncoded(c.upstream!));
        c.grads.forEach((grad, i) => {
          if (grad === null) expect(inputs[i].grad).toBeNull();
          else expectTensor(inputs[i].grad!, grad, 1e-5, 1e-6);
        });
      });
    });
  }

  for (const c of fixtures.cases.filter((c) => c.error)) {
    test(`${c.name}: a TorchError in LibTorch's words, nothing leaked`, () => {
      tidy(() => {
        const inputs = c.inputs.map(fromEncoded);
        const before = liveTensors();
        let caught: unknown;
        try {
          ops[c.op](inputs, c.args);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(TorchError);
        const error = caught as TorchError;
        expect(error.op).toBe(c.op);
        expect(error.detail).toContain(c.error!);
        expect(liveTensors()).toBe(before);
      });
    });
  }
});

describe("more creation matches PyTorch", () => {
  const makers: Record<Creation["fn"], (c: Creation) => Tensor> = {
    randint: ({ args: [low, high, shape, dtype] }) => randint(low, high, shape, dtype),
    randLike: (c) => randLike(fromEncoded(c.source!), c.args[0] as DType | undefined),
    randnLike: (c) => randnLike(fromEncoded(c.source!), c.args[0] as DType | undefined),
    zerosLike: (c) => zerosLike(fromEncoded(c.source!), c.args[0] as DType | undefined),
    onesLike: (c) => onesLike(fromEncoded(c.source!), c.args[0] as DType | undefined),
    eye: ({ args: [n, m, dtype] }) => eye(n, m, dtype),
    linspace: ({ args: [start, end, steps, dtype] }) => linspace(start, end, steps, dtype),
  };
  for (const c of fixtures.creations) {
    test(`${c.fn}(${JSON.stringify(c.args).slice(1, -1)})${c.seed === undefined ? "" : ` after manualSeed(${c.seed})`}`, () => {
      tidy(() => {
        // The source is made before seeding: making it draws nothing, but keep the order PyTorch had.
        const make = () => makers[c.fn](c);
        if (c.seed !== undefined) manualSeed(c.seed);
        expectTensor(make(), c.expected);
      });
    });
  }

  test("bad sizes and bounds are TorchErrors naming the function, and nothing leaks", () => {
    tidy(() => {
      const square = eye(2);
      const before = liveTensors();
      expect(() => eye(-1)).toThrow(/eye: n must be a non-negative integer/);
      expect(() => eye(2, 1.5)).toThrow(/eye: m must be a non-negative integer/);
      expect(() => linspace(0, 1, -2)).toThrow(/linspace: steps must be a non-negative integer/);
      expect(() => linspace(NaN, 1, 2)).toThrow(/linspace: start must be a finite number/);
      expect(() => randint(5, 5, [2])).toThrow(/randint: .*from=5 >= to=5|randint: random_ expects 'from' to be less than 'to'/);
      expect(() => randint(0, 2.5, [2])).toThrow(/randint: high must be an integer/);
      expect(() => randint(0, 3, [-1])).toThrow(/randint: negative dimension -1/);
      expect(() => zerosLike([1, 2] as unknown as Tensor)).toThrow(/zerosLike: expected a Tensor/);
      expect(() => einsum("ij->ji")).toThrow(/einsum: expected at least one tensor/);
      expect(() => einsum(3 as unknown as string, square)).toThrow(/einsum: the equation must be a string/);
      expect(liveTensors()).toBe(before);
    });
  });
});
