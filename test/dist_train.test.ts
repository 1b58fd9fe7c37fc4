// train() in a process group (issue 14): W ranks at batch B see, step for step,
// the samples one process sees at batch W·B, so the losses match it; every
// rank ends with the same parameters; only rank 0 writes the checkpoint and
// every rank resumes from it exactly; ranks that disagree about it fail together.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { type Finished, freePort, lastJson, rankEnv, run, runtime, tsCommand } from "./dist_helpers.ts";

const SCRIPT = "test/fixtures/dist/train_rank.ts";

interface Run {
  rank: number;
  steps: number[];
  history: number[];
  parameters: number[][];
  leaked: number;
}

function expectClose(actual: number[], expected: number[], rtol: number, atol = 0): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]), `element ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(rtol * Math.abs(expected[i]) + atol));
}

async function ranks(world: number, args: string[], perRank: (r: number) => string[] = () => []): Promise<Finished[]> {
  const port = await freePort();
  return Promise.all(Array.from({ length: world }, (_, r) => run(tsCommand(SCRIPT, [...args, ...perRank(r)]), rankEnv(r, world, port))));
}

function results(finished: Finished[]): Run[] {
  for (const f of finished) expect(f.status, f.stderr).toBe(0);
  return finished.map((f) => lastJson<Run>(f));
}

describe(`train() with a process group under ${runtime}`, () => {
  for (const [world, batch] of [[2, 4], [3, 3]]) {
    test(`${world} ranks at batch ${batch} match one process at batch ${world * batch}`, async () => {
      const [single] = results([await run(tsCommand(SCRIPT, [String(world * batch), "3"]), {})]);
      const group = results(await ranks(world, [String(batch), "3"]));
      // 60 samples: the last batch of each epoch is partial, in both runs.
      expect(single.steps.length).toBe(3 * Math.ceil(60 / (world * batch)));
      expect(single.leaked).toBe(0);
      for (const rank of group) {
        expectClose(rank.steps, single.steps, 1e-5);
        expectClose(rank.history, single.history, 1e-5);
        expectClose(rank.parameters.flat(), single.parameters.flat(), 1e-4, 1e-6);
        // The ranks hold one model: bit for bit the same.
        expect(rank.parameters).toEqual(group[0].parameters);
        expect(rank.leaked).toBe(0);
      }
    }, 60_000);
  }

  test("rank 0 writes the checkpoint and every rank resumes from it exactly", async () => {
    const dir = mkdtempSync(join(tmpdir(), "torchffi-ddp-"));
    const checkpoint = join(dir, "run.ckpt.safetensors");
    const whole = results(await ranks(2, ["4", "3"]));
    // Rank 1's path cannot be written: it must not try.
    results(await ranks(2, ["4", "1"], (r) => [r === 0 ? checkpoint : join(dir, "no-such-folder", "run.ckpt.safetensors")]));
    expect(existsSync(checkpoint)).toBe(true);
    const resumed = results(await ranks(2, ["4", "3", checkpoint, "resume"]));
    for (const rank of resumed) {
      expect(rank.history).toEqual(whole[rank.rank].history);
      expect(rank.steps).toEqual(whole[rank.rank].steps.slice(whole[rank.rank].steps.length / 3));
      expect(rank.parameters).toEqual(whole[0].parameters);
    }
  }, 90_000);

  test("ranks that would resume from different epochs all fail with the same TorchError", async () => {
    const dir = mkdtempSync(join(tmpdir(), "torchffi-ddp-"));
    const checkpoint = join(dir, "run.ckpt.safetensors");
    results(await ranks(2, ["4", "1", checkpoint]));
    // Rank 1 looks elsewhere and finds nothing.
    const finished = await ranks(2, ["4", "3"], (r) => [r === 0 ? checkpoint : join(dir, "missing.safetensors"), "resume"]);
    for (const f of finished) {
      expect(f.killed).toBe(false);
      expect(f.status).not.toBe(0);
      expect(f.stderr).toMatch(/TorchError: train: the ranks would resume from different epochs \(0 to 1\)/);
    }
  }, 60_000);
});
