// Making tensors from JavaScript data and reading them back: dtype inference,
// explicit dtype and shape, int64 beyond 2^31, scalars, empty tensors, filled tensors.
import { describe, expect, test } from "vitest";
import { type DType, full, liveTensors, ones, type Tensor, tensor, tidy, TorchError, type TypedData, zeros } from "../mod.ts";

/** Runs fn inside tidy() and checks that nothing it made outlives it. */
function scoped(fn: () => void): void {
  const before = liveTensors();
  tidy(fn);
  expect(liveTensors()).toBe(before);
}

function expectMeta(t: Tensor, shape: number[], dtype: DType): void {
  expect([...t.shape]).toEqual(shape);
  expect(t.dtype).toBe(dtype);
  expect(t.ndim).toBe(shape.length);
  expect(t.numel).toBe(shape.reduce((a, b) => a * b, 1));
}

describe("tensor() from JavaScript values", () => {
  test("a number is a float32 scalar", () => {
    scoped(() => {
      const t = tensor(3.25);
      expectMeta(t, [], "float32");
      expect(t.toArray()).toBe(3.25);
      expect(t.item()).toBe(3.25);
    });
  });

  test("a boolean is a bool scalar", () => {
    scoped(() => {
      const t = tensor(true);
      expectMeta(t, [], "bool");
      expect(t.toArray()).toBe(true);
      expect(t.item()).toBe(1);
      expect(tensor(false).item()).toBe(0);
    });
  });

  test("a flat array of numbers is float32", () => {
    scoped(() => {
      const t = tensor([1, -2.5, 3]);
      expectMeta(t, [3], "float32");
      expect(t.toArray()).toEqual([1, -2.5, 3]);
    });
  });

  test("float32 storage rounds values to single precision", () => {
    scoped(() => {
      const t = tensor([0.1]);
      expect(t.toArray()).toEqual([Math.fround(0.1)]);
      expect(t.toArray()).not.toEqual([0.1]);
      expect(tensor([0.1], undefined, "float64").toArray()).toEqual([0.1]);
    });
  });

  test("nested arrays give their shape", () => {
    scoped(() => {
      const data = [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]];
      const t = tensor(data);
      expectMeta(t, [2, 2, 3], "float32");
      expect(t.toArray()).toEqual(data);
      expect(Array.from(t.toFloat32Array())).toEqual(data.flat(2));
    });
  });

  test("arrays of booleans are bool", () => {
    scoped(() => {
      const t = tensor([[true, false], [false, true]]);
      expectMeta(t, [2, 2], "bool");
      expect(t.toArray()).toEqual([[true, false], [false, true]]);
      const typed = t.toTypedArray();
      expect(typed).toBeInstanceOf(Uint8Array);
      expect(Array.from(typed as Uint8Array)).toEqual([1, 0, 0, 1]);
      expect(Array.from(t.toFloat32Array())).toEqual([1, 0, 0, 1]);
    });
  });

  test("an explicit dtype converts the numbers", () => {
    scoped(() => {
      const ints = tensor([[1, 2], [3, 4]], undefined, "int32");
      expectMeta(ints, [2, 2], "int32");
      expect(ints.toArray()).toEqual([[1, 2], [3, 4]]);
      expect(tensor([1.7, -1.7], undefined, "int64").toArray()).toEqual([1, -1]); // truncation, as torch.tensor does
      expect(tensor([0, 2, 0.5], undefined, "bool").toArray()).toEqual([false, true, true]);
      expect(tensor([1, 255], undefined, "uint8").toArray()).toEqual([1, 255]);
      expect(tensor([true, false], undefined, "float64").toArray()).toEqual([1, 0]);
      const doubles = tensor([0.1, 1e300], undefined, "float64");
      expectMeta(doubles, [2], "float64");
      expect(doubles.toArray()).toEqual([0.1, 1e300]);
    });
  });

  test("an explicit shape reshapes the data", () => {
    scoped(() => {
      const t = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
      expectMeta(t, [3, 2], "float32");
      expect(t.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
      expect(tensor([[1, 2, 3], [4, 5, 6]], [6]).toArray()).toEqual([1, 2, 3, 4, 5, 6]);
      expect(tensor(5, [1, 1]).toArray()).toEqual([[5]]);
    });
  });

  test("nan and infinities survive in float tensors", () => {
    scoped(() => {
      const values = tensor([NaN, Infinity, -Infinity]).toArray() as number[];
      expect(values[0]).toBeNaN();
      expect(values.slice(1)).toEqual([Infinity, -Infinity]);
    });
  });
});

