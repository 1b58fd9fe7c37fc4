// The examples run as users run them, under both runtimes, and print the same thing.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { smallMnistDir } from "./helpers.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

// The examples keep at most 16 tensors alive outside every tidy() scope (data,
// parameters, results); with the leak guard's threshold just above that, one
// tensor leaked per training step would make it warn. And nothing else of
// torchffi's (a LibTorch warning) may reach stderr either.
const LEAK_GUARD = { TORCHFFI_LEAK_WARN: "24" };
const TORCHFFI_LINE = /^torchffi:/m;

function run(runtime: "deno" | "bun", script: string) {
  const args = runtime === "deno" ? ["run", "-A", script] : [script];
  const child = spawnSync(`node_modules/.bin/${runtime}`, args, {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: "1", ...LEAK_GUARD },
  });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr, error: child.error };
}

describe("examples/basics.ts", () => {
  test("runs under Deno and Bun with exit code 0 and identical output", () => {
    const deno = run("deno", "examples/basics.ts");
    const bun = run("bun", "examples/basics.ts");
    expect(deno.error).toBeUndefined();
    expect(bun.error).toBeUndefined();
    expect(deno.status, `deno stderr:\n${deno.stderr}`).toBe(0);
    expect(bun.status, `bun stderr:\n${bun.stderr}`).toBe(0);
    expect(deno.stderr).not.toMatch(TORCHFFI_LINE);
    expect(bun.stderr).not.toMatch(TORCHFFI_LINE);
    expect(deno.stdout.length).toBeGreaterThan(0);
    expect(bun.stdout).toBe(deno.stdout);
  });

  test("prints the results it promises", () => {
    const { status, stdout } = run("bun", "examples/basics.ts");
    expect(status).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(stdout).toContain("a @ a + 1 = tensor([[ 8., 11.],\n        [16., 23.]])");
    expect(stdout).toContain("b = tensor([ 0.5000, -1.5000,  2.2500], dtype=float64)");
    expect(stdout).toContain("mean of a = 2.5");
    expect(stdout).toContain("caught TorchError from view:");
    expect(lines).toContain("live tensors we hold: 6");
    expect(lines.at(-1)).toBe("live tensors after dispose(): 0");
  });
});

describe("the training examples", () => {
  const dir = smallMnistDir();
  for (const example of ["examples/cnn_mnist.ts", "examples/ffn_mnist.ts"]) {
    test(`${example} trains and reports test accuracy under Deno and Bun`, () => {
      for (const runtime of ["deno", "bun"] as const) {
        const args = runtime === "deno" ? ["run", "-A", example, dir, "2"] : [example, dir, "2"];
        const child = spawnSync(`node_modules/.bin/${runtime}`, args, {
          cwd: root,
          encoding: "utf8",
          timeout: 120_000,
          env: { ...process.env, ...LEAK_GUARD },
        });
        expect(child.status, `${runtime} stderr:\n${child.stderr}`).toBe(0);
        expect(child.stderr, `${runtime}: the leak guard or LibTorch spoke`).not.toMatch(TORCHFFI_LINE);
        expect(child.stdout).toMatch(/epoch 1: loss \d\.\d{4}\nepoch 2: loss \d\.\d{4}/);
        const accuracy = Number(child.stdout.match(/Test accuracy:\s+([\d.]+)/)?.[1]);
        // 600 images and 2 epochs: well above chance (10%), far from perfect.
        expect(accuracy).toBeGreaterThan(0.4);
        expect(accuracy).toBeLessThanOrEqual(1);
      }
    });
  }
});

