// The kernels example (the seed's toy program) against PyTorch's conv2d on the
// same image, both its float output and the PNG it saves.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import { edgeMap, LAPLACIAN, SMOOTH } from "../examples/kernels.ts";
import { loadImage, tidy } from "../mod.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const sample = join(root, "examples", "sample.png");
let work = "";
let reference: Float32Array;

// PyTorch computes the same pipeline from the same decoded RGB floats.
const PYTORCH_EDGES = `
import sys, json, torch
h, w = int(sys.argv[2]), int(sys.argv[3])
smooth, laplacian = json.loads(sys.argv[4]), json.loads(sys.argv[5])
rgb = torch.frombuffer(bytearray(open(sys.argv[1], "rb").read()), dtype=torch.float32).view(3, h, w)
gray = (rgb[0:1] * 0.299 + rgb[1:2] * 0.587 + rgb[2:3] * 0.114).unsqueeze(0)
k1 = (torch.tensor(smooth, dtype=torch.float32) / 16).view(1, 1, 3, 3)
k2 = torch.tensor(laplacian, dtype=torch.float32).view(1, 1, 3, 3)
edges = torch.nn.functional.conv2d(torch.nn.functional.conv2d(gray, k1), k2).abs()
edges = (edges / edges.max()).squeeze(0)
open(sys.argv[1] + ".out", "wb").write(edges.contiguous().numpy().tobytes())
`;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "torchffi-kernels-"));
  const image = loadImage(sample);
  const [, h, w] = image.shape;
  const input = join(work, "rgb.f32");
  writeFileSync(input, image.toFloat32Array());
  image.dispose();
  const run = spawnSync("/usr/bin/python3", ["-c", PYTORCH_EDGES, input, String(h), String(w), JSON.stringify(SMOOTH), JSON.stringify(LAPLACIAN)], {
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(run.stderr);
  const bytes = readFileSync(`${input}.out`);
  reference = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
});

describe("examples/kernels.ts", () => {
  test("edgeMap equals PyTorch's conv2d pipeline on the sample image", () => {
    tidy(() => {
      const edges = edgeMap(loadImage(sample));
      expect([...edges.shape]).toEqual([1, 116, 156]);
      const got = edges.toFloat32Array();
      expect(got.length).toBe(reference.length);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - reference[i]));
      expect(worst).toBeLessThan(1e-5);
      // The picture has edges: a map of zeros would also "match" a broken reference.
      expect(reference.filter((v) => v > 0.1).length).toBeGreaterThan(500);
    });
  });

  for (const runtime of ["deno", "bun"] as const) {
    test(`the program saves PyTorch's result as a PNG (${runtime})`, () => {
      const output = join(work, `edges-${runtime}.png`);
      const command = runtime === "deno" ? ["run", "-A", "examples/kernels.ts", sample, output] : ["examples/kernels.ts", sample, output];
      const run = spawnSync(join(root, "node_modules", ".bin", runtime), command, { cwd: root, encoding: "utf8" });
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      expect(run.stdout).toContain("saved");
      tidy(() => {
        const saved = loadImage(output);
        expect([...saved.shape]).toEqual([1, 116, 156]);
        const got = saved.toFloat32Array();
        // 8-bit rounding is the only difference allowed.
        for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - reference[i])).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
      });
    });
  }
});