describe("tensor() from typed arrays", () => {
  const cases: { name: string; data: () => TypedData; dtype: DType; values: number[] }[] = [
    { name: "Float32Array", data: () => new Float32Array([1.5, -2, 3]), dtype: "float32", values: [1.5, -2, 3] },
    { name: "Float64Array", data: () => new Float64Array([0.1, -2, 1e-300]), dtype: "float64", values: [0.1, -2, 1e-300] },
    { name: "BigInt64Array", data: () => new BigInt64Array([1n, -2n, 3n]), dtype: "int64", values: [1, -2, 3] },
    { name: "Int32Array", data: () => new Int32Array([2147483647, -2147483648, 0]), dtype: "int32", values: [2147483647, -2147483648, 0] },
    { name: "Uint8Array", data: () => new Uint8Array([0, 128, 255]), dtype: "uint8", values: [0, 128, 255] },
  ];

  for (const c of cases) {
    test(`${c.name} infers ${c.dtype} and round-trips through toTypedArray()`, () => {
      scoped(() => {
        const data = c.data();
        const t = tensor(data);
        expectMeta(t, [3], c.dtype);
        expect(t.toArray()).toEqual(c.values);
        const back = t.toTypedArray();
        expect(back.constructor).toBe(data.constructor);
        expect(back).toEqual(data);
        expect(back).not.toBe(data); // a copy, not the caller's memory
      });
    });
  }

  test("a typed array with a shape", () => {
    scoped(() => {
      const t = tensor(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
      expectMeta(t, [2, 3], "float64");
      expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    });
  });

  test("a typed array with an explicit dtype is converted", () => {
    scoped(() => {
      const f = tensor(new Int32Array([1, 2, 3]), undefined, "float64");
      expectMeta(f, [3], "float64");
      expect(f.toTypedArray()).toEqual(new Float64Array([1, 2, 3]));
      const i = tensor(new Float32Array([1.5, -2.5]), [2, 1], "int64");
      expectMeta(i, [2, 1], "int64");
      expect(i.toArray()).toEqual([[1], [-2]]);
      expect(tensor(new BigInt64Array([7n, -9n]), undefined, "float32").toArray()).toEqual([7, -9]);
    });
  });

  test("a subarray view copies only the viewed elements", () => {
    scoped(() => {
      const base = new Float32Array([1, 2, 3, 4, 5]);
      expect(tensor(base.subarray(2, 4)).toArray()).toEqual([3, 4]);
      const words = new BigInt64Array([10n, 20n, 30n]);
      expect(tensor(words.subarray(1)).toArray()).toEqual([20, 30]);
    });
  });

  test("the tensor owns a copy: changing the source later changes nothing", () => {
    scoped(() => {
      const source = new Float32Array([1, 2, 3]);
      const t = tensor(source);
      source[0] = 100;
      expect(t.toArray()).toEqual([1, 2, 3]);
      const out = t.toFloat32Array();
      out[1] = -1;
      expect(t.toArray()).toEqual([1, 2, 3]);
    });
  });
});

describe("int64 beyond 2^31", () => {
  const big = [2 ** 40 + 3, -(2 ** 40), 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53 - 1)];

  test("numbers round-trip exactly through toArray(), toTypedArray() and item()", () => {
    scoped(() => {
      const t = tensor(big, undefined, "int64");
      expectMeta(t, [6], "int64");
      expect(t.toArray()).toEqual(big);
      expect(Array.from(t.toTypedArray() as BigInt64Array)).toEqual(big.map(BigInt));
      for (let i = 0; i < big.length; i++) expect(t.get(i).item()).toBe(big[i]);
    });
  });

  test("BigInt64Array values round-trip exactly, including beyond 2^53", () => {
    scoped(() => {
      const data = new BigInt64Array([2n ** 40n + 3n, -(2n ** 40n), 2n ** 62n + 1n, -(2n ** 63n), 2n ** 63n - 1n]);
      const t = tensor(data);
      expect(t.toTypedArray()).toEqual(data);
      expect((t.toArray() as number[]).slice(0, 2)).toEqual([2 ** 40 + 3, -(2 ** 40)]);
    });
  });

  test("arithmetic on them stays exact", () => {
    scoped(() => {
      const t = tensor([2 ** 40 + 3], undefined, "int64");
      expect(t.add(1).toArray()).toEqual([2 ** 40 + 4]);
      expect(t.mul(2).toArray()).toEqual([2 ** 41 + 6]);
      expect(t.sub(tensor([2 ** 40], undefined, "int64")).item()).toBe(3);
    });
  });

  test("full() with a large int64 value is exact", () => {
    scoped(() => {
      expect(full([2], 2 ** 40 + 3, "int64").toArray()).toEqual([2 ** 40 + 3, 2 ** 40 + 3]);
      expect(full([1], -(2 ** 50), "int64").toTypedArray()).toEqual(new BigInt64Array([-(2n ** 50n)]));
    });
  });

});

