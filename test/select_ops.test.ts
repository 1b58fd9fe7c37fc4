// Comparison, selection, sorting and shape ops against PyTorch's outputs and
// gradients for the same inputs (fixtures: test/fixtures/make_select_fixtures.py).
import { describe, expect, test } from "vitest";
import { liveTensors, type Tensor, tidy, TorchError, where } from "../mod.ts";
import { type EncodedTensor, expectTensor, fromEncoded, readFixture, torchErrorFrom } from "./helpers.ts";

interface OpCase {
  name: string;
  op: string;
  inputs: EncodedTensor[];
  args: any[];
  grad: number[];
  expected: EncodedTensor[];
  gradOutputs?: (EncodedTensor | null)[];
  grads?: EncodedTensor[];
}
interface Refusal {
  name: string;
  op: string;
  inputs: EncodedTensor[];
  args: any[];
  message: string;
}
interface Fixtures {
  cases: OpCase[];
  errors: Refusal[];
  jsons: { input: EncodedTensor; json: string }[];
}

const fixtures = readFixture<Fixtures>("select_ops.json");

/** Numbers that JSON cannot hold travel as strings (see the fixture script's `arg`). */
function decodeArg(v: unknown): any {
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return Array.isArray(v) ? v.map(decodeArg) : v;
}

type Result = Tensor | Tensor[] | { values: Tensor; indices: Tensor };
type Apply = (inputs: Tensor[], args: any[]) => Result;
type Compare = "ge" | "le" | "ne";

// How each fixture op name maps onto torchffi's API.
const ops: Record<string, Apply> = {
  ...Object.fromEntries((["ge", "le", "ne"] as Compare[]).flatMap((n) => [
    [n, (([a, b]) => a[n](b)) as Apply],
    [`${n}Scalar`, (([a], [x]) => a[n](x)) as Apply],
  ])),
  where: ([c, a, b]) => where(c, a, b),
  whereNumberA: ([c, b], [a]) => where(c, a, b),
  whereNumberB: ([c, a], [b]) => where(c, a, b),
  whereNumbers: ([c], [a, b]) => where(c, a, b),
  maskedFill: ([x, mask], [value]) => x.maskedFill(mask, value),
  maskedFillTensor: ([x, mask, value]) => x.maskedFill(mask, value),
  gather: ([x, index], [dim]) => x.gather(dim, index),
  scatter: ([x, index, src], [dim]) => x.scatter(dim, index, src),
  scatterNumber: ([x, index], [dim, value]) => x.scatter(dim, index, value),
  scatterAdd: ([x, index, src], [dim]) => x.scatterAdd(dim, index, src),
  topk: ([x], [k, options]) => x.topk(k, options),
  sort: ([x], [options]) => x.sort(options),
  argsort: ([x], [options]) => x.argsort(options),
  argmin: ([x], [dim, keepdim]) => x.argmin(dim ?? undefined, keepdim),
  maxAlong: ([x], [dim, keepdim]) => x.maxAlong(dim, keepdim),
  minAlong: ([x], [dim, keepdim]) => x.minAlong(dim, keepdim),
  slice: ([x], [dim, start, end, step]) => x.slice(dim, start, end, step),
  expand: ([x], [shape]) => x.expand(shape),
  expandAs: ([x, other]) => x.expandAs(other),
  repeat: ([x], [reps]) => x.repeat(reps),
  split: ([x], [sizes, dim]) => x.split(sizes, dim),
  chunk: ([x], [n, dim]) => x.chunk(n, dim),
  flip: ([x], [dims]) => x.flip(dims),
  roll: ([x], [shifts, dims]) => x.roll(shifts, dims ?? undefined),
  tril: ([x], [k]) => x.tril(k),
  triu: ([x], [k]) => x.triu(k),
};

function outputsOf(result: Result): Tensor[] {
  if (Array.isArray(result)) return result;
  if ("values" in result && "indices" in result) return [result.values, result.indices];
  return [result as Tensor];
}

