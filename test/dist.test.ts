// Process groups (issue 14): ranks as child processes over 127.0.0.1, under
// the runtime running the suite, alone and together with a PyTorch rank; and
// every way of failing to meet (a port in use, nobody there, a bad address, a
// rank killed mid-training) as a TorchError within the timeout.
import { createServer, type Server } from "node:net";
import { describe, expect, test } from "vitest";
import { initProcessGroup, liveTensors, Memory, tensor, TorchError } from "../mod.ts";
import { freePort, lastJson, rankEnv, run, runtime, tsCommand } from "./dist_helpers.ts";

type Nested = number | Nested[];
interface Collectives {
  rank: number;
  worldSize: number;
  sum: number[];
  mean: number[];
  max: number[];
  min: number[];
  int64Sum: number[];
  broadcast: number[];
  initial?: Nested[];
  broadcastParameters?: Nested[];
  localGrads?: (Nested[] | null)[];
  averagedGrads?: (Nested[] | null)[];
  leaked: number;
}

const COLLECTIVES = "test/fixtures/dist/collectives_rank.ts";
const PY_COLLECTIVES = "test/fixtures/dist/collectives_rank.py";
const flat = (v: Nested[]): number[] => v.flat(Infinity as 1) as number[];
const f32 = (v: number) => Math.fround(v);

// What every rank's input is (collectives_rank.ts and .py build the same).
function inputOf(r: number): number[] {
  return [r + 1, -2.5 * (r + 1), 0.1 * r, r % 2 === 0 ? 7 : -7].map(f32);
}