// Values that do not fit are refused, as PyTorch refuses them, never wrapped
// (regressions: both once wrapped silently).
describe("integers outside their dtype's range", () => {
  // PyTorch: "Overflow when unpacking long"; a wrapped 2**64 would read back as 0.
  test("values outside the int64 range are refused, not wrapped", () => {
    scoped(() => {
      expect(() => tensor([2 ** 64], undefined, "int64")).toThrow(TorchError);
      expect(() => tensor([2 ** 63], undefined, "int64")).toThrow(TorchError);
      expect(() => tensor([-(2 ** 65)], undefined, "int64")).toThrow(TorchError);
    });
  });

  // PyTorch: "value cannot be converted to type int32 without overflow"; a wrapped
  // 2**31 would read back as -2**31.
  test("values outside the int32 range are refused, not wrapped", () => {
    scoped(() => {
      expect(() => tensor([2 ** 31], undefined, "int32")).toThrow(TorchError);
      expect(() => tensor([-(2 ** 31) - 1], undefined, "int32")).toThrow(TorchError);
    });
  });
});

describe("scalars and empty tensors", () => {
  test("a scalar has shape [], ndim 0 and one element", () => {
    scoped(() => {
      for (const [t, dtype] of [[tensor(7), "float32"], [tensor(7, [], "int64"), "int64"], [tensor(false), "bool"]] as const) {
        expectMeta(t, [], dtype);
        expect(t.numel).toBe(1);
      }
      expect(tensor(7, [], "int64").toArray()).toBe(7);
      expect(tensor([4, 5]).sum().shape).toEqual([]);
    });
  });

  test("tensor([]) is a float32 tensor of shape [0]", () => {
    scoped(() => {
      const t = tensor([]);
      expectMeta(t, [0], "float32");
      expect(t.numel).toBe(0);
      expect(t.toArray()).toEqual([]);
      expect(t.toFloat32Array()).toEqual(new Float32Array(0));
    });
  });

  test("empty tensors of shape [0, 3] and [1, 0]", () => {
    scoped(() => {
      const a = tensor([], [0, 3], "int64");
      expectMeta(a, [0, 3], "int64");
      expect(a.toArray()).toEqual([]);
      expect(a.toTypedArray()).toEqual(new BigInt64Array(0));
      const b = tensor([[]]);
      expectMeta(b, [1, 0], "float32");
      expect(b.toArray()).toEqual([[]]);
      const z = zeros([0, 3]);
      expectMeta(z, [0, 3], "float32");
      expect(z.sum().item()).toBe(0);
    });
  });

  test("typed arrays of length 0", () => {
    scoped(() => {
      expectMeta(tensor(new Float64Array(0)), [0], "float64");
      expectMeta(tensor(new BigInt64Array(0), [3, 0]), [3, 0], "int64");
      expect(tensor(new Uint8Array(0), [2, 0, 5]).toArray()).toEqual([[], []]);
    });
  });
});