describe("selection and shape ops match PyTorch", () => {
  test("every fixture op is mapped, and every op of the fixture script is covered", () => {
    const unmapped = fixtures.cases.filter((c) => !(c.op in ops)).map((c) => c.op);
    expect(unmapped).toEqual([]);
    const used = new Set(fixtures.cases.map((c) => c.op));
    expect(Object.keys(ops).filter((op) => !used.has(op))).toEqual([]);
    expect(fixtures.cases.filter((c) => c.grads).length).toBeGreaterThan(60);
  });

  for (const c of fixtures.cases) {
    test(c.name, () => {
      tidy(() => {
        const inputs = c.inputs.map(fromEncoded);
        for (const i of c.grad) inputs[i].requiresGrad = true;
        const outputs = outputsOf(ops[c.op](inputs, decodeArg(c.args)));
        expect(outputs.length).toBe(c.expected.length);
        outputs.forEach((o, i) => expectTensor(o, c.expected[i]));
        if (!c.gradOutputs || !c.grads) return;
        // Backpropagate sum(output * gradOutput) over the outputs that have a gradient.
        let loss: Tensor | null = null;
        c.gradOutputs.forEach((g, i) => {
          if (!g) return;
          const term = outputs[i].mul(fromEncoded(g)).sum();
          loss = loss ? loss.add(term) : term;
        });
        expect(loss, "a case with gradients has at least one differentiable output").not.toBeNull();
        loss!.backward();
        c.grad.forEach((inputIndex, i) => {
          const grad = inputs[inputIndex].grad;
          expect(grad, `gradient of input ${inputIndex}`).not.toBeNull();
          expectTensor(grad!, c.grads![i]);
        });
      });
    });
  }
});

// LibTorch names a tensor type in a message by its C++ name (CPUFloatType),
// PyTorch by its Python one (torch.FloatTensor); the rest of the words are the same.
function sameTypeNames(message: string): string {
  return message.replace(/\b(CPU\w+Type|torch\.\w+Tensor)\{/g, "<tensor type>{");
}

// The names the fixture gives ops map onto the TorchError's op.
const errorOp: Record<string, string> = {
  whereNumberA: "where",
  whereNumberB: "where",
  whereNumbers: "where",
  maskedFillTensor: "maskedFill",
  scatterNumber: "scatter",
};

describe("bad input: a TorchError with PyTorch's message, nothing leaked, inputs unchanged", () => {
  test("every refusal's op is mapped", () => {
    expect(fixtures.errors.filter((c) => !(c.op in ops)).map((c) => c.op)).toEqual([]);
    expect(fixtures.errors.length).toBeGreaterThan(40);
  });

  for (const c of fixtures.errors) {
    test(`${c.name}: ${c.message}`, () => {
      tidy(() => {
        const inputs = c.inputs.map(fromEncoded);
        const before = inputs.map((t) => JSON.stringify(t));
        const error = torchErrorFrom(() => ops[c.op](inputs, decodeArg(c.args)));
        expect(error.op).toBe(errorOp[c.op] ?? c.op);
        expect(sameTypeNames(error.detail)).toBe(sameTypeNames(c.message));
        expect(error.message).toBe(`${error.op}: ${error.detail}`);
        expect(inputs.map((t) => JSON.stringify(t))).toEqual(before);
      });
    });
  }
});

describe("toJSON", () => {
  for (const { input, json } of fixtures.jsons) {
    test(`JSON.stringify of ${input.dtype}[${input.shape}] gives the values json.dumps(t.tolist()) gives`, () => {
      tidy(() => {
        const t = fromEncoded(input);
        expect(JSON.parse(JSON.stringify(t))).toEqual(JSON.parse(json));
        expect(JSON.parse(JSON.stringify({ nested: [t] }))).toEqual({ nested: [JSON.parse(json)] });
      });
    });
  }
});
