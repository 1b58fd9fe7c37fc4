// Every failure is a TorchError naming the operation and the problem (LibTorch's own
// words when LibTorch refused, without its C++ backtrace), leaks nothing, and the
// process goes on.
import { describe, expect, test } from "vitest";
import { cat, type DType, full, liveTensors, ones, stack, Tensor, tensor, tidy, TorchError, zeros } from "../mod.ts";
import { torchErrorFrom } from "./helpers.ts";

/**
 * Runs `fn`, which must throw a TorchError for `op` whose message matches every
 * pattern, and checks that the failed call left no native handle behind.
 */
function expectTorchError(fn: () => unknown, op: string, ...patterns: (string | RegExp)[]): TorchError {
  const error = torchErrorFrom(fn);
  expect(error).toBeInstanceOf(Error);
  expect(error.name).toBe("TorchError");
  expect(error.op).toBe(op);
  expect(error.message).toBe(`${op}: ${error.detail}`);
  for (const pattern of patterns) {
    if (typeof pattern === "string") expect(error.detail).toContain(pattern);
    else expect(error.detail).toMatch(pattern);
  }
  expectNoBacktrace(error);
  return error;
}

function expectNoBacktrace(error: TorchError): void {
  expect(error.detail).not.toContain("Exception raised from");
  expect(error.detail).not.toMatch(/frame #\d+/);
  expect(error.detail).not.toContain("CapturedTraceback");
  expect(error.detail).not.toMatch(/\n\s*(at|#\d+)\s/);
  expect(error.detail.trim()).not.toBe("");
}

describe("LibTorch refusals become TorchErrors with LibTorch's message", () => {
  test("add with shapes that do not broadcast", () => {
    tidy(() => {
      const a = zeros([2, 3]), b = zeros([4]), c = zeros([2, 2]);
      expectTorchError(() => a.add(b), "add", "must match", "(3)", "(4)");
      expectTorchError(() => a.mul(c), "mul", "must match");
    });
  });

  test("matmul with inner sizes that differ", () => {
    tidy(() => {
      const a = zeros([2, 3]), one = tensor(1), two = tensor(2);
      expectTorchError(() => a.matmul(a), "matmul", "cannot be multiplied", "2x3 and 2x3");
      expectTorchError(() => one.matmul(two), "matmul", "at least 1D");
    });
  });

  test("view with a shape of another size, or over a layout that cannot be viewed", () => {
    tidy(() => {
      const t = tensor([1, 2, 3]), transposed = tensor([[1, 2], [3, 4]]).t();
      expectTorchError(() => t.view([2, 2]), "view", "[2, 2]", "invalid for input of size 3");
      expectTorchError(() => t.view([-1, -1]), "view", /only one dimension can be inferred/);
      expectTorchError(() => transposed.view([4]), "view", "reshape");
      expectTorchError(() => t.reshape([4]), "reshape", "invalid for input of size 3");
    });
  });

  test("item() on a tensor with more or fewer than one element", () => {
    tidy(() => {
      const three = tensor([1, 2, 3]), hundred = zeros([10, 10]), none = tensor([]);
      expectTorchError(() => three.item(), "item", "3 elements");
      expectTorchError(() => hundred.item(), "item", "100 elements");
      expectTorchError(() => none.item(), "item", "0 elements");
    });
  });

  test("get() out of range, either end", () => {
    tidy(() => {
      const t = tensor([[1, 2], [3, 4]]), scalar = tensor(5);
      expectTorchError(() => t.get(2), "get", "index 2 out of range");
      expectTorchError(() => t.get(-3), "get", "index -3 out of range");
      expectTorchError(() => scalar.get(0), "get", "0-dim");
      expectTorchError(() => t.select(2, 0), "select", "Dimension out of range");
    });
  });

  test("narrow() past the end or on a missing dim", () => {
    tidy(() => {
      const t = tensor([1, 2, 3]);
      expectTorchError(() => t.narrow(0, 2, 5), "narrow", "exceeds dimension size (3)");
      expectTorchError(() => t.narrow(1, 0, 1), "narrow", "Dimension out of range");
    });
  });

  test("indexSelect() with indices out of range or of the wrong dtype", () => {
    tidy(() => {
      const t = tensor([10, 20, 30]);
      const past = tensor([0, 3], undefined, "int64"), negative = tensor([-1], undefined, "int64");
      const floats = tensor([0]), first = tensor([0], undefined, "int64");
      expectTorchError(() => t.indexSelect(0, past), "indexSelect", "out of range");
      expectTorchError(() => t.indexSelect(0, negative), "indexSelect", "out of range");
      expectTorchError(() => t.indexSelect(0, floats), "indexSelect", "int32 or int64");
      expectTorchError(() => t.indexSelect(1, first), "indexSelect", "out of range");
    });
  });

  test("cat and stack of tensors that do not fit together", () => {
    tidy(() => {
      const a = zeros([2, 3]), b = zeros([2, 4]), c = zeros([2]), d = zeros([3]);
      expectTorchError(() => cat([a, b]), "cat", "must match", "size 3", "size 4");
      expectTorchError(() => stack([c, d]), "stack", "equal size");
    });
  });

  test("ops that do not support the dtype", () => {
    tidy(() => {
      const ints = tensor([1, 2], undefined, "int64"), floats = tensor([1, 2]);
      expectTorchError(() => ints.mean(), "mean", "floating point", "Long");
      expectTorchError(() => floats.sum(2), "sum", "Dimension out of range");
    });
  });
});

describe("argument checks on the TypeScript side", () => {
  test("ragged arrays", () => {
    expectTorchError(() => tensor([[1, 2], [3]]), "tensor", "ragged", "expected length 2", "got length 1");
    expectTorchError(() => tensor([[1, 2], 3] as never), "tensor", "ragged", "[1]");
    expectTorchError(() => tensor([1, [2]] as never), "tensor", "ragged", "[1]");
    expectTorchError(() => tensor([[[1], [2]], [[3], [4, 5]]]), "tensor", "ragged", "[1][1]");
  });

  test("values that are not numbers or booleans", () => {
    expectTorchError(() => tensor(["1"] as never), "tensor", "string", "[0]");
    expectTorchError(() => tensor([1, null] as never), "tensor", "[1]");
    expectTorchError(() => tensor(undefined as never), "tensor", "undefined");
    expectTorchError(() => tensor({ length: 2 } as never), "tensor", "object");
    expectTorchError(() => tensor([NaN], undefined, "int64"), "tensor", "NaN", "int64");
    expectTorchError(() => tensor([Infinity], undefined, "int64"), "tensor", "Infinity");
    expectTorchError(() => full([2], "1" as never), "full", "number", "string");
  });

  test("data length that does not match the shape", () => {
    expectTorchError(() => tensor([1, 2, 3], [2, 2]), "tensor", "[2, 2]", "4 elements", "has 3");
    expectTorchError(() => tensor(new Float32Array(6), [4, 2]), "tensor", "8 elements", "has 6");
    expectTorchError(() => tensor(1, [2]), "tensor", "2 elements", "has 1");
    expectTorchError(() => tensor([], [1]), "tensor", "1 elements", "has 0");
  });

  test("non-integer sizes and dims", () => {
    tidy(() => {
      expectTorchError(() => zeros([1.5]), "zeros", "integers", "1.5");
      expectTorchError(() => ones([2, NaN]), "ones", "integers", "NaN");
      expectTorchError(() => zeros([Infinity]), "zeros", "integers", "Infinity");
      expectTorchError(() => tensor([1, 2], [0.5, 4]), "tensor", "integers", "0.5");
      const t = zeros([2, 3]);
      expectTorchError(() => t.view([1.5, 4]), "view", "integers");
      expectTorchError(() => t.unsqueeze(0.5), "unsqueeze", "integer", "0.5");
      expectTorchError(() => t.get(0.5), "get", "integer");
      expectTorchError(() => t.narrow(0, 0.5, 1), "narrow", "integer");
      expectTorchError(() => t.transpose(0, 1.5), "transpose", "integer");
      expectTorchError(() => t.sum(0.5), "sum", "integers");
      expectTorchError(() => cat([t], 0.5), "cat", "integer");
    });
  });

  test("unknown dtype strings", () => {
    expectTorchError(() => zeros([2], "float16" as DType), "zeros", "unknown dtype", '"float16"', "float32, float64, int64, int32, uint8, bool");
    expectTorchError(() => tensor([1], undefined, "torch.float32" as DType), "tensor", "unknown dtype", "torch.float32");
    expectTorchError(() => full([1], 0, "double" as DType), "full", "unknown dtype", "double");
    tidy(() => {
      const t = zeros([1]);
      expectTorchError(() => t.to("Float" as DType), "to", "unknown dtype", "Float");
    });
  });

  test("negative sizes", () => {
    expectTorchError(() => zeros([-1]), "zeros", "negative dimension -1");
    expectTorchError(() => ones([2, -3]), "ones", "negative dimension -3");
    expectTorchError(() => full([-2], 1), "full", "negative dimension -2");
    expectTorchError(() => tensor([], [-1, 0]), "tensor", "negative dimension -1");
  });

  test("cat([]) and stack([])", () => {
    expectTorchError(() => cat([]), "cat", "non-empty");
    expectTorchError(() => stack([]), "stack", "non-empty");
    using t = zeros([2]);
    expectTorchError(() => cat(t as never), "cat", "non-empty array");
  });

  test("a plain array where a Tensor is expected", () => {
    tidy(() => {
      const t = tensor([1, 2]);
      expectTorchError(() => t.add([1, 2] as never), "add", "expected a Tensor", "array", "tensor()");
      expectTorchError(() => t.matmul([[1], [2]] as never), "matmul", "expected a Tensor", "array");
      expectTorchError(() => t.indexSelect(0, [0] as never), "indexSelect", "expected a Tensor", "array");
      expectTorchError(() => cat([t, [3, 4]] as never), "cat", "expected a Tensor", "array");
      expectTorchError(() => t.sub(null as never), "sub", "expected a Tensor", "null");
      expectTorchError(() => t.mul("2" as never), "mul", "expected a Tensor", "string");
      expectTorchError(() => t.eq({ data: [1] } as never), "eq", "expected a Tensor", "Object");
    });
  });

  test("more dims than the ABI carries", () => {
    expectTorchError(() => zeros(new Array(65).fill(1)), "zeros", "at most 64 dims", "65");
  });
});

describe("disposed tensors", () => {
  test("using a disposed tensor throws a clear error naming the op", () => {
    const t = tensor([1, 2, 3]);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expectTorchError(() => t.add(1), "add", "disposed");
    expectTorchError(() => t.relu(), "relu", "disposed");
    expectTorchError(() => t.item(), "item", "disposed");
    expectTorchError(() => t.view([3]), "view", "disposed");
    const error = expectTorchError(() => t.shape, "shape", "disposed");
    expect(error.detail).toContain("dispose()");
  });

  // toArray() and toFloat32Array() read the shape first; the error still names the call the user made.
  test("reading data from a disposed tensor names the read, not an internal step", () => {
    const t = tensor([1, 2, 3]);
    t.dispose();
    expectTorchError(() => t.toArray(), "toArray", "disposed");
    expectTorchError(() => t.toFloat32Array(), "toFloat32Array", "disposed");
  });

  test("a disposed tensor as the other operand", () => {
    tidy(() => {
      const gone = tensor([1, 2]);
      gone.dispose();
      const live = tensor([3, 4]);
      expectTorchError(() => live.add(gone), "add", "disposed");
      expectTorchError(() => live.matmul(gone), "matmul", "disposed");
      expectTorchError(() => cat([live, gone]), "cat", "disposed");
      expectTorchError(() => live.indexSelect(0, gone), "indexSelect", "disposed");
      expect(live.toArray()).toEqual([3, 4]);
    });
  });

  test("a tensor freed by the end of its tidy() scope", () => {
    let inner: Tensor | undefined;
    tidy(() => {
      inner = zeros([2]);
    });
    expect(inner!.isDisposed).toBe(true);
    expectTorchError(() => inner!.sum(), "sum", "disposed", "tidy()");
  });

  test("disposing twice is harmless and frees exactly one handle", () => {
    const before = liveTensors();
    const t = zeros([3]);
    expect(liveTensors()).toBe(before + 1);
    t.dispose();
    expect(liveTensors()).toBe(before);
    t.dispose();
    t[Symbol.dispose]();
    expect(liveTensors()).toBe(before);
    // The freed handle must not take another tensor with it.
    const other = ones([2]);
    t.dispose();
    expect(other.toArray()).toEqual([1, 1]);
    other.dispose();
    expect(liveTensors()).toBe(before);
  });
});

describe("a huge allocation", () => {
  // 1e12 float32 elements are 4 TB: LibTorch's allocator refuses, and the refusal
  // must arrive as an error, not as an abort of the whole process.
  test("zeros([1e12]) is a TorchError, not an abort", () => {
    expectTorchError(() => zeros([1e12]), "zeros", "allocate", "4000000000000 bytes");
    expectTorchError(() => ones([1e6, 1e6]), "ones", "allocate");
    expectTorchError(() => full([1e12], 1, "float64"), "full", "allocate", "8000000000000 bytes");
  });
});

describe("after all those errors", () => {
  test("a new error reports its own problem, not an earlier one", () => {
    tidy(() => {
      const a = zeros([2, 3]), b = tensor([1, 2]);
      expectTorchError(() => a.matmul(a), "matmul", "cannot be multiplied");
      const next = expectTorchError(() => zeros([-7]), "zeros", "-7");
      expect(next.detail).not.toContain("multiplied");
      const third = expectTorchError(() => b.view([5]), "view", "[5]");
      expect(third.detail).not.toContain("-7");
    });
  });

  test("normal ops still work and nothing leaked", () => {
    const before = liveTensors();
    const result = tidy(() => {
      const a = tensor([[1, 2], [3, 4]]);
      const b = a.matmul(a).add(ones([2])).relu();
      expect(b.toArray()).toEqual([[8, 11], [16, 23]]);
      expect(b.sum().item()).toBe(58);
      expect(zeros([2, 3], "int64").add(2).toArray()).toEqual([[2, 2, 2], [2, 2, 2]]);
      return b.mean();
    });
    expect(result.item()).toBe(14.5);
    result.dispose();
    expect(liveTensors()).toBe(before);
  });
});
