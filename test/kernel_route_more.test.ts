// The direct CPU-kernel route (csrc/kernel_route.h) of the newer elementwise
// ops and of the in-place ops, held to the dispatcher's route: the same
// results bit for bit, the same errors, and autograd still told about every
// in-place change. Values against PyTorch are in math_ops.test.ts and inplace.test.ts.
import { describe, expect, test } from "vitest";
import { liveTensors, manualSeed, noGrad, rand, randn, type Tensor, tensor, tidy, TorchError } from "../mod.ts";
import { contents, errorOf, needingGrad } from "./helpers.ts";

type Unary = "silu" | "sin" | "cos" | "floor" | "ceil" | "round" | "sign" | "reciprocal" | "rsqrt" | "gelu" | "leakyRelu" | "softplus";
const UNARY: Unary[] = ["silu", "sin", "cos", "floor", "ceil", "round", "sign", "reciprocal", "rsqrt", "gelu", "leakyRelu", "softplus"];
const INPLACE = ["add_", "sub_", "mul_", "div_"] as const;

describe("direct kernel route of the newer ops", () => {
  test("unary ops and activations: bit-identical on both routes, float32 and float64, on a transposed view", () => {
    tidy(() => {
      manualSeed(21);
      for (const dtype of ["float32", "float64"] as const) {
        // Enough elements for the vectorized loops, and halves for round().
        const a = randn([40, 3], dtype).mul(3).add(tensor([0.5, -1.5, 0])).t();
        for (const op of UNARY) {
          expect(contents(a[op]()), `${op} ${dtype}`).toEqual(contents(needingGrad(a)[op]()));
        }
        expect(contents(a.gelu("tanh"))).toEqual(contents(needingGrad(a).gelu("tanh")));
        expect(contents(a.leakyRelu(0.3))).toEqual(contents(needingGrad(a).leakyRelu(0.3)));
        expect(contents(a.softplus(2, 3))).toEqual(contents(needingGrad(a).softplus(2, 3)));
      }
    });
  });

  test("minimum and maximum: bit-identical on both routes, with broadcasting", () => {
    tidy(() => {
      manualSeed(22);
      const a = randn([5, 4]), b = randn([4]);
      for (const op of ["minimum", "maximum"] as const) {
        expect(contents(a[op](b)), op).toEqual(contents(needingGrad(a)[op](needingGrad(b))));
      }
    });
  });

  test("in-place ops: bit-identical on both routes (the dispatcher's under noGrad), with tensors, numbers and alpha", () => {
    tidy(() => {
      manualSeed(23);
      const base = rand([50, 3]).add(0.5), other = randn([3]);
      for (const op of INPLACE) {
        for (const operand of [other, 2, 0.5, -3]) {
          const plain = base.clone()[op](operand);
          const routed = noGrad(() => needingGrad(base)[op](operand));
          expect(contents(plain), `${op} ${typeof operand}`).toEqual(contents(routed));
        }
      }
      for (const op of ["add_", "sub_"] as const) {
        const plain = base.clone()[op](other, 0.05);
        expect(contents(plain), op).toEqual(contents(noGrad(() => needingGrad(base)[op](other, 0.05))));
      }
    });
  });

  test("the same LibTorch errors on both routes, the receiver unchanged, nothing leaked", () => {
    tidy(() => {
      const a = tensor([[1, 2, 3]], undefined, "int64"), b = tensor([0.5, 1, 2]), column = tensor([[1], [2]]);
      const gb = needingGrad(b);
      const before = liveTensors();
      const plain = errorOf(() => a.add_(b));
      expect(plain).toBe("add_: result type Float can't be cast to the desired output type Long");
      expect(errorOf(() => noGrad(() => a.add_(gb)))).toBe(plain);
      expect(errorOf(() => b.mul_(column))).toContain("output with shape [3] doesn't match the broadcast shape [2, 3]");
      expect(errorOf(() => noGrad(() => gb.mul_(column)))).toContain("output with shape [3] doesn't match the broadcast shape [2, 3]");
      expect(liveTensors()).toBe(before);
      expect(a.toArray()).toEqual([[1, 2, 3]]);
      expect(b.toArray()).toEqual([0.5, 1, 2]);
    });
  });

  test("an in-place change on the direct route still bumps the version autograd checks", () => {
    tidy(() => {
      const x = tensor([1, 2, 3]);
      const w = tensor([1, 1, 1]);
      w.requiresGrad = true;
      const y = w.mul(x).sum();
      x.mul_(2);
      expect(errorOf(() => y.backward())).toContain("has been modified by an inplace operation");
      // Without the in-place change the same graph differentiates.
      const z = w.mul(x).sum();
      z.backward();
      expect(w.grad!.toArray()).toEqual([2, 4, 6]);
    });
  });
});
