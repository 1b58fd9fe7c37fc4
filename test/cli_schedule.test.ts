// `torchffi train --optimizer adamw|rmsprop --schedule SPEC`: the spec parser
// against the schedule helpers, then the command end to end under both runtimes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { parseSchedule } from "../lib/cli/schedule.ts";
import { UsageError } from "../lib/cli/args.ts";
import { cosineAnnealingLR, linearWarmup, type LrSchedule, oneCycleLR, stepLR } from "../mod.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

function rates(schedule: LrSchedule, steps: number, perEpoch: number): number[] {
  return Array.from({ length: steps }, (_, s) => schedule(s, Math.floor(s / perEpoch)));
}

describe("--schedule specs", () => {
  test("each spec is the helper it names, sized to the run (3 epochs of 7 steps at lr 0.1)", () => {
    const cases: [string, LrSchedule][] = [
      ["cosine", cosineAnnealingLR(0.1, { tMax: 21 })],
      ["cosine:0.001", cosineAnnealingLR(0.1, { tMax: 21, etaMin: 0.001 })],
      ["step:1:0.5", stepLR(0.1, { stepSize: 1, gamma: 0.5 })],
      ["step:2", stepLR(0.1, { stepSize: 2 })],
      ["warmup:5", linearWarmup(0.1, { totalIters: 5 })],
      ["warmup:5:0.1", linearWarmup(0.1, { totalIters: 5, startFactor: 0.1 })],
      ["onecycle", oneCycleLR(0.1, { totalSteps: 21 })],
      ["onecycle:0.2", oneCycleLR(0.1, { totalSteps: 21, pctStart: 0.2 })],
    ];
    const seen = new Set<string>();
    for (const [spec, want] of cases) {
      const parsed = parseSchedule(spec, 0.1, 3, 7)!;
      const got = rates(parsed.schedule, 21, 7);
      expect(got, spec).toEqual(rates(want, 21, 7));
      seen.add(JSON.stringify(got));
    }
    expect(seen.size).toBe(cases.length);
    expect(parseSchedule(undefined, 0.1, 3, 7)).toBeUndefined();
    expect(parseSchedule("none", 0.1, 3, 7)).toBeUndefined();
  });

  test("bad specs are one-line UsageErrors naming --schedule", () => {
    const cases: [string | boolean, RegExp][] = [
      ["warp", /--schedule must be cosine, step:N\[:GAMMA\], warmup:N\[:FACTOR\], onecycle or none, got "warp"/],
      ["step", /step needs N/],
      ["step:0", /--schedule step:0: stepSize must be a positive integer/],
      ["step:2:x", /"x" is not a number/],
      ["step:2:-1", /gamma must be a positive number/],
      ["cosine:1", /etaMin must be a number in \[0, lr\]/],
      ["cosine:0:1", /too many parts/],
      ["warmup:3:0", /startFactor must be in \(0, 1\]/],
      ["onecycle:1.5", /pctStart must be in \[0, 1\]/],
      [true, /--schedule needs a value/],
    ];
    for (const [spec, pattern] of cases) {
      let caught: unknown;
      try {
        parseSchedule(spec, 0.1, 3, 7);
      } catch (e) {
        caught = e;
      }
      expect(caught, String(spec)).toBeInstanceOf(UsageError);
      expect((caught as Error).message, String(spec)).toMatch(pattern);
      expect((caught as Error).message.split("\n").length).toBe(1);
    }
  });
});

function cli(runtime: "deno" | "bun", ...args: string[]) {
  const command = runtime === "deno" ? ["run", "-A", "lib/cli.ts", ...args] : ["lib/cli.ts", ...args];
  const run = spawnSync(join(root, "node_modules", ".bin", runtime), command, { cwd: root, encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

for (const runtime of ["deno", "bun"] as const) {
  describe(`torchffi train with the new optimizers and schedules under ${runtime}`, () => {
    const work = mkdtempSync(join(tmpdir(), `torchffi-cli-sched-${runtime}-`));
    const common = ["train", "--model", "ffn", "--limit", "600", "--epochs", "2", "--batch-size", "50", "--seed", "4"];

    test("--optimizer adamw --schedule cosine and --optimizer rmsprop --schedule step:1:0.5 train; the schedule changes the weights", () => {
      const runs: [string[], RegExp][] = [
        [["--optimizer", "adamw", "--schedule", "cosine", "--out", join(work, "adamw-cosine.safetensors")], /adamw lr 0\.001, cosine to 0 over 24 steps/],
        [["--optimizer", "adamw", "--out", join(work, "adamw.safetensors")], /adamw lr 0\.001\)/],
        [["--optimizer", "rmsprop", "--schedule", "step:1:0.5", "--out", join(work, "rmsprop.safetensors")], /rmsprop lr 0\.001, times 0\.5 every 1 epoch/],
      ];
      for (const [args, header] of runs) {
        const run = cli(runtime, ...common, ...args);
        expect(run.stderr, args.join(" ")).toBe("");
        expect(run.status).toBe(0);
        expect(run.stdout).toMatch(header);
        expect(run.stdout.match(/^epoch \d\/2 .*test accuracy/gm)?.length).toBe(2);
        expect(Number(run.stdout.match(/test accuracy: ([\d.]+)%/)?.[1])).toBeGreaterThan(50);
      }
      const scheduled = readFileSync(join(work, "adamw-cosine.safetensors"));
      const constant = readFileSync(join(work, "adamw.safetensors"));
      expect(scheduled.length).toBe(constant.length);
      expect(scheduled.equals(constant)).toBe(false);
    });

    test("--help documents both flags; bad values are one line with status 2", () => {
      const help = cli(runtime, "train", "--help");
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/--optimizer NAME +adam, sgd, momentum .*adamw .*rmsprop/);
      expect(help.stdout).toMatch(/--schedule SPEC[\s\S]*cosine\[:ETA_MIN\][\s\S]*step:N\[:GAMMA\][\s\S]*warmup:N\[:FACTOR\][\s\S]*onecycle\[:PCT\]/);
      const cases: [string[], RegExp][] = [
        [["train", "--optimizer", "adamax"], /--optimizer must be one of adam, sgd, momentum, adamw, rmsprop, got "adamax"/],
        [["train", "--schedule", "warp"], /--schedule must be cosine/],
        [["train", "--schedule", "step:0"], /--schedule step:0: stepSize must be a positive integer/],
      ];
      for (const [args, message] of cases) {
        const run = cli(runtime, ...args);
        expect(run.status, args.join(" ")).toBe(2);
        expect(run.stderr, args.join(" ")).toMatch(message);
        expect(run.stderr.trim().split("\n").length, args.join(" ")).toBe(1);
      }
    });
  });
}