describe("zeros, ones and full", () => {
  const dtypes: DType[] = ["float32", "float64", "int64", "int32", "uint8", "bool"];

  test("default to float32", () => {
    scoped(() => {
      expectMeta(zeros([2, 3]), [2, 3], "float32");
      expect(zeros([2, 3]).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
      expectMeta(ones([3]), [3], "float32");
      expect(ones([3]).toArray()).toEqual([1, 1, 1]);
      expectMeta(full([2, 2], 2.5), [2, 2], "float32");
      expect(full([2, 2], 2.5).toArray()).toEqual([[2.5, 2.5], [2.5, 2.5]]);
    });
  });

  for (const dtype of dtypes) {
    test(`with dtype ${dtype}`, () => {
      scoped(() => {
        const z = zeros([2, 2], dtype);
        const o = ones([3], dtype);
        const f = full([2], 1, dtype);
        expectMeta(z, [2, 2], dtype);
        expectMeta(o, [3], dtype);
        expectMeta(f, [2], dtype);
        const zero = dtype === "bool" ? false : 0;
        const one = dtype === "bool" ? true : 1;
        expect(z.toArray()).toEqual([[zero, zero], [zero, zero]]);
        expect(o.toArray()).toEqual([one, one, one]);
        expect(f.toArray()).toEqual([one, one]);
        expect(o.sum().item()).toBe(3);
      });
    });
  }

  test("full converts its value to the dtype", () => {
    scoped(() => {
      expect(full([2], 7, "int32").toArray()).toEqual([7, 7]);
      expect(full([2], -1.5, "float64").toArray()).toEqual([-1.5, -1.5]);
      expect(full([1], 0.1).toArray()).toEqual([Math.fround(0.1)]);
      expect(full([2], 0, "bool").toArray()).toEqual([false, false]);
      const nan = full([1], NaN).item();
      expect(nan).toBeNaN();
    });
  });

  test("a scalar shape and an empty shape", () => {
    scoped(() => {
      const s = zeros([]);
      expectMeta(s, [], "float32");
      expect(s.item()).toBe(0);
      expect(full([], 4, "int64").toArray()).toBe(4);
      expectMeta(ones([0]), [0], "float32");
      expectMeta(full([3, 0], 1), [3, 0], "float32");
    });
  });
});

describe("reading data back", () => {
  test("toFloat32Array() converts every dtype", () => {
    scoped(() => {
      expect(tensor([1, 2], undefined, "int64").toFloat32Array()).toEqual(new Float32Array([1, 2]));
      expect(tensor([0.5, 2], undefined, "float64").toFloat32Array()).toEqual(new Float32Array([0.5, 2]));
      expect(tensor([200, 3], undefined, "uint8").toFloat32Array()).toEqual(new Float32Array([200, 3]));
      expect(tensor([-4], undefined, "int32").toFloat32Array()).toEqual(new Float32Array([-4]));
    });
  });

  test("toTypedArray() gives the array type of the dtype", () => {
    scoped(() => {
      const kinds: [DType, unknown][] = [
        ["float32", Float32Array],
        ["float64", Float64Array],
        ["int64", BigInt64Array],
        ["int32", Int32Array],
        ["uint8", Uint8Array],
        ["bool", Uint8Array],
      ];
      for (const [dtype, kind] of kinds) {
        const typed = ones([2, 2], dtype).toTypedArray();
        expect(typed.constructor, dtype).toBe(kind);
        expect(typed.length).toBe(4);
      }
    });
  });

  test("item() reads one-element tensors of any shape", () => {
    scoped(() => {
      expect(tensor([[2.5]]).item()).toBe(2.5);
      expect(tensor([-3], undefined, "int32").item()).toBe(-3);
      expect(tensor([1, 2, 3, 4]).sum().item()).toBe(10);
      expect(tensor([200], undefined, "uint8").item()).toBe(200);
    });
  });

  test("toArray() follows row-major order of non-contiguous views", () => {
    scoped(() => {
      const t = tensor([[1, 2, 3], [4, 5, 6]]).t();
      expectMeta(t, [3, 2], "float32");
      expect(t.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
      expect(Array.from(t.toFloat32Array())).toEqual([1, 4, 2, 5, 3, 6]);
    });
  });

  test("shape is frozen and belongs to its tensor", () => {
    scoped(() => {
      const t = zeros([2, 3]);
      expect(Object.isFrozen(t.shape)).toBe(true);
      expect(t.view([3, 2]).shape).toEqual([3, 2]);
      expect(t.shape).toEqual([2, 3]);
    });
  });
});
