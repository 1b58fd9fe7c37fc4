// The leak guard: one warning when tensors alive outside every tidy() scope
// pass a threshold, never for train(), a tidy loop or the examples; and the
// 20,000-step hand-written loop of issue 15, with and without tidy().
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test, vi } from "vitest";
import { DEFAULT_LEAK_THRESHOLD, Linear, liveTensors, manualSeed, Memory, mse, ones, rand, randn, setLeakWarning, type Tensor, tidy, TorchError, train } from "../mod.ts";
import { unscopedTensors } from "../lib/scope.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const runtime = "Deno" in globalThis ? "deno" : "bun";
const LEAK = /tensors are alive outside any tidy\(\) scope/;

function runLoop(args: string[], env: Record<string, string> = {}) {
  const script = join("test", "fixtures", "hand_written_loop.ts");
  const command = runtime === "deno" ? ["run", "-A", script, ...args] : [script, ...args];
  const { TORCHFFI_LEAK_WARN: _, ...inherited } = process.env;
  const child = spawnSync(join(root, "node_modules", ".bin", runtime), command, {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...inherited, NO_COLOR: "1", ...env },
  });
  expect(child.status, child.stderr).toBe(0);
  return { result: JSON.parse(child.stdout.trim().split("\n").at(-1)!) as { live: number[]; loss: number }, stderr: child.stderr };
}

// The nursery hands unscoped tensors to the backstop (and the guard) when the
// current job ends; a test sees the guard's verdict after one microtask turn.
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function leakWarnings(spy: ReturnType<typeof vi.spyOn>): string[] {
  return spy.mock.calls.map((call: unknown[]) => String(call[0])).filter((line: string) => LEAK.test(line));
}

afterEach(() => {
  vi.restoreAllMocks();
  setLeakWarning(DEFAULT_LEAK_THRESHOLD);
});

describe("the leak guard in this process", () => {
  test("a leaking loop warns once, naming the cause, the fix and the README", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    setLeakWarning(unscopedTensors() + 300);
    const leaked: Tensor[] = [];
    const w = ones([4]);
    for (let i = 0; i < 200; i++) leaked.push(w.mul(2), w.add(1)); // 400 tensors, none freed
    await settle();
    let lines = leakWarnings(warn);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/keeps growing/);
    expect(lines[0]).toMatch(/tidy\(\(\) => \{ \.\.\. \}\)/);
    expect(lines[0]).toMatch(/`using` or dispose\(\)/);
    expect(lines[0]).toMatch(/"Memory: scopes, not the garbage collector" in torchffi's README/);
    expect(lines[0]).toMatch(/TORCHFFI_LEAK_WARN=0/);
    // It goes on leaking: still the one warning.
    for (let i = 0; i < 400; i++) leaked.push(w.mul(3));
    await settle();
    lines = leakWarnings(warn);
    expect(lines).toHaveLength(1);
    for (const t of leaked) t.dispose();
    w.dispose();
  });

  test("the count goes down as tensors are disposed, so freeing them in time never warns", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const start = unscopedTensors();
    setLeakWarning(start + 100);
    const w = ones([4]);
    for (let i = 0; i < 5000; i++) {
      const a = w.mul(2);
      using b = a.add(1);
      a.dispose();
      if (i % 1000 === 0) await settle(); // tensors that outlive a job are counted too
    }
    await settle();
    expect(unscopedTensors()).toBe(start + 1);
    expect(leakWarnings(warn)).toEqual([]);
    w.dispose();
    expect(unscopedTensors()).toBe(start);
  });

  test("a tidy loop and train() never warn, even with a threshold just above what they keep", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    manualSeed(3);
    const mem = new Memory();
    const layer = new Linear(mem, 5, 3);
    const x = randn([400, 5]);
    const y = tidy(() => rand([400]).mul(3).to("int64"));
    const target = randn([400, 3]);
    await settle();
    setLeakWarning(unscopedTensors() + 20);
    const before = liveTensors();
    for (let i = 0; i < 2000; i++) {
      tidy(() => {
        mse(target, layer.forward(mem, x)).backward();
        mem.get(0).grad!.abs().max().item();
        mem.applyGradsSgd(0.01);
      });
    }
    train(mem, x, y, layer, { epochs: 3, batchSize: 4, lr: 1e-3, optimizer: "adam" }); // 300 steps
    await settle();
    expect(liveTensors()).toBe(before);
    expect(leakWarnings(warn)).toEqual([]);
    for (const t of [x, y, target]) t.dispose();
    mem.dispose();
  });

  test("setLeakWarning(0) turns the guard off; bad counts are refused", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    setLeakWarning(0);
    const w = ones([2]);
    const leaked = Array.from({ length: 3000 }, () => w.add(1));
    await settle();
    expect(leakWarnings(warn)).toEqual([]);
    for (const t of leaked) t.dispose();
    w.dispose();
    for (const bad of [-1, 1.5, NaN, "10" as unknown as number]) {
      expect(() => setLeakWarning(bad)).toThrow(TorchError);
    }
  });
});

describe(`a hand-written 20,000-step loop (${runtime})`, () => {
  test("inside tidy(): live tensors stay flat and nothing is printed", () => {
    const { result, stderr } = runLoop(["--tidy", "--steps", "20000"]);
    expect(result.live[1]).toBe(result.live[0]);
    expect(result.live[2]).toBe(result.live[0]);
    expect(result.loss).toBeLessThan(1e-6); // it did train
    expect(stderr).toBe("");
  });

  test("without tidy(): it grows, and the guard says so once, at the default threshold", () => {
    const { result, stderr } = runLoop(["--steps", "20000"]);
    expect(result.live[2]).toBeGreaterThan(result.live[0] + 40_000);
    const warnings = stderr.split("\n").filter((line) => line.startsWith("torchffi:"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(LEAK);
    const count = Number(warnings[0].match(/^torchffi: ([\d,]+) tensors/)![1].replaceAll(",", ""));
    expect(count).toBeGreaterThanOrEqual(DEFAULT_LEAK_THRESHOLD);
    expect(count).toBeLessThan(2 * DEFAULT_LEAK_THRESHOLD);
  });

  test("TORCHFFI_LEAK_WARN=0 silences it; TORCHFFI_LEAK_WARN=n moves the threshold", () => {
    expect(runLoop(["--steps", "20000"], { TORCHFFI_LEAK_WARN: "0" }).stderr).toBe("");
    const moved = runLoop(["--steps", "2000"], { TORCHFFI_LEAK_WARN: "1000" }).stderr;
    expect(moved).toMatch(LEAK);
    expect(moved).toMatch(/the threshold is 1,000/);
    expect(runLoop(["--steps", "1000"]).stderr).toBe(""); // 5,000 left behind: under the default
  });
});