function expectClose(actual: number[], expected: number[], rtol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]), `element ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(rtol * Math.abs(expected[i]) + 1e-7));
}

function checkCollectives(results: Collectives[], world: number): void {
  const inputs = Array.from({ length: world }, (_, r) => inputOf(r));
  const column = (i: number) => inputs.map((v) => v[i]);
  const sum = inputs[0].map((_, i) => column(i).reduce((a, b) => a + b, 0));
  for (const result of results) {
    expect(result.worldSize).toBe(world);
    expectClose(result.sum, sum);
    expectClose(result.mean, sum.map((s) => s / world));
    expect(result.max).toEqual(inputs[0].map((_, i) => Math.max(...column(i))));
    expect(result.min).toEqual(inputs[0].map((_, i) => Math.min(...column(i))));
    expect(result.int64Sum).toEqual([(world * (world - 1)) / 2, world]);
    const last = world - 1;
    expect(result.broadcast).toEqual([10 * last, 10 * last + 1, 10 * last + 2]);
    expect(result.leaked).toBe(0);
  }
  expect(results.map((r) => r.rank).sort()).toEqual(Array.from({ length: world }, (_, r) => r));
}

describe(`process groups under ${runtime}`, () => {
  for (const world of [2, 3]) {
    test(`${world} ranks: all-reduce, broadcast, barrier, parameters from rank 0, averaged gradients`, async () => {
      const port = await freePort();
      // With three, the last rank runs on the other runtime: Bun and Deno ranks mix.
      const other = runtime === "deno" ? "bun" : "deno";
      const finished = await Promise.all(
        Array.from({ length: world }, (_, r) => run(tsCommand(COLLECTIVES, [], r === 2 ? other : runtime), rankEnv(r, world, port))),
      );
      for (const f of finished) expect(f.status, f.stderr).toBe(0);
      const results = finished.map((f) => lastJson<Collectives>(f));
      checkCollectives(results, world);
      // Every rank started from its own weights and ends with rank 0's.
      const rank0 = results.find((r) => r.rank === 0)!;
      for (const result of results) {
        if (result.rank !== 0) expect(flat(result.initial!)).not.toEqual(flat(rank0.initial!));
        expect(result.broadcastParameters).toEqual(rank0.initial);
        // The weight, the bias and the int64 buffer, whose rank 0 value is [0, 10].
        expect(result.broadcastParameters!.length).toBe(3);
        expect(result.broadcastParameters![2]).toEqual([0, 10]);
        // The buffer has no gradient, before or after.
        expect(result.localGrads![2]).toBeNull();
        expect(result.averagedGrads![2]).toBeNull();
      }
      // Each rank's gradient differs; afterwards every rank holds their mean.
      const locals = results.map((r) => flat(r.localGrads!.slice(0, 2) as Nested[]));
      expect(locals[0]).not.toEqual(locals[1]);
      const mean = locals[0].map((_, i) => locals.reduce((s, l) => s + l[i], 0) / world);
      for (const result of results) expectClose(flat(result.averagedGrads!.slice(0, 2) as Nested[]), mean, 1e-6);
    }, 60_000);
  }

  test("a TypeScript rank and a PyTorch rank in one group agree on every number, whichever serves the store", async () => {
    for (const pythonRank of [0, 1]) {
      const port = await freePort();
      const finished = await Promise.all([0, 1].map((r) =>
        r === pythonRank
          ? run(["/usr/bin/python3", [PY_COLLECTIVES]], rankEnv(r, 2, port))
          : run(tsCommand(COLLECTIVES, ["--basic"]), rankEnv(r, 2, port, { TEST_UNCHECKED: "1" }))
      ));
      for (const f of finished) expect(f.status, f.stderr).toBe(0);
      const [a, b] = finished.map((f) => lastJson<Collectives>(f));
      checkCollectives([a, b], 2);
      const { rank: _a, ...ours } = a, { rank: _b, ...theirs } = b;
      expect(ours).toEqual(theirs);
    }
  }, 60_000);

  test("tensors of several hundred kilobytes (many pieces) all-reduce and broadcast exactly, float32, int64 and float64", async () => {
    for (const world of [2, 3]) {
      const port = await freePort();
      const finished = await Promise.all(Array.from({ length: world }, (_, r) => run(tsCommand("test/fixtures/dist/large_rank.ts"), rankEnv(r, world, port))));
      for (const f of finished) {
        expect(f.status, f.stderr).toBe(0);
        expect(lastJson(f)).toMatchObject({ sumError: 0, maxError: 0, countError: 0, broadcastError: 0, leaked: 0 });
      }
    }
  }, 60_000);

  test("a PyTorch rank in a group whose torchffi rank checks collectives: joining fails, saying to pass checkCollectives: false", async () => {
    const port = await freePort();
    const env = (r: number) => rankEnv(r, 2, port, { TEST_TIMEOUT: "3000" });
    const [ours, python] = await Promise.all([run(tsCommand(COLLECTIVES, ["--basic"]), env(0)), run(["/usr/bin/python3", [PY_COLLECTIVES]], env(1))]);
    expect(ours.killed).toBe(false);
    expect(ours.status).not.toBe(0);
    expect(ours.stderr).toMatch(/initProcessGroup: rank 0 of 2 could not join .*\(is a PyTorch rank in the group\? then pass checkCollectives: false/);
    expect(python.killed).toBe(false);
  }, 60_000);

  test("ranks passing tensors or Memories of different shapes all get a TorchError, not an abort", async () => {
    const port = await freePort();
    const finished = await Promise.all([0, 1, 2].map((r) => run(tsCommand("test/fixtures/dist/mismatch_rank.ts"), rankEnv(r, 3, port))));
    for (const f of finished) {
      expect(f.status, f.stderr).toBe(0);
      const { errors, afterwards } = lastJson<{ errors: string[]; afterwards: number }>(f);
      const ops = ["allReduce", "broadcast", "allReduceGradients", "broadcastParameters", "allReduce"];
      expect(errors.length).toBe(ops.length);
      errors.forEach((error, i) =>
        expect(error).toMatch(new RegExp(`^TorchError: ${ops[i]}: rank \\d of 3: the ranks called different collectives or passed (tensors|Memories) that differ`))
      );
      expect(afterwards).toBe(3);
    }
  }, 60_000);

  test("a world of one works in this process and leaks nothing", async () => {
    const before = liveTensors();
    const group = initProcessGroup({ rank: 0, worldSize: 1, masterAddr: "127.0.0.1", masterPort: await freePort(), timeout: 5000 });
    expect([group.rank, group.worldSize]).toEqual([0, 1]);
    expect(() => initProcessGroup({ rank: 0, worldSize: 1, masterPort: 1, timeout: 1000 }))
      .toThrow(/this process is already rank 0 of a group of 1: destroy\(\) it before joining another/);
    {
      using t = tensor([1.5, -2]);
      using mean = group.allReduce(t, "mean");
      expect(mean.toArray()).toEqual([1.5, -2]);
      expect(() => group.allReduce(t, "avg" as "mean")).toThrow(/op must be one of sum, mean, max, min/);
      expect(() => group.broadcast(t, 1)).toThrow(/src must be a rank in 0..0/);
      using ints = tensor([1, 2], undefined, "int64");
      expect(() => group.allReduce(ints, "mean")).toThrow(/a mean needs a floating-point tensor/);
    }
    using mem = new Memory();
    group.allReduceGradients(mem);
    group.barrier();
    group.destroy();
    group.destroy();
    expect(() => group.barrier()).toThrow(/this process group was destroyed/);
    expect(group.alive).toBe(false);
    expect(liveTensors()).toBe(before);
  });

  test("bad settings are TorchErrors before any connection", () => {
    const base = { masterAddr: "127.0.0.1", masterPort: 1, timeout: 1000 };
    expect(() => initProcessGroup({ ...base, rank: 0, worldSize: 0 })).toThrow(/worldSize must be an integer of at least 1, got 0/);
    expect(() => initProcessGroup({ ...base, rank: 2, worldSize: 2 })).toThrow(/rank must be an integer in 0..1, got 2/);
    expect(() => initProcessGroup({ ...base, rank: 0, worldSize: 1, masterPort: 70000 })).toThrow(/masterPort must be an integer in 1..65535/);
    expect(() => initProcessGroup({ ...base, rank: 0, worldSize: 1, timeout: 999 })).toThrow(/timeout must be an integer of at least 1000, got 999/);
    expect(() => initProcessGroup({ ...base, rank: 0, worldSize: 1, masterAddr: " " })).toThrow(/masterAddr must be a host name/);
    expect(() => initProcessGroup({ ...base, rank: 0 })).toThrow(TorchError);
  });

  test("a port in use, nobody at the address and an unknown host fail within the timeout", async () => {
    const server: Server = createServer();
    const busy = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
    try {
      expect(() => initProcessGroup({ rank: 0, worldSize: 1, masterAddr: "127.0.0.1", masterPort: busy, timeout: 2000 }))
        .toThrow(/initProcessGroup: .*(address already in use|Address already in use)/i);
    } finally {
      server.close();
    }
    // Rank 1 finds nobody serving; rank 0 waits for a rank that never comes.
    const cases: [number, string, RegExp][] = [
      [1, "127.0.0.1", /rank 1 of 2 could not join the process group at 127\.0\.0\.1:\d+ .*within 1500 ms: .*connect/],
      [1, "no-such-host.invalid", /rank 1 of 2 could not join the process group at no-such-host\.invalid:\d+ .*within 1500 ms/],
      [0, "127.0.0.1", /rank 0 of 2 could not join .*within 1500 ms: not all 2 ranks reached the store/],
    ];
    for (const [rank, masterAddr, message] of cases) {
      const started = performance.now();
      const port = await freePort();
      expect(() => initProcessGroup({ rank, worldSize: 2, masterAddr, masterPort: port, timeout: 1500 })).toThrow(message);
      expect(performance.now() - started).toBeLessThan(1500 + 1000);
    }
  }, 30_000);

  test("a rank killed mid-training makes the others fail with a TorchError within the timeout", async () => {
    const port = await freePort();
    const timeout = 3000;
    const finished = await Promise.all([0, 1, 2].map((r) =>
      run(tsCommand("test/fixtures/dist/die_rank.ts"), rankEnv(r, 3, port, { DIE_RANK: "1", TEST_TIMEOUT: String(timeout) }))
    ));
    expect(finished[1].signal).toBe("SIGKILL");
    for (const r of [0, 2]) {
      expect(finished[r].killed).toBe(false);
      const result = lastJson<{ torchError: boolean; error: string; failedAfter: number }>(finished[r]);
      expect(result.torchError, result.error).toBe(true);
      expect(result.error).toMatch(/allReduceGradients: rank \d of 3: the collective failed \(has another rank stopped/);
      expect(result.failedAfter).toBeLessThan(timeout + 5000);
    }
  }, 60_000);

  test("a rank alive but never calling the collective makes the others fail with a TorchError within the timeout", async () => {
    const port = await freePort();
    const timeout = 3000;
    const finished = await Promise.all([0, 1].map((r) =>
      run(tsCommand("test/fixtures/dist/die_rank.ts"), rankEnv(r, 2, port, { DIE_RANK: "1", DIE_HOW: "stall", TEST_TIMEOUT: String(timeout) }))
    ));
    expect(finished[1].status).toBe(0);
    expect(finished[0].killed).toBe(false);
    const result = lastJson<{ torchError: boolean; error: string; failedAfter: number }>(finished[0]);
    expect(result.torchError, result.error).toBe(true);
    expect(result.error).toMatch(/allReduceGradients: rank 0 of 2: the collective failed .*timeout/i);
    expect(result.failedAfter).toBeGreaterThanOrEqual(timeout - 100);
    expect(result.failedAfter).toBeLessThan(timeout + 2000);
  }, 60_000);
});
