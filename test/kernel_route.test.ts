// Elementwise ops on plain CPU tensors call LibTorch's CPU kernel directly and
// skip the dispatcher (csrc/ops.cpp, plain_cpu); a tensor that needs a gradient
// takes the dispatcher's route through autograd. These tests hold the two routes
// to the same results, the same errors and the same autograd behaviour; the
// values themselves are checked against PyTorch in tensor_ops.test.ts.
import { describe, expect, test } from "vitest";
import { liveTensors, manualSeed, noGrad, rand, randn, type Tensor, tensor, tidy, TorchError } from "../mod.ts";
import { contents, errorOf, needingGrad } from "./helpers.ts";

type Binary = "add" | "sub" | "mul" | "div" | "pow" | "eq" | "gt" | "lt";
type Unary = "neg" | "exp" | "log" | "sqrt" | "relu" | "sigmoid" | "tanh";
const BINARY: Binary[] = ["add", "sub", "mul", "div", "pow", "eq", "gt", "lt"];
const UNARY: Unary[] = ["neg", "exp", "log", "sqrt", "relu", "sigmoid", "tanh"];

describe("plain CPU kernel route", () => {
  test("binary ops give bit-identical results on both routes, broadcast and transposed", () => {
    tidy(() => {
      manualSeed(7);
      const a = rand([3, 4]).add(0.5), b = randn([4]), c = randn([4, 3]).t();
      for (const op of BINARY) {
        for (const other of [b, c]) {
          const plain = a[op](other);
          expect(plain.requiresGrad, op).toBe(false);
          const routed = needingGrad(a)[op](needingGrad(other));
          expect(contents(plain), op).toEqual(contents(routed));
        }
      }
    });
  });

  test("ops with a number give bit-identical results and dtypes on both routes", () => {
    tidy(() => {
      manualSeed(9);
      const a = rand([2, 3]).add(0.5);
      for (const op of BINARY) {
        for (const n of [2, 0.5, -3]) {
          expect(contents(a[op](n)), `${op} ${n}`).toEqual(contents(needingGrad(a)[op](n)));
        }
      }
    });
  });

  test("unary ops give bit-identical results on both routes, on a transposed view", () => {
    tidy(() => {
      manualSeed(8);
      const a = rand([4, 3]).add(0.1).t();
      for (const op of UNARY) {
        expect(contents(a[op]()), op).toEqual(contents(needingGrad(a)[op]()));
      }
    });
  });

  test("LibTorch's error reaches JavaScript unchanged on both routes, and nothing leaks", () => {
    tidy(() => {
      const a = rand([2, 3]), b = rand([4]);
      const ga = needingGrad(a), gb = needingGrad(b);
      const yes = tensor([true], undefined, "bool"), no = tensor([false], undefined, "bool");
      const before = liveTensors();
      const plain = errorOf(() => a.add(b));
      expect(plain).toContain("The size of tensor a (3) must match the size of tensor b (4)");
      expect(errorOf(() => ga.add(gb))).toBe(plain);
      // Raised by the kernel's own argument checks, which the plain route still runs.
      expect(errorOf(() => yes.sub(no))).toContain("Subtraction, the `-` operator, with two bool tensors is not supported");
      expect(liveTensors()).toBe(before);
    });
  });

  test("one input needing a gradient is enough for the op to be recorded", () => {
    tidy(() => {
      const a = tensor([1, 2, 3]);
      const w = tensor([4, 5, 6]);
      w.requiresGrad = true;
      const product = a.mul(w);
      expect(product.requiresGrad).toBe(true);
      product.sum().backward();
      expect(w.grad!.toArray()).toEqual([1, 2, 3]);
    });
  });

  test("under noGrad an input that needs a gradient gives a result that does not", () => {
    tidy(() => {
      const w = tensor([1, 2]);
      w.requiresGrad = true;
      const result = noGrad(() => w.add(w).exp());
      expect(result.requiresGrad).toBe(false);
      expect(result.toArray()).toEqual(contents(w.add(w).exp()).data);
    });
  });

  test("a result of the plain route can itself start needing a gradient", () => {
    tidy(() => {
      const x = tensor([1, 2, 3]).add(tensor([1, 1, 1]));
      x.requiresGrad = true;
      x.mul(x).sum().backward();
      expect(x.grad!.toArray()).toEqual([4, 6, 8]);
    });
  });
});
