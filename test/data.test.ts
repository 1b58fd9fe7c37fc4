// The IDX reader and loadMnist, against files written by a committed Python
// script (test/fixtures/make_idx_files.py) and against what /usr/bin/python3
// reads from Debian's Fashion-MNIST.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import { FASHION_MNIST_DIR, liveTensors, loadMnist, readIdx, readIdxTensor, tidy, TorchError } from "../mod.ts";

interface Expected {
  good: { file: string; type: string; shape: number[]; values: number[] }[];
  bad: string[];
  small: { pixels: number[]; labels: number[] };
}

let dir = "";
let expected: Expected;

function python(script: string, ...args: string[]): string {
  const run = spawnSync("/usr/bin/python3", [script, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`python failed: ${run.stderr}`);
  return run.stdout;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "torchffi-idx-"));
  python(fileURLToPath(new URL("./fixtures/make_idx_files.py", import.meta.url)), dir);
  expected = JSON.parse(python("-c", `import sys; print(open(sys.argv[1]).read())`, join(dir, "expected.json")));
});

describe("readIdx", () => {
  test("reads every type, rank, plain and gzip, exactly", () => {
    expect(expected.good.length).toBe(60);
    for (const file of expected.good) {
      const array = readIdx(join(dir, file.file));
      expect(array.type, file.file).toBe(file.type);
      expect(array.shape, file.file).toEqual(file.shape);
      expect(Array.from(array.data), file.file).toEqual(file.values);
    }
  });

  test("readIdxTensor keeps values and shape (int8/int16 widen to int32)", () => {
    tidy(() => {
      for (const file of expected.good.filter((f) => f.shape.length === 2)) {
        const t = readIdxTensor(join(dir, file.file));
        expect([...t.shape]).toEqual(file.shape);
        const wantDtype = file.type === "int8" || file.type === "int16" ? "int32" : file.type;
        expect(t.dtype).toBe(wantDtype);
        expect((t.toArray() as number[][]).flat()).toEqual(file.values);
      }
    });
  });

  test("bad files are clear errors that name the file and the problem", () => {
    const reasons: Record<string, RegExp> = {
      "bad-magic.idx": /magic/,
      "unknown-type.idx": /unknown IDX type byte 0x0a/,
      "truncated-header.idx": /truncated header/,
      "truncated-data.idx": /needs 18 bytes but the file has 16 \(truncated\?\)/,
      "trailing-bytes.idx": /needs 18 bytes but the file has 20$/,
      "truncated-data.idx.gz": /truncated/,
      "empty.idx": /too short/,
      "not-gzip.idx.gz": /cannot decompress/,
    };
    expect(Object.keys(reasons).sort()).toEqual([...expected.bad].sort());
    for (const name of expected.bad) {
      let error: unknown;
      try {
        readIdx(join(dir, name));
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(TorchError);
      expect((error as TorchError).message, name).toContain(name);
      expect((error as TorchError).message, name).toMatch(reasons[name]);
    }
    expect(() => readIdx(join(dir, "no-such-file.idx"))).toThrow(/cannot read the file/);
  });
});

describe("loadMnist", () => {
  test("a small plain-file directory: pixels scaled to [0, 1], int64 labels", () => {
    tidy(() => {
      const { x, y } = loadMnist(join(dir, "small"));
      expect([...x.shape]).toEqual([4, 784]);
      expect(x.dtype).toBe("float32");
      expect(y.dtype).toBe("int64");
      expect(y.toArray()).toEqual(expected.small.labels);
      const got = x.toFloat32Array();
      expected.small.pixels.forEach((p, i) => expect(got[i]).toBe(Math.fround(p / 255)));
    });
  });

  test("counts that disagree, missing files and wrong dtypes or ranks are errors; nothing leaks", () => {
    const before = liveTensors();
    expect(() => loadMnist(join(dir, "mismatch"), "test")).toThrow(/holds 3 images but .* holds 2 labels/);
    expect(() => loadMnist(join(dir, "small"), "test")).toThrow(/cannot find t10k-images-idx3-ubyte/);
    expect(() => loadMnist(dir, "validation" as "test")).toThrow(/split must be/);
    expect(() => loadMnist(join(dir, "wrong-type"))).toThrow(/expected uint8 images \[N, rows, cols\], got float32 \[2, 28, 28\]/);
    expect(() => loadMnist(join(dir, "wrong-rank"))).toThrow(/expected uint8 images \[N, rows, cols\], got uint8 \[2, 784\]/);
    expect(liveTensors()).toBe(before);
  });

  test("Fashion-MNIST: counts, and the first images and labels equal what Python reads", () => {
    const reference = JSON.parse(python("-c", `
import gzip, json, struct, sys
d = sys.argv[1]
out = {}
for split, prefix in (("train", "train"), ("test", "t10k")):
    img = gzip.open(d + "/" + prefix + "-images-idx3-ubyte.gz").read()
    lab = gzip.open(d + "/" + prefix + "-labels-idx1-ubyte.gz").read()
    n = struct.unpack(">I", img[4:8])[0]
    out[split] = {"n": n, "labels": list(lab[8:28]), "first": list(img[16:16 + 3 * 784]),
                  "last": list(img[len(img) - 784:]), "label_sum": sum(lab[8:])}
print(json.dumps(out))
`, FASHION_MNIST_DIR));
    for (const split of ["train", "test"] as const) {
      tidy(() => {
        const { x, y } = loadMnist(undefined, split);
        const want = reference[split];
        expect([...x.shape]).toEqual([want.n, 784]);
        expect([...y.shape]).toEqual([want.n]);
        expect(y.narrow(0, 0, 20).toArray()).toEqual(want.labels);
        expect(y.sum().item()).toBe(want.label_sum);
        const first = x.narrow(0, 0, 3).toFloat32Array();
        want.first.forEach((p: number, i: number) => expect(first[i]).toBe(Math.fround(p / 255)));
        const last = x.get(-1).toFloat32Array();
        want.last.forEach((p: number, i: number) => expect(last[i]).toBe(Math.fround(p / 255)));
      });
    }
  });
});
