// In-place ops (add_, sub_, ..., normal_) and gradient clipping against
// PyTorch (fixtures: test/fixtures/make_math_fixtures.py), autograd's rules for
// them, their use on Memory parameters and gradients, and a hand-written SGD
// step that matches applyGradsSgd bit for bit.
import { describe, expect, test } from "vitest";
import {
  clipGradNorm,
  clipGradValue,
  Linear,
  liveTensors,
  manualSeed,
  Memory,
  mse,
  noGrad,
  randn,
  type Tensor,
  tensor,
  tidy,
  TorchError,
  zeros,
} from "../mod.ts";
import { type EncodedTensor, expectTensor, fromEncoded, readFixture } from "./helpers.ts";

interface InplaceCase {
  name: string;
  op: "add_" | "sub_" | "mul_" | "div_" | "zero_" | "fill_" | "copy_" | "clamp_";
  receiver: EncodedTensor;
  operand: EncodedTensor | number | number[] | null;
  alpha: number | null;
  expected?: EncodedTensor;
  error?: string;
}
interface RandomFill {
  seed: number;
  op: "uniform_" | "normal_";
  args: [number, number];
  shape: number[];
  dtype?: "float64";
  expected: EncodedTensor;
}
interface Clip {
  kind: "norm" | "value";
  max: number;
  normType: number | "inf" | null;
  total: number | null;
  grads: (EncodedTensor | null)[];
}
interface Fixtures {
  inplace: InplaceCase[];
  randomFills: RandomFill[];
  clips: Clip[];
  clipParams: EncodedTensor[];
  clipGrads: (EncodedTensor | null)[];
}

const fixtures = readFixture<Fixtures>("math_ops.json");

type Operand = Tensor | number | number[] | null;

/** The fixture's operand, built before the call so a leak check counts only the call. */
function operandOf(c: InplaceCase): Operand {
  const o = c.operand;
  return o === null || typeof o === "number" || Array.isArray(o) ? o : fromEncoded(o);
}

function applyInplace(c: InplaceCase, receiver: Tensor, o: Operand): Tensor {
  switch (c.op) {
    case "zero_": return receiver.zero_();
    case "fill_": return receiver.fill_(o as number);
    case "clamp_": return receiver.clamp_(...(o as [number, number]));
    case "copy_": return receiver.copy_(o as Tensor);
    case "add_":
    case "sub_": return c.alpha === null ? receiver[c.op](o as Tensor | number) : receiver[c.op](o as Tensor, c.alpha);
    default: return receiver[c.op](o as Tensor | number);
  }
}

/** The TorchError fn throws. */
function thrown(fn: () => unknown): TorchError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TorchError);
    return error as TorchError;
  }
  throw new Error("expected an error, nothing was thrown");
}

describe("in-place ops match PyTorch", () => {
  for (const c of fixtures.inplace) {
    test(c.name, () => {
      tidy(() => {
        const receiver = fromEncoded(c.receiver);
        const operand = operandOf(c);
        if (c.error) {
          const before = liveTensors();
          const error = thrown(() => applyInplace(c, receiver, operand));
          expect(error.op).toBe(c.op);
          expect(error.detail).toContain(c.error);
          // A refused op leaves the receiver as it was and leaks nothing.
          expectTensor(receiver, c.receiver, 0, 0);
          expect(liveTensors()).toBe(before);
        } else {
          const result = applyInplace(c, receiver, operand);
          expect(result).toBe(receiver);
          expectTensor(receiver, c.expected!, 0, 0);
        }
      });
    });
  }

  for (const f of fixtures.randomFills) {
    test(`${f.op}(${f.args.join(", ")}) on ${f.dtype ?? "float32"}[${f.shape}] after manualSeed(${f.seed})`, () => {
      tidy(() => {
        const t = zeros(f.shape, f.dtype);
        manualSeed(f.seed);
        expect(t[f.op](...f.args)).toBe(t);
        expectTensor(t, f.expected, 0, 0);
      });
    });
  }

  test("bad bounds and arguments are TorchErrors, in LibTorch's words where it checks", () => {
    tidy(() => {
      const t = tensor([1, 2, 3]);
      const before = liveTensors();
      expect(thrown(() => t.uniform_(1, 0)).detail).toMatch(/uniform_ expects to return a \[from, to\) range, but found from=1 > to=0/);
      expect(thrown(() => t.normal_(0, -1)).detail).toMatch(/normal expects std >= 0.0, but found std -1/);
      expect(thrown(() => t.add_(2, 3)).message).toBe("add_: alpha applies to a tensor operand; scale the number instead");
      expect(thrown(() => t.clamp_(NaN, 1)).message).toBe("clamp_: min must be a number, got NaN");
      expect(thrown(() => t.fill_("2" as unknown as number)).message).toBe("fill_: value must be a number, got string");
      expect(thrown(() => t.add_([1] as unknown as Tensor)).message).toMatch(/add_: expected a Tensor or a number, got an array/);
      expect(thrown(() => t.copy_(null as unknown as Tensor)).message).toMatch(/copy_: expected a Tensor or a number, got null/);
      expect(liveTensors()).toBe(before);
      expect(t.toArray()).toEqual([1, 2, 3]);
    });
  });
});

