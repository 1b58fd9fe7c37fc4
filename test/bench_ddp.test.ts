// The data-parallel benchmark does the same work as PyTorch's (issue 14): its
// workers, run briefly, end with the loss PyTorch reaches, alone and as 2
// ranks against DistributedDataParallel. Timings are never asserted on.
import { describe, expect, test } from "vitest";
import { freePort, lastJson, rankEnv, run, runtime, tsCommand } from "./dist_helpers.ts";

const ARGS = ["--warmup", "1", "--steps", "2"];
const THREADS = { OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" };

async function worker(impl: "ts" | "py", world: number): Promise<{ loss: number; world: number; steps: number }> {
  const batch = String(128 / world);
  const command: [string, string[]] = impl === "ts"
    ? tsCommand("bench/ddp_worker.ts", ["--batch", batch, ...ARGS])
    : ["/usr/bin/python3", ["bench/ddp_worker.py", "--batch", batch, ...ARGS]];
  const port = await freePort();
  const finished = await Promise.all(Array.from({ length: world }, (_, r) =>
    run(command, world === 1 ? THREADS : { ...THREADS, ...rankEnv(r, world, port) }, 120_000)
  ));
  for (const f of finished) expect(f.status, f.stderr).toBe(0);
  return lastJson(finished[0]);
}

describe(`bench/ddp.ts workers under ${runtime}`, () => {
  test("one process and 2 ranks end with PyTorch's losses", async () => {
    for (const world of [1, 2]) {
      const [ours, theirs] = [await worker("ts", world), await worker("py", world)];
      expect([ours.world, ours.steps]).toEqual([world, 3]);
      expect(Math.abs(ours.loss - theirs.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(theirs.loss));
    }
  }, 120_000);
});
