// String(tensor) against PyTorch's printing (fixtures: test/fixtures/make_format_fixtures.py),
// plus the parts of printing PyTorch cannot be compared with as is.
import { describe, expect, test } from "vitest";
import { arange, liveTensors, rand, tensor, tidy, zeros } from "../mod.ts";
import { type EncodedTensor, fromEncoded, readFixture } from "./helpers.ts";

interface FormatCase {
  name: string;
  input: EncodedTensor;
  expected: string;
}

const fixtures = readFixture<{ torch: string; cases: FormatCase[] }>("format.json");

describe("String(tensor) matches PyTorch", () => {
  test("the fixture covers every kind of value", () => {
    const names = fixtures.cases.map((c) => c.name).join("\n");
    for (const kind of ["integral floats", "fractional", "negative", "scientific", "bool", "int64", "int32", "3-D", "scalar", "empty"]) {
      expect(names, kind).toContain(kind);
    }
    const dtypes = new Set(fixtures.cases.map((c) => c.input.dtype));
    expect([...dtypes].sort()).toEqual(["bool", "float32", "float64", "int32", "int64", "uint8"]);
  });

  for (const c of fixtures.cases) {
    test(c.name, () => {
      tidy(() => {
        const t = fromEncoded(c.input);
        expect(String(t)).toBe(c.expected);
        expect(t.toString()).toBe(c.expected);
        expect(`${t}`).toBe(c.expected);
      });
    });
  }
});

describe("String(tensor) beyond the fixture", () => {
  test("dtype suffix: shown for float64, int32 and uint8, omitted for float32, int64 and bool, never with torch.", () => {
    tidy(() => {
      expect(String(zeros([1], "float64"))).toBe("tensor([0.], dtype=float64)");
      expect(String(zeros([1], "int32"))).toBe("tensor([0], dtype=int32)");
      expect(String(zeros([1], "uint8"))).toBe("tensor([0], dtype=uint8)");
      expect(String(zeros([1], "float32"))).toBe("tensor([0.])");
      expect(String(zeros([1], "int64"))).toBe("tensor([0])");
      expect(String(zeros([1], "bool"))).toBe("tensor([False])");
    });
  });

  // PyTorch's own strings for these differ only in the gap before "..." inside a row
  // (see make_format_fixtures.py), so the summary is checked by its structure here.
  test("a 1-D tensor over 1000 elements is summarized to three items at each end", () => {
    tidy(() => {
      const text = String(arange(2000));
      expect(text.startsWith("tensor([   0,    1,    2,")).toBe(true);
      expect(text.endsWith("1997, 1998, 1999])")).toBe(true);
      expect(text).toContain("...");
      expect(text).not.toContain("1000");
      expect(text.split("\n")).toHaveLength(1);
      // 1000 elements exactly is below the threshold: all of them are printed.
      const full = String(arange(1000));
      expect(full).not.toContain("...");
      expect(full).toContain(" 500,");
    });
  });

  test("a 2-D summary elides rows and columns, with widths from the shown values only", () => {
    tidy(() => {
      const t = arange(40 * 50).view([40, 50]);
      const lines = String(t).split("\n");
      expect(lines).toHaveLength(7); // 3 rows, "...", 3 rows
      expect(lines[0].startsWith("tensor([[   0,    1,    2,")).toBe(true);
      expect(lines[0].endsWith("47,   48,   49],")).toBe(true);
      expect(lines[3]).toBe("        ...,");
      expect(lines[6].startsWith("        [1950, 1951, 1952,")).toBe(true);
      expect(lines[6].endsWith("1997, 1998, 1999]])")).toBe(true);
      for (const line of [lines[0], lines[1], lines[2], lines[4], lines[5], lines[6]]) expect(line).toContain("...");
    });
  });

  test("a 3-D summary separates blocks with a blank line", () => {
    tidy(() => {
      const text = String(rand([10, 10, 11]));
      const blocks = text.split("\n\n");
      expect(blocks).toHaveLength(7); // 3 blocks, "...", 3 blocks
      expect(blocks[3]).toBe("        ...,");
      for (const value of text.match(/\d\.\d+(e[+-]\d\d)?/g) ?? []) expect(Number(value)).toBeLessThan(1);
    });
  });

  test("printing does not change the tensor or leak handles", () => {
    tidy(() => {
      const t = tensor([[0.5, -1.25], [3, 4]]);
      const before = liveTensors();
      const first = String(t);
      expect(String(t)).toBe(first);
      expect(t.toArray()).toEqual([[0.5, -1.25], [3, 4]]);
      expect(liveTensors()).toBe(before);
    });
  });

  test("a disposed tensor prints as disposed instead of throwing", () => {
    const t = tensor([1, 2]);
    t.dispose();
    expect(String(t)).toBe("tensor(<disposed>)");
  });

  test("a transposed (non-contiguous) tensor prints in its own row-major order", () => {
    tidy(() => {
      expect(String(tensor([[1, 2, 3], [4, 5, 6]]).t())).toBe("tensor([[1., 4.],\n        [2., 5.],\n        [3., 6.]])");
    });
  });
});