describe("examples/resnet_fashion.ts", () => {
  const dir = smallMnistDir();
  // Without the times, what it prints depends on nothing but the seed.
  const withoutTimes = (text: string) => text.replace(/ \(\d+ s\)/g, "").replace(/^Wall time: .*$/m, "");
  // The ResNet keeps about 70 tensors alive for good (56 parameters, the
  // BatchNorm buffers, data and results). A tensor leaked per step over these
  // 48 steps would pass 100; nothing else must.
  const leakGuard = { TORCHFFI_LEAK_WARN: "100" };

  test("trains the residual CNN on a cut of Fashion-MNIST (--limit) and evaluates it in eval mode, under Deno and Bun", () => {
    const flags = [dir, "--epochs", "3", "--decay", "1", "--batch", "32", "--limit", "500"];
    const outputs: string[] = [];
    for (const runtime of ["deno", "bun"] as const) {
      const args = runtime === "deno" ? ["run", "-A", "examples/resnet_fashion.ts", ...flags] : ["examples/resnet_fashion.ts", ...flags];
      const child = spawnSync(`node_modules/.bin/${runtime}`, args, {
        cwd: root,
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, ...leakGuard },
      });
      expect(child.status, `${runtime} stderr:\n${child.stderr}`).toBe(0);
      expect(child.stderr, `${runtime}: the leak guard or LibTorch spoke`).not.toMatch(TORCHFFI_LINE);
      expect(child.stdout).toContain("500 training images, 3 epochs (the last 1 at lr/10), batch 32, width 16");
      const losses = [...child.stdout.matchAll(/epoch \d: loss (\d\.\d{4})/g)].map((m) => Number(m[1]));
      expect(losses).toHaveLength(3);
      // Each epoch's mean loss below the one before (the last at lr/10), the first already under chance's ln 10.
      expect(losses[0]).toBeLessThan(Math.log(10));
      expect(losses[1]).toBeLessThan(losses[0]);
      expect(losses[2]).toBeLessThan(losses[1]);
      const accuracy = Number(child.stdout.match(/Test accuracy:\s+([\d.]+)/)?.[1]);
      // 500 images, 3 epochs: well above chance (10%), far from the full run's 92%.
      expect(accuracy).toBeGreaterThan(0.4);
      expect(accuracy).toBeLessThan(0.92);
      outputs.push(withoutTimes(child.stdout));
    }
    expect(outputs[1]).toBe(outputs[0]);
  });
});

describe("examples/pytorch_model.ts", () => {
  const dir = smallMnistDir();
  const models = mkdtempSync(join(tmpdir(), "torchffi-pytorch-model-"));
  const python = (...args: string[]) => spawnSync("/usr/bin/python3", ["examples/pytorch_model.py", ...args], { cwd: root, encoding: "utf8", timeout: 300_000 });
  const reported = (text: string, label: string) => Number(text.match(new RegExp(`${label}: test accuracy ([\\d.]+)`))?.[1]);

  test("a model trained in PyTorch runs, fine-tunes and goes back to PyTorch, under Deno and Bun", () => {
    const trained = python("train", models, dir);
    expect(trained.status, trained.stderr).toBe(0);
    const pytorch = reported(trained.stdout, "PyTorch");
    expect(pytorch).toBeGreaterThan(0.2);
    for (const runtime of ["deno", "bun"] as const) {
      const args = runtime === "deno" ? ["run", "-A", "examples/pytorch_model.ts", models, dir] : ["examples/pytorch_model.ts", models, dir];
      const child = spawnSync(`node_modules/.bin/${runtime}`, args, { cwd: root, encoding: "utf8", timeout: 120_000 });
      expect(child.status, `${runtime} stderr:\n${child.stderr}`).toBe(0);
      // The TorchScript file and the state dict give PyTorch's accuracy exactly.
      expect(reported(child.stdout, "TorchScript model")).toBe(pytorch);
      expect(reported(child.stdout, "state dict in MnistCnn")).toBe(pytorch);
      const tuned = reported(child.stdout, "fine-tuned");
      expect(tuned).toBeGreaterThan(0);
      // Python reads the fine-tuned module back and measures the same accuracy.
      const check = python("eval", join(models, "cnn_tuned.pt"), dir);
      expect(check.status, check.stderr).toBe(0);
      expect(reported(check.stdout, "PyTorch")).toBe(tuned);
    }
  });
});
