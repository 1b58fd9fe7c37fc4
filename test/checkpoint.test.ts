// Checkpoints: parameters, optimizer state and the generator in one file;
// resuming reproduces the uninterrupted run exactly; bad files change nothing;
// a crash mid-save leaves the previous file whole.
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { Linear, liveTensors, manualSeed, Memory, type OptimizerKind, rand, randn, type Tensor, tidy, TorchError, train } from "../mod.ts";

const work = mkdtempSync(join(tmpdir(), "torchffi-ckpt-"));

class Net {
  l1: Linear;
  l2: Linear;
  constructor(mem: Memory) {
    this.l1 = new Linear(mem, 12, 16);
    this.l2 = new Linear(mem, 16, 4);
  }
  forward(mem: Memory, x: Tensor): Tensor {
    return this.l2.forward(mem, this.l1.forward(mem, x).relu());
  }
}

function data(): { x: Tensor; y: Tensor } {
  manualSeed(11);
  return { x: randn([90, 12]), y: rand([90]).mul(4).to("int64") };
}

function snapshot(mem: Memory): number[][] {
  return Array.from({ length: mem.size }, (_, id) => Array.from(mem.get(id).toFloat32Array()));
}

for (const optimizer of ["adam", "momentum", "sgd"] as OptimizerKind[]) {
  test(`${optimizer}: resuming from an epoch's checkpoint gives exactly the uninterrupted run's losses`, () => {
    tidy(() => {
      const options = { epochs: 5, batchSize: 16, lr: optimizer === "adam" ? 1e-2 : 0.1, optimizer };
      const { x, y } = data();

      // The uninterrupted run, keeping a copy of the checkpoint after epoch 2.
      manualSeed(3);
      const full = new Memory();
      const path = join(work, `${optimizer}.ckpt`);
      const afterTwo = join(work, `${optimizer}-epoch2.ckpt`);
      const uninterrupted = train(full, x, y, new Net(full), {
        ...options,
        checkpoint: path,
        onEpoch: (epoch) => epoch === 1 && copyFileSync(path, afterTwo),
      });

      // A new process would start from other weights and another generator state.
      manualSeed(12345);
      const resumedMem = new Memory();
      const resumed = train(resumedMem, x, y, new Net(resumedMem), { ...options, checkpoint: afterTwo, resume: true });

      expect(resumed).toEqual(uninterrupted);
      expect(snapshot(resumedMem)).toEqual(snapshot(full));
      expect(resumedMem.loadCheckpoint(path).epoch).toBe(4);
      full.dispose();
      resumedMem.dispose();
    });
  });
}

test("resume without a checkpoint file starts from scratch; resume without a path is an error", () => {
  tidy(() => {
    const { x, y } = data();
    const mem = new Memory();
    const net = new Net(mem);
    const path = join(work, "fresh.ckpt");
    expect(train(mem, x, y, net, { epochs: 1, batchSize: 30, lr: 0.1, checkpoint: path, resume: true }).length).toBe(1);
    expect(() => train(mem, x, y, net, { epochs: 1, batchSize: 30, lr: 0.1, resume: true })).toThrow(/resume needs a checkpoint path/);
    mem.dispose();
  });
});

describe("bad checkpoints change nothing", () => {
  test("truncated, corrupt, wrong model, parameters-only and missing files are refused; store and generator unchanged", () => {
    const before = liveTensors();
    tidy(() => {
      const { x, y } = data();
      manualSeed(4);
      const mem = new Memory();
      const net = new Net(mem);
      const good = join(work, "good.ckpt");
      train(mem, x, y, net, { epochs: 1, batchSize: 30, lr: 0.1, checkpoint: good });
      const bytes = readFileSync(good);

      const other = new Memory();
      new Linear(other, 12, 3);
      const wrongModel = join(work, "wrong-model.ckpt");
      other.saveCheckpoint(wrongModel);
      const paramsOnly = join(work, "params-only.safetensors");
      mem.save(paramsOnly);
      const truncated = join(work, "truncated.ckpt");
      writeFileSync(truncated, bytes.subarray(0, bytes.length - 7));
      const corrupt = join(work, "corrupt.ckpt");
      const flipped = Uint8Array.from(bytes);
      flipped[8] = 0x78; // the header's opening brace becomes an 'x'
      writeFileSync(corrupt, flipped);

      const cases: [string, RegExp][] = [
        [truncated, /truncated|cover/],
        [corrupt, /not valid JSON/],
        [wrongModel, /missing key\(s\) in the file: "linear1\.weight", "linear1\.bias"; size mismatch for linear0\.weight/],
        [paramsOnly, /not a torchffi checkpoint/],
        [join(work, "missing.ckpt"), /cannot read the file/],
      ];
      manualSeed(77);
      const expectedDraw = rand([3]).toArray();
      for (const [path, message] of cases) {
        const values = snapshot(mem);
        manualSeed(77);
        expect(() => mem.loadCheckpoint(path)).toThrow(TorchError);
        expect(() => mem.loadCheckpoint(path)).toThrow(message);
        expect(snapshot(mem)).toEqual(values);
        expect(rand([3]).toArray()).toEqual(expectedDraw); // the generator was not touched
      }
      // Memory.load reads the parameters of a checkpoint too.
      const copy = new Memory();
      new Net(copy);
      copy.load(good);
      expect(snapshot(copy)).toEqual(snapshot(mem));
      for (const m of [mem, other, copy]) m.dispose();
    });
    expect(liveTensors()).toBe(before);
  });
});

describe("atomic saves", () => {
  const runtime = "Deno" in globalThis ? ["deno", "run", "-A"] : ["bun"];
  const root = fileURLToPath(new URL("..", import.meta.url));

  test("killing a process mid-save leaves one whole version of the file", async () => {
    const path = join(work, "contended.safetensors");
    const leftovers = () => readdirSync(work).filter((name) => name.startsWith("contended.safetensors.tmp-")).length;
    // At least three kills, and more until one has landed mid-write (a
    // temporary file left behind shows it); each leaves a whole file.
    for (let round = 0; round < 3 || (leftovers() === 0 && round < 12); round++) {
      const [bin, ...args] = runtime;
      const child = spawn(join(root, "node_modules", ".bin", bin), [...args, "test/fixtures/save_forever.ts", path, "ready"], { cwd: root });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk) => String(chunk).includes("ready") && resolve());
        child.on("exit", (code) => reject(new Error(`saver exited early with ${code}`)));
      });
      await new Promise((resolve) => setTimeout(resolve, 150 + 97 * (round % 5)));
      child.kill("SIGKILL");
      await new Promise((resolve) => child.on("close", resolve));
      tidy(() => {
        const mem = new Memory();
        for (let i = 0; i < 8; i++) mem.push(randn([1024, 1024]));
        mem.load(path);
        const version = mem.get(0).get(0).get(0).item();
        expect([1, 2]).toContain(version);
        for (let i = 0; i < 8; i++) expect(mem.get(i).min().item()).toBe(version + i);
        for (let i = 0; i < 8; i++) expect(mem.get(i).max().item()).toBe(version + i);
        mem.dispose();
      });
    }
    expect(leftovers()).toBeGreaterThan(0);
  });
});
