// examples/char_rnn.ts on a small cut (a small LSTM, a few dozen steps), run as
// users run it under both runtimes: it trains, the loss falls, and its samples
// turn from random symbols into letters and spaces.
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

function run(runtime: "deno" | "bun") {
  const script = ["examples/char_rnn.ts", "", "80", "64"];
  const child = spawnSync(`node_modules/.bin/${runtime}`, runtime === "deno" ? ["run", "-A", ...script] : script, {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
    // The example keeps a handful of tensors outside tidy(): one leaked per step would trip the guard.
    env: { ...process.env, NO_COLOR: "1", TORCHFFI_LEAK_WARN: "24" },
  });
  return child;
}

/** The share of a sample's characters that are lower-case letters or spaces, as English text mostly is. */
function plainShare(sample: string): number {
  return [...sample].filter((c) => /[a-z ]/.test(c)).length / sample.length;
}

describe("examples/char_rnn.ts", () => {
  test("trains an LSTM on the GPL under Deno and Bun: the loss falls and the samples turn into text", () => {
    const deno = run("deno"), bun = run("bun");
    for (const [name, child] of [["deno", deno], ["bun", bun]] as const) {
      expect(child.error, name).toBeUndefined();
      expect(child.status, `${name} stderr:\n${child.stderr}`).toBe(0);
      expect(child.stderr, `${name}: the leak guard or LibTorch spoke`).not.toMatch(/^torchffi:/m);
    }
    // The same seeds and the same LibTorch: the same run, character for character.
    expect(bun.stdout).toBe(deno.stdout);
    const losses = [...deno.stdout.matchAll(/^step (\d+): loss (\d+\.\d{4})$/gm)].map((m) => Number(m[2]));
    expect(losses.length).toBe(4);
    // ln(76) ≈ 4.33 for a uniform guess over the GPL's 76 distinct characters.
    expect(losses[0]).toBeLessThan(4.4);
    expect(losses[3]).toBeLessThan(losses[0] - 0.5);
    const samples = [...deno.stdout.matchAll(/^--- sample after (\d+) steps ---\n(.*(?:\n(?!\n).*)*)/gm)].map((m) => m[2]);
    expect(samples.length).toBe(5);
    for (const s of samples) expect(s.startsWith("The ")).toBe(true);
    expect(plainShare(samples[4])).toBeGreaterThan(plainShare(samples[0]) + 0.2);
  });
});
