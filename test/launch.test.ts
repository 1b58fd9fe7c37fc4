// `torchffi run` (issue 14) under the runtime running the suite: ranks started
// with the variables set, their output prefixed; a failing rank stops the
// others at once, the exit status is that rank's, and no rank is left behind.
import { describe, expect, test } from "vitest";
import { type Finished, freePort, run, runtime, tsCommand } from "./dist_helpers.ts";
import { smallMnistDir } from "./helpers.ts";

const SCRIPT = "test/fixtures/dist/launch_rank.ts";

function torchffiRun(...args: string[]): Promise<Finished> {
  // The leak guard's threshold as test/examples.test.ts sets it: a tensor leaked per step would warn.
  return run(tsCommand("lib/cli.ts", ["run", ...args]), { TORCHFFI_LEAK_WARN: "24" }, 60_000);
}

function pids(output: string): number[] {
  return [...output.matchAll(/^\[rank\d\] pid (\d+)$/gm)].map((m) => Number(m[1]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe(`torchffi run under ${runtime}`, () => {
  test("starts N ranks that meet, prefixes their lines, passes the script's arguments", async () => {
    const done = await torchffiRun("--nproc", "3", SCRIPT, "ok", "--epochs", "2");
    expect(done.status, done.stderr).toBe(0);
    for (const rank of [0, 1, 2]) {
      expect(done.stdout).toContain(`[rank${rank}] rank ${rank} of 3 local ${rank} sum 6 args ok --epochs 2\n`);
      expect(done.stderr).toContain(`[rank${rank}] threads 1\n`);
    }
    // Nothing unprefixed.
    expect(done.stdout.split("\n").filter((line) => line !== "" && !/^\[rank\d\] /.test(line))).toEqual([]);
  }, 60_000);

  test("a failing rank stops the others at once; the status is that rank's; nothing is left running", async () => {
    const done = await torchffiRun("--nproc", "3", SCRIPT, "fail");
    expect(done.killed).toBe(false);
    expect(done.status).toBe(3);
    expect(done.stderr).toContain("[rank1] rank 1 gives up\n");
    expect(done.stderr).toContain("torchffi run: rank 1 exited with status 3; stopping the other ranks\n");
    // The others were waiting in a one-minute barrier: the launcher ended them.
    expect(done.elapsed).toBeLessThan(20_000);
    const started = pids(done.stdout);
    expect(started.length).toBe(3);
    expect(started.filter(alive)).toEqual([]);
  }, 60_000);

  test("two launchers with --nnodes 2 and their own --node-rank make one world, as on two machines", async () => {
    const port = String(await freePort());
    const [first, second] = await Promise.all([0, 1].map((node) =>
      torchffiRun("--nproc", "2", "--nnodes", "2", "--node-rank", String(node), "--master-addr", "127.0.0.1", "--master-port", port, SCRIPT, "ok")
    ));
    expect(first.status, first.stderr).toBe(0);
    expect(second.status, second.stderr).toBe(0);
    // Ranks 0-1 here, 2-3 there; local ranks restart at 0 on each machine; 1+2+3+4 = 10.
    expect(first.stdout).toContain("[rank1] rank 1 of 4 local 1 sum 10 args ok\n");
    expect(second.stdout).toContain("[rank2] rank 2 of 4 local 0 sum 10 args ok\n");
    expect(second.stdout).toContain("[rank3] rank 3 of 4 local 1 sum 10 args ok\n");
  }, 60_000);

  test("bad command lines are one-line errors with status 2", async () => {
    const cases: [string[], RegExp][] = [
      [[SCRIPT], /run needs --nproc N/],
      [["--nproc", "0", SCRIPT], /--nproc must be an integer >= 1, got "0"/],
      [["--nproc", "2"], /run needs a script to start/],
      [["--nproc", "2", "no/such/script.ts"], /no such script: no\/such\/script.ts/],
      [["--nproc", "2", "--master-port", "70000", SCRIPT], /--master-port must be at most 65535/],
      [["--nproc", "2", "--nnodes", "2", "--node-rank", "2", SCRIPT], /--node-rank must be below --nnodes \(2\), got 2/],
    ];
    for (const [args, message] of cases) {
      const done = await torchffiRun(...args);
      expect(done.status, done.stderr).toBe(2);
      expect(done.stderr).toMatch(message);
      expect(done.stderr.trim().split("\n").length).toBe(1);
    }
  }, 60_000);
});

describe(`examples/ddp_mnist.ts under ${runtime}`, () => {
  test("trains the seed's CNN on 2 ranks started by torchffi run; rank 0 reports", async () => {
    const done = await torchffiRun("--nproc", "2", "examples/ddp_mnist.ts", smallMnistDir(), "2");
    expect(done.status, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^\[rank0\] epoch 1: loss \d\.\d{4} \(2 ranks\)\n\[rank0\] epoch 2: loss \d\.\d{4} \(2 ranks\)$/m);
    expect(done.stdout).not.toMatch(/\[rank1\]/);
    // Nothing of torchffi's (a leak warning, a LibTorch warning) on any rank.
    expect(done.stderr).not.toMatch(/^\[rank\d\] torchffi:/m);
    const accuracy = Number(done.stdout.match(/\[rank0\] Test accuracy:\s+([\d.]+)/)?.[1]);
    // 600 images and 2 epochs: well above chance (10%), far from perfect.
    expect(accuracy).toBeGreaterThan(0.4);
    expect(accuracy).toBeLessThanOrEqual(1);
  }, 120_000);
});
