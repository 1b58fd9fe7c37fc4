// The examples run as users run them, under both runtimes, and print the same thing.
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { smallMnistDir } from "./helpers.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

function run(runtime: "deno" | "bun", script: string) {
  const args = runtime === "deno" ? ["run", "-A", script] : [script];
  const child = spawnSync(`node_modules/.bin/${runtime}`, args, {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: "1" },
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
        const child = spawnSync(`node_modules/.bin/${runtime}`, args, { cwd: root, encoding: "utf8", timeout: 120_000 });
        expect(child.status, `${runtime} stderr:\n${child.stderr}`).toBe(0);
        expect(child.stdout).toMatch(/epoch 1: loss \d\.\d{4}\nepoch 2: loss \d\.\d{4}/);
        const accuracy = Number(child.stdout.match(/Test accuracy:\s+([\d.]+)/)?.[1]);
        // 600 images and 2 epochs: well above chance (10%), far from perfect.
        expect(accuracy).toBeGreaterThan(0.4);
        expect(accuracy).toBeLessThanOrEqual(1);
      }
    });
  }
});
