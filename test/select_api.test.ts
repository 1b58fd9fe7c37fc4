// The selection and shape ops beyond their numbers (those are in
// select_ops.test.ts): arguments refused before any C call, ops that hand out
// many tensors at once, memory in long loops, both routes of the ops with a
// CPU kernel, and toJSON's edge cases.
import { describe, expect, test } from "vitest";
import { arange, liveTensors, ones, randn, type Tensor, tensor, tidy, TorchError, where, zeros } from "../mod.ts";
import { torchErrorFrom } from "./helpers.ts";

describe("arguments of the wrong kind are TorchErrors naming the op", () => {
  test("non-integer dims, counts and bounds", () => {
    tidy(() => {
      const x = randn([3, 4]), index = zeros([1, 1], "int64");
      const cases: [() => unknown, string, string][] = [
        [() => x.topk(1.5), "topk", "1.5"],
        [() => x.topk(1, { dim: NaN }), "topk", "NaN"],
        [() => x.sort({ dim: 0.5 }), "sort", "0.5"],
        [() => x.argsort({ dim: Infinity }), "argsort", "Infinity"],
        [() => x.argmin(2 ** 53), "argmin", String(2 ** 53)],
        [() => x.maxAlong(-0.5), "maxAlong", "-0.5"],
        [() => x.minAlong(NaN), "minAlong", "NaN"],
        [() => x.gather(1.5, index), "gather", "1.5"],
        [() => x.slice(0, 1.5), "slice", "start must be an integer"],
        [() => x.slice(0, 0, NaN), "slice", "end must be an integer"],
        [() => x.slice(0, 0, 2, 0.5), "slice", "0.5"],
        [() => x.split(1.5), "split", "1.5"],
        [() => x.split([1, 2.5]), "split", "2.5"],
        [() => x.chunk(NaN), "chunk", "NaN"],
        [() => x.roll([1, NaN], [0, 1]), "roll", "NaN"],
        [() => x.flip([0.5]), "flip", "0.5"],
        [() => x.expand([3, 4.5]), "expand", "4.5"],
        [() => x.repeat([1, -0.5]), "repeat", "-0.5"],
        [() => x.tril(0.5), "tril", "0.5"],
        [() => x.triu(Infinity), "triu", "Infinity"],
      ];
      for (const [fn, op, words] of cases) {
        const error = torchErrorFrom(fn);
        expect(error.op).toBe(op);
        expect(error.detail).toContain(words);
      }
    });
  });

  test("tensors that are not tensors, and numbers where a tensor is needed", () => {
    tidy(() => {
      const x = randn([3]), cond = x.gt(0), index = zeros([1], "int64");
      const cases: [() => unknown, string, string][] = [
        [() => where(cond, "1" as unknown as number, 0), "where", "expected a Tensor or a number, got string"],
        [() => where(null as unknown as Tensor, x, 0), "where", "got null"],
        [() => where(cond, x, [1, 2, 3] as unknown as Tensor), "where", "wrap it with tensor()"],
        [() => x.maskedFill(cond, "0" as unknown as number), "maskedFill", "value must be a number or a Tensor, got string"],
        [() => x.maskedFill(null as unknown as Tensor, 0), "maskedFill", "got null"],
        [() => x.scatterAdd(0, index, 1 as unknown as Tensor), "scatterAdd", "src must be a Tensor"],
        [() => x.scatter(0, index, undefined as unknown as number), "scatter", "got undefined"],
        [() => x.ge("1" as unknown as number), "ge", "got string"],
        [() => x.expandAs({} as Tensor), "expandAs", "Object"],
        [() => x.split("2" as unknown as number), "split", "expected an array of integers"],
        [() => x.repeat(2 as unknown as number[]), "repeat", "expected an array of integers"],
      ];
      for (const [fn, op, words] of cases) {
        const error = torchErrorFrom(fn);
        expect(error.op).toBe(op);
        expect(error.detail).toContain(words);
      }
    });
  });

  test("a repeat to a size past 2^53 is refused before LibTorch wraps it around or JavaScript rounds it", () => {
    tidy(() => {
      // LibTorch multiplies 2^40 by 2^30 unchecked and then complains about a size of 0.
      const huge = ones([1]).expand([2 ** 40]);
      expect(torchErrorFrom(() => huge.repeat([2 ** 30])).detail).toContain("more than 2^53");
      // Empty, but its first size would have no exact number.
      const small = zeros([4, 3], "bool");
      const error = torchErrorFrom(() => small.repeat([2 ** 53 - 1, 0]));
      expect(error.op).toBe("repeat");
      expect(error.detail).toBe(`4 x ${2 ** 53 - 1} entries along dim 0 are more than 2^53`);
      expect(ones([2]).repeat([3]).shape).toEqual([6]);
    });
  });

  test("expand refuses the negative sizes LibTorch 1.13 lets through", () => {
    tidy(() => {
      const scalar = tensor(1), row = tensor([1, 2]);
      // PyTorch 1.13 returns a tensor of shape [0, -1, -5] for this.
      expect(torchErrorFrom(() => scalar.expand([0, -1, -5])).detail).toBe(
        "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 1",
      );
      expect(torchErrorFrom(() => row.expand([0, -3])).detail).toBe("The expanded size of the tensor (-3) isn't allowed at dimension 1");
      expect(row.expand([0, -1]).shape).toEqual([0, 2]);
    });
  });

  test("split and chunk refuse more pieces than memory holds, before making any", () => {
    tidy(() => {
      // Both would exhaust memory in PyTorch: 2^31 empty chunks, 2^40 single entries.
      const empty = zeros([4, 0]), wide = ones([1]).expand([2 ** 40]);
      expect(torchErrorFrom(() => empty.chunk(2 ** 31, 1)).detail).toBe(`that makes ${2 ** 31} pieces; one call hands out at most ${2 ** 20}`);
      expect(torchErrorFrom(() => wide.split(1)).detail).toContain(`that makes ${2 ** 40} pieces`);
      expect(torchErrorFrom(() => wide.chunk(2 ** 21)).op).toBe("chunk");
      // Up to the limit, and an empty dim still gives the chunks asked for, as in PyTorch.
      expect(empty.chunk(3, 1).map((p) => p.shape)).toEqual([[4, 0], [4, 0], [4, 0]]);
      expect(wide.split(2 ** 20 * 2 ** 20).length).toBe(1);
    });
  });

  test("using a disposed tensor", () => {
    const x = randn([3]);
    x.dispose();
    for (const fn of [() => x.topk(1), () => x.split(1), () => JSON.stringify(x), () => where(x.gt(0), 1, 0)]) {
      expect(torchErrorFrom(fn).detail).toContain("disposed");
    }
  });
});