describe("in-place ops follow autograd's rules", () => {
  test("a leaf that requires grad is refused outside noGrad, with LibTorch's message, and is unchanged", () => {
    tidy(() => {
      const w = tensor([1, 2, 3]);
      w.requiresGrad = true;
      for (const op of ["add_", "sub_", "mul_", "div_"] as const) {
        const error = thrown(() => w[op](2));
        expect(error.message).toBe(`${op}: a leaf Variable that requires grad is being used in an in-place operation.`);
      }
      expect(thrown(() => w.zero_()).detail).toContain("a leaf Variable that requires grad is being used in an in-place operation");
      expect(thrown(() => w.normal_()).detail).toContain("a leaf Variable that requires grad is being used in an in-place operation");
      expect(w.detach().toArray()).toEqual([1, 2, 3]);
      noGrad(() => w.mul_(2).add_(tensor([1, 1, 1])));
      expect(w.detach().toArray()).toEqual([3, 5, 7]);
      expect(w.requiresGrad).toBe(true);
    });
  });

  test("overwriting a tensor saved for backward makes backward fail, on both routes", () => {
    tidy(() => {
      for (const plain of [true, false]) {
        const x = tensor([1, 2, 3]);
        const w = tensor([4, 5, 6]);
        w.requiresGrad = true;
        const y = x.mul(w).sum(); // saves x for w's gradient
        // A plain x takes the direct kernel route; one added to a recorded graph takes the dispatcher's.
        if (plain) x.add_(1);
        else x.add_(w);
        expect(thrown(() => y.backward()).detail).toContain("has been modified by an inplace operation");
      }
    });
  });

  test("an in-place op on a non-leaf is recorded and differentiated as in PyTorch", () => {
    tidy(() => {
      const w = tensor([1, 2, 3]);
      w.requiresGrad = true;
      const h = w.mul(2);
      h.mul_(w).add_(1); // h = 2w² + 1
      h.sum().backward();
      expect(w.grad!.toArray()).toEqual([4, 8, 12]);
    });
  });

  test("gradients can be changed in place; views share the change", () => {
    tidy(() => {
      const w = tensor([1, 2, 3, 4]);
      w.requiresGrad = true;
      w.mul(w).sum().backward();
      noGrad(() => w.grad!.mul_(0.5));
      expect(w.grad!.toArray()).toEqual([1, 2, 3, 4]);
      w.grad!.view([2, 2]).get(0).zero_();
      expect(w.grad!.toArray()).toEqual([0, 0, 3, 4]);
    });
  });
});

