// The short soak of issue 6: bench/soak.ts run for 3,000 training steps of the
// seed's CNN at batch 8, in a fresh process of this runtime (so the test runner's
// own memory does not blur the figures). Live tensors stay flat after every step
// and resident memory grows less than 5% after warm-up (medians of the first and
// last samples after step 1,000: see bench/soak.ts).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import type { SoakReport } from "../bench/soak.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const runtime = "Deno" in globalThis ? "deno" : "bun";

describe("soak", () => {
  test(`${runtime}: 3,000 CNN steps at batch 8 keep live tensors flat and resident memory within 5%`, () => {
    const args = ["bench/soak.ts", "--steps", "3000", "--batch", "8", "--warmup", "1000", "--every", "500", "--json"];
    const child = spawnSync(join(root, "node_modules", ".bin", runtime), runtime === "deno" ? ["run", "-A", ...args] : args, {
      cwd: root,
      encoding: "utf8",
      timeout: 300_000,
      env: { ...process.env, NO_COLOR: "1" },
    });
    const lines = child.stdout.trim().split("\n");
    console.log(lines.slice(0, -1).join("\n"));
    expect({ status: child.status, signal: child.signal }, `${child.stdout}\n${child.stderr}`).toEqual({ status: 0, signal: null });
    const report = JSON.parse(lines[lines.length - 1]) as Omit<SoakReport, "samples">;
    expect(report.steps).toBe(3000);
    expect(report.liveValues, "live tensors changed between steps").toHaveLength(1);
    expect(report.liveAfter, "tensors left alive after the run").toBe(report.liveBefore);
    expect(report.growthPercent, "resident memory growth after warm-up, in percent").toBeLessThan(5);
    expect(report.lastLoss).toBeLessThan(report.firstLoss);
    expect(report.ok).toBe(true);
  });
});