describe("ops that hand out many tensors", () => {
  test("split and chunk into more pieces than the first out buffer holds", () => {
    tidy(() => {
      const x = arange(150);
      for (const pieces of [x.split(1), x.chunk(150), x.split(Array(150).fill(1))]) {
        expect(pieces.length).toBe(150);
        pieces.forEach((p, i) => {
          expect(p.shape).toEqual([1]);
          expect(p.item()).toBe(i);
        });
      }
      // And back to a few pieces after the buffer grew.
      expect(x.chunk(2).map((p) => p.shape)).toEqual([[75], [75]]);
    });
  });

  test("each result of topk, sort, maxAlong, minAlong and split is its own handle", () => {
    const before = liveTensors();
    const x = randn([4, 5]);
    const results = [x.topk(2), x.sort(), x.maxAlong(0), x.minAlong(1)];
    const pieces = x.split(2);
    expect(liveTensors() - before).toBe(1 + 2 * results.length + pieces.length);
    for (const { values, indices } of results) {
      expect(indices.dtype).toBe("int64");
      values.dispose();
      indices.dispose();
    }
    for (const p of pieces) p.dispose();
    x.dispose();
    expect(liveTensors()).toBe(before);
  });

  test("a long loop of every op keeps liveTensors() flat", () => {
    const x = randn([6, 8]);
    x.requiresGrad = true;
    const step = () =>
      tidy(() => {
        const { values } = x.topk(3);
        const sorted = x.sort({ dim: 0 }).values;
        const picked = x.gather(1, x.argsort().slice(1, 0, 2));
        const filled = where(x.ge(0), x, x.mul(0.1)).maskedFill(x.ne(x), 0);
        const parts = x.split([2, 4], 0).concat(x.chunk(3, 1));
        let loss = values.sum().add(sorted.tril().sum()).add(picked.sum()).add(filled.sum());
        for (const p of parts) loss = loss.add(p.flip([0]).roll(1, 1).sum());
        loss = loss.add(x.expand([2, 6, 8]).repeat([1, 1, 2]).sum()).add(x.maxAlong(1).values.sum());
        loss.backward();
        x.zeroGrad();
      });
    for (let i = 0; i < 20; i++) step();
    const before = liveTensors();
    for (let i = 0; i < 300; i++) step();
    expect(liveTensors()).toBe(before);
    x.dispose();
  });
});