describe("in-place ops on Memory parameters", () => {
  test("p.sub_(grad, lr) under noGrad matches applyGradsSgd bit for bit, over several steps; sub_(grad.mul(lr)) rounds twice", () => {
    const run = (byHand: "alpha" | "mul" | null) => {
      manualSeed(11);
      const mem = new Memory();
      const l1 = new Linear(mem, 6, 5), l2 = new Linear(mem, 5, 3);
      const x = randn([8, 6]), y = randn([8, 3]);
      const lr = 0.05;
      for (let step = 0; step < 4; step++) {
        tidy(() => {
          mse(y, l2.forward(mem, l1.forward(mem, x).tanh())).backward();
          if (!byHand) return mem.applyGradsSgd(lr);
          noGrad(() => {
            for (let id = 0; id < mem.size; id++) {
              const p = mem.get(id);
              expect(byHand === "alpha" ? p.sub_(p.grad!, lr) : p.sub_(p.grad!.mul(lr))).toBe(p);
            }
          });
          mem.zeroGrad();
        });
      }
      const values = tidy(() => Array.from({ length: mem.size }, (_, id) => Array.from(mem.get(id).detach().toTypedArray() as Float32Array)));
      x.dispose(), y.dispose(), mem.dispose();
      return values;
    };
    const before = liveTensors();
    const fused = run(null), byHand = run("alpha"), twoRoundings = run("mul");
    expect(byHand).toEqual(fused);
    // The same update rounded twice (lr * grad, then the subtraction) stays within float32 noise of it.
    twoRoundings.flat().forEach((v, i) => expect(Math.abs(v - fused.flat()[i])).toBeLessThan(1e-6));
    expect(liveTensors()).toBe(before);
  });

  test("a parameter changed in place is changed in the store (what forward reads)", () => {
    const mem = new Memory();
    const id = mem.push(tensor([1, 2]));
    mem.get(id).fill_(5);
    expect(mem.get(id).toArray()).toEqual([5, 5]);
    mem.dispose();
  });

  test("a parameter re-initialised in place under noGrad gets the generator's numbers and still trains", () => {
    tidy(() => {
      const mem = new Memory();
      const id = mem.newPush([3, 4]);
      const p = mem.get(id);
      manualSeed(5);
      expect(() => p.normal_(0, 0.02)).toThrow(/a leaf Variable that requires grad/);
      noGrad(() => p.normal_(0, 0.02).add_(1));
      manualSeed(5);
      expect(p.detach().toArray()).toEqual(zeros([3, 4]).normal_(0, 0.02).add_(1).toArray());
      expect(p.requiresGrad).toBe(true);
      p.sum().backward();
      expect(p.grad!.toArray()).toEqual(zeros([3, 4]).fill_(1).toArray());
      mem.dispose();
    });
  });

  test("a loop of in-place steps keeps liveTensors() flat", () => {
    const mem = new Memory();
    const id = mem.newPush([4, 4]);
    const p = mem.get(id);
    const start = liveTensors();
    for (let i = 0; i < 200; i++) {
      tidy(() => {
        p.mul(p).sum().backward();
        clipGradNorm(mem, 1);
        noGrad(() => p.sub_(p.grad!, 0.01).clamp_(-3, 3));
        mem.zeroGrad();
      });
    }
    expect(liveTensors()).toBe(start);
    mem.dispose();
  });
});

describe("gradient clipping matches torch.nn.utils", () => {
  /** A Memory holding the fixture's parameters with exactly the fixture's gradients. */
  function storeWithGrads(): Memory {
    const mem = new Memory();
    fixtures.clipParams.forEach((encoded, i) => {
      const p = fromEncoded(encoded);
      p.requiresGrad = true;
      mem.push(p);
      p.dispose();
      const grad = fixtures.clipGrads[i];
      // backward of sum(p * g) leaves exactly g in p.grad.
      if (grad) tidy(() => mem.get(i).mul(fromEncoded(grad)).sum().backward());
    });
    return mem;
  }

  for (const c of fixtures.clips) {
    const label = c.kind === "norm" ? `clipGradNorm(mem, ${c.max}, ${c.normType})` : `clipGradValue(mem, ${c.max})`;
    test(`${label}: the same total and the same gradients, bit for bit`, () => {
      const mem = storeWithGrads();
      const before = liveTensors();
      if (c.kind === "norm") {
        const normType = c.normType === "inf" ? Infinity : c.normType!;
        const total = clipGradNorm(mem, c.max, normType);
        expect(total).toBe(Math.fround(c.total!));
      } else {
        expect(clipGradValue(mem, c.max)).toBeUndefined();
      }
      expect(liveTensors()).toBe(before);
      c.grads.forEach((grad, i) => {
        tidy(() => {
          if (grad === null) expect(mem.get(i).grad).toBeNull();
          else expectTensor(mem.get(i).grad!, grad, 0, 0);
        });
      });
      mem.dispose();
    });
  }

  test("with no gradients the total is 0 and nothing changes; bad arguments are TorchErrors", () => {
    const mem = new Memory();
    mem.newPush([3]);
    expect(clipGradNorm(mem, 1)).toBe(0);
    expect(thrown(() => clipGradNorm(mem, NaN)).message).toBe("clipGradNorm: maxNorm must be a number, got NaN");
    expect(thrown(() => clipGradNorm(mem, 1, "fro" as unknown as number)).message).toBe("clipGradNorm: normType must be a number, got fro");
    expect(thrown(() => clipGradNorm({} as Memory, 1)).message).toBe("clipGradNorm: expected a Memory, got object");
    expect(thrown(() => clipGradValue(mem, undefined as unknown as number)).message).toBe("clipGradValue: value must be a number, got undefined");
    mem.dispose();
    expect(thrown(() => clipGradNorm(mem, 1)).message).toBe("clipGradNorm: this Memory was disposed");
  });
});
