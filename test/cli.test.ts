// The torchffi command end to end, under both runtimes: exit codes, output
// files, and one-line errors for bad flags and missing files.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

function cli(runtime: "deno" | "bun", ...args: string[]) {
  const command = runtime === "deno" ? ["run", "-A", "lib/cli.ts", ...args] : ["lib/cli.ts", ...args];
  const run = spawnSync(join(root, "node_modules", ".bin", runtime), command, { cwd: root, encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

for (const runtime of ["deno", "bun"] as const) {
  describe(`torchffi CLI under ${runtime}`, () => {
    const work = mkdtempSync(join(tmpdir(), `torchffi-cli-${runtime}-`));

    test("train on a small limit writes weights and a chart, then eval reads them", () => {
      const weights = join(work, "ffn.safetensors");
      const run = cli(runtime, "train", "--model", "ffn", "--limit", "1500", "--epochs", "2", "--batch-size", "50", "--seed", "3", "--out", weights);
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      // Not a terminal: one plain line per epoch, no progress-bar escapes.
      expect(run.stdout.match(/^epoch \d\/2 .*test accuracy/gm)?.length).toBe(2);
      expect(run.stdout).not.toContain("\x1b[");
      const accuracy = Number(run.stdout.match(/test accuracy: ([\d.]+)%/)?.[1]);
      expect(accuracy).toBeGreaterThan(60);
      expect(statSync(weights).size).toBeGreaterThan(4 * (784 * 128 + 128 + 128 * 10 + 10));
      const chart = readFileSync(join(work, "ffn.svg"), "utf8");
      expect(chart).toMatch(/^<svg[\s\S]*training loss[\s\S]*test accuracy[\s\S]*<\/svg>\n$/);

      const evaluated = cli(runtime, "eval", "--weights", weights, "--model", "ffn", "--limit", "1500");
      expect(evaluated.status).toBe(0);
      // The same weights on the same test images give the accuracy train reported.
      expect(Number(evaluated.stdout.match(/test accuracy: ([\d.]+)%/)?.[1])).toBe(accuracy);
      const rows = evaluated.stdout.split("\n").filter((line) => /^\s+\d\s+(\d+\s+){10}\s*[\d.]+%$/.test(line));
      expect(rows.length).toBe(10);
      const total = rows.reduce((sum, row) => sum + row.trim().split(/\s+/).slice(1, 11).reduce((s, c) => s + Number(c), 0), 0);
      expect(total).toBe(1500);
    });

    test("--model resnet trains the residual CNN with BatchNorm; eval reads its running statistics back", () => {
      const weights = join(work, "resnet.safetensors");
      const run = cli(runtime, "train", "--model", "resnet", "--limit", "1000", "--epochs", "2", "--batch-size", "50", "--seed", "3", "--out", weights);
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      const accuracy = Number(run.stdout.match(/test accuracy: ([\d.]+)%/)?.[1]);
      expect(accuracy).toBeGreaterThan(30);
      const evaluated = cli(runtime, "eval", "--weights", weights, "--model", "resnet", "--limit", "1000");
      expect(evaluated.stderr).toBe("");
      // Eval mode on both sides (BatchNorm on the saved running statistics): the same accuracy.
      expect(Number(evaluated.stdout.match(/test accuracy: ([\d.]+)%/)?.[1])).toBe(accuracy);
      expect(cli(runtime, "eval", "--weights", weights, "--model", "cnn", "--limit", "10").status).toBe(2);
    });

    test("on a terminal, a live progress bar with loss, samples/s and ETA", () => {
      // script(1) gives the command a pseudo-terminal, as a user's shell would.
      const bin = join(root, "node_modules", ".bin", runtime);
      const command = [bin, ...(runtime === "deno" ? ["run", "-A"] : []), "lib/cli.ts", "train", "--model", "ffn", "--limit", "3000",
        "--epochs", "1", "--batch-size", "10", "--out", join(work, "tty.safetensors")].join(" ");
      const run = spawnSync("script", ["-qec", command, "/dev/null"], { cwd: root, encoding: "utf8" });
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/\r\x1b\[2Kepoch 1\/1 [█░]{24} +\d+%  loss \d\.\d{4}  [\d,]+ samples\/s  ETA \d+:\d\d/);
      expect(run.stdout).toMatch(/epoch 1\/1  loss \d\.\d{4} .*test accuracy/);
    });

    test("--help for each command", () => {
      for (const args of [["--help"], ["train", "--help"], ["eval", "--help"]]) {
        const run = cli(runtime, ...args);
        expect(run.status).toBe(0);
        expect(run.stdout).toMatch(/Usage/);
      }
    });

    test("bad flags and missing files: one clear line, status 2", () => {
      const cases: [string[], RegExp][] = [
        [["train", "--bogus"], /--bogus/],
        [["train", "--epochs", "zero"], /--epochs must be an integer >= 1/],
        [["train", "--lr=-1"], /--lr must be a positive number/],
        [["train", "--lr", "-1"], /--lr/],
        [["train", "--model", "rnn"], /--model must be one of cnn, ffn/],
        [["train", "--data", join(work, "nowhere")], /data directory .* does not exist/],
        [["train", "--data", work, "--limit", "5"], /cannot find train-images-idx3-ubyte/],
        [["eval"], /--weights FILE is required/],
        [["eval", "--weights", join(work, "missing.safetensors")], /does not exist/],
        [["frobnicate"], /unknown command/],
      ];
      for (const [args, message] of cases) {
        const run = cli(runtime, ...args);
        expect(run.status, args.join(" ")).toBe(2);
        expect(run.stderr, args.join(" ")).toMatch(message);
        expect(run.stderr.trim().split("\n").length, args.join(" ")).toBe(1);
      }
    });

    test("weights of the wrong model or a corrupt file are refused with status 2", () => {
      const weights = join(work, "ffn.safetensors");
      if (!existsSync(weights)) throw new Error("the train test must run first");
      const wrongModel = cli(runtime, "eval", "--weights", weights, "--model", "cnn", "--limit", "10");
      expect(wrongModel.status).toBe(2);
      expect(wrongModel.stderr).toMatch(/missing key\(s\) in the file: "l3\.weight", "l3\.bias", "l4\.weight", "l4\.bias"; size mismatch for l1\.weight/);
      const corrupt = join(work, "corrupt.safetensors");
      writeFileSync(corrupt, readFileSync(weights).subarray(0, 100));
      const refused = cli(runtime, "eval", "--weights", corrupt, "--model", "ffn");
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/corrupt\.safetensors/);
    });
  });
}