describe("ops with a CPU kernel: the direct route and the dispatcher's agree", () => {
  // An input that needs a gradient sends an op through the dispatcher (and
  // autograd); plain inputs go straight to LibTorch's CPU kernel (csrc/kernel_route.h).
  function needingGrad(t: Tensor): Tensor {
    const copy = t.clone();
    copy.requiresGrad = true;
    return copy;
  }

  type Outputs = Tensor | Tensor[] | { values: Tensor; indices: Tensor };
  const flat = (r: Outputs): Tensor[] => (Array.isArray(r) ? r : "values" in r ? [r.values, r.indices] : [r as Tensor]);
  const int64 = (data: number[][]) => tensor(data, undefined, "int64");

  // Each op on x ([3, 4], sometimes strided), and a call of it that LibTorch refuses.
  const ops: [string, (x: Tensor) => Outputs, (x: Tensor) => Outputs][] = [
    ["ge", (x) => x.ge(x.get(0)), (x) => x.ge(zeros([2]))],
    ["le", (x) => x.le(0.25), (x) => x.le(zeros([5]))],
    ["ne", (x) => x.ne(x.t().t()), (x) => x.ne(zeros([3, 3]))],
    ["where", (x) => where(x.gt(0), x, x.neg()), (x) => where(x.gt(0), x, zeros([2]))],
    ["gather", (x) => x.gather(1, int64([[3, 0], [1, 1], [2, 0]])), (x) => x.gather(1, int64([[4]]))],
    ["scatter", (x) => x.scatter(0, int64([[2, 0, 1, 0]]), ones([1, 4])), (x) => x.scatter(0, int64([[3]]), ones([1, 1]))],
    ["scatter a number", (x) => x.scatter(1, int64([[1], [2], [3]]), 7), (x) => x.scatter(1, int64([[-1]]), 7)],
    ["scatterAdd", (x) => x.scatterAdd(0, int64([[0, 0, 2, 2]]), ones([1, 4])), (x) => x.scatterAdd(2, int64([[0]]), ones([1, 1]))],
    ["topk", (x) => x.topk(2, { dim: 0, largest: false }), (x) => x.topk(5)],
    ["sort", (x) => x.sort({ descending: true }), (x) => x.sort({ dim: 2 })],
    ["argsort", (x) => x.argsort({ dim: 0, stable: true }), (x) => x.argsort({ dim: -3 })],
    ["argmin", (x) => [x.argmin(), x.argmin(1, true)], (x) => x.argmin(2)],
    ["maxAlong", (x) => x.maxAlong(1), (x) => x.maxAlong(3)],
    ["minAlong", (x) => x.minAlong(0, true), (x) => x.minAlong(-3)],
    ["flip", (x) => x.flip([0, 1]), (x) => x.flip([0, 0])],
    ["roll", (x) => [x.roll(3), x.roll([1, -2], [0, 1])], (x) => x.roll([1, 2], [0])],
    ["tril", (x) => x.tril(1), (x) => x.get(0).tril()],
    ["triu", (x) => x.triu(-1), (x) => x.get(0).get(0).triu()],
  ];

  for (const [name, op, refused] of ops) {
    test(name, () => {
      tidy(() => {
        for (const x of [randn([3, 4]), randn([4, 3]).t()]) {
          const direct = flat(op(x)), routed = flat(op(needingGrad(x)));
          expect(routed.map((t) => t.dtype)).toEqual(direct.map((t) => t.dtype));
          expect(routed.map((t) => t.toArray())).toEqual(direct.map((t) => t.toArray()));
          const withGrad = needingGrad(x);
          // tidy() frees the arguments the call made; a leak would be the failed op's own.
          const [viaDispatcher, plain] = [withGrad, x].map((input) => torchErrorFrom(() => tidy(() => refused(input))));
          expect(viaDispatcher.detail).toBe(plain.detail);
          expect(viaDispatcher.op).toBe(plain.op);
        }
      });
    });
  }

  test("an input besides the first that needs a gradient also takes the dispatcher, and gets its gradient", () => {
    tidy(() => {
      const x = randn([3, 4]), src = needingGrad(ones([1, 4])), other = needingGrad(zeros([3, 4]));
      x.scatterAdd(0, int64([[0, 1, 2, 0]]), src).sum().backward();
      expect(src.grad?.toArray()).toEqual([[1, 1, 1, 1]]);
      where(x.gt(0), x, other).sum().backward();
      expect(other.grad?.toArray()).toEqual(x.le(0).to("float32").toArray());
    });
  });
});

describe("toJSON", () => {
  test("NaN and infinities become null, as JSON.stringify writes them for numbers", () => {
    tidy(() => {
      const t = tensor([NaN, Infinity, -1.5]);
      expect(JSON.stringify(t)).toBe(JSON.stringify([NaN, Infinity, -1.5]));
      expect(JSON.stringify(t)).toBe("[null,null,-1.5]");
    });
  });

  test("a tensor inside an object is written as its values, not its internals", () => {
    tidy(() => {
      const t = randn([2, 2]);
      const parsed = JSON.parse(JSON.stringify({ weight: t, step: 3 }));
      expect(parsed).toEqual({ weight: t.toArray(), step: 3 });
      expect(Object.keys(parsed)).toEqual(["weight", "step"]);
    });
  });
});
