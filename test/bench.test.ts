// The benchmark harness works: bench/workloads.ts --quick --json runs under the
// current runtime, reports every workload with sane timings, and ends with the
// same losses as the PyTorch (and, when built, C++) version — proof that they do
// the same work. Timings are never asserted on: this is not a timed test.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const WORKLOADS = [
  "op_add",
  "op_add_grad",
  "ffn_step_16",
  "ffn_step_64",
  "ffn_step_128",
  "cnn_step_128",
  "cnn_step_512",
  "cnn_epoch",
  "cnn_inference",
  "cnn_inference_script",
  "resnet_step_128",
  "lstm_step_32",
];
// Workloads whose loss is deterministic (everything that has a loss).
const WITH_LOSS = WORKLOADS.filter((w) => !w.startsWith("op_"));

interface Output {
  implementation: string;
  threads: number;
  quick: boolean;
  workloads: Record<string, { warmup: number; iterations: number; samples_us: number[]; loss: number | null }>;
}

function run(command: string, args: string[]): Output {
  const r = spawnSync(command, [...args, "--quick", "--json", "--threads", "1"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 << 20,
    timeout: 60_000,
    // As bench/run.ts does: one thread for LibTorch and for OpenBLAS, so results agree to the last bits.
    env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", NO_COLOR: "1" },
  });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status ?? r.signal ?? r.error}):\n${r.stderr}`);
  const line = r.stdout.trim().split("\n").reverse().find((l) => l.startsWith("{"));
  if (!line) throw new Error(`${command} printed no JSON:\n${r.stdout}`);
  return JSON.parse(line) as Output;
}

const runtime = "Deno" in globalThis ? "deno" : "bun";
const tsArgs = runtime === "deno" ? ["run", "-A", "bench/workloads.ts"] : ["bench/workloads.ts"];
const cppProgram = `${root}build/bench/workloads`;

describe("bench harness", () => {
  let ts: Output;
  let references: Output[];

  beforeAll(() => {
    // The scripted CNN every implementation loads, as bench/run.ts writes it first.
    const script = spawnSync("/usr/bin/python3", ["bench/workloads.py", "--save-script"], { cwd: root, encoding: "utf8" });
    if (script.status !== 0) throw new Error(`workloads.py --save-script failed:\n${script.stderr}`);
    ts = run(`${root}node_modules/.bin/${runtime}`, tsArgs);
    references = [run("/usr/bin/python3", ["bench/workloads.py"])];
    // The C++ program, built as `npm run bench` builds it (a no-op when up to date).
    for (const args of [["-S", "bench/cpp", "-B", "build/bench", "-DCMAKE_BUILD_TYPE=Release"], ["--build", "build/bench", "-j", "2"]]) {
      if (args[0] === "-S" && existsSync(`${root}build/bench/CMakeCache.txt`)) continue;
      const build = spawnSync("cmake", args, { cwd: root, encoding: "utf8" });
      if (build.status !== 0) throw new Error(`building the C++ benchmark failed:\n${build.stdout}\n${build.stderr}`);
    }
    references.push(run(cppProgram, []));
  }, 240_000);

  test(`workloads.ts --quick --json under ${runtime}: every workload, finite positive timings`, () => {
    expect(ts.implementation).toBe(runtime);
    expect(ts.threads).toBe(1);
    expect(ts.quick).toBe(true);
    expect(Object.keys(ts.workloads).sort()).toEqual([...WORKLOADS].sort());
    for (const name of WORKLOADS) {
      const w = ts.workloads[name];
      expect(w.samples_us.length, name).toBeGreaterThan(0);
      for (const s of w.samples_us) {
        expect(Number.isFinite(s) && s > 0, `${name}: ${s}`).toBe(true);
      }
    }
  });

  test("the same work as PyTorch and C++: equal plans, final losses within 1e-4 relative", () => {
    for (const ref of references) {
      expect(Object.keys(ref.workloads).sort(), ref.implementation).toEqual([...WORKLOADS].sort());
      for (const name of WORKLOADS) {
        expect([ts.workloads[name].warmup, ts.workloads[name].iterations], `${ref.implementation} ${name}`)
          .toEqual([ref.workloads[name].warmup, ref.workloads[name].iterations]);
      }
      for (const name of WITH_LOSS) {
        const mine = ts.workloads[name].loss;
        const theirs = ref.workloads[name].loss;
        expect(typeof mine === "number" && Number.isFinite(mine), `${name}: ${mine}`).toBe(true);
        expect(typeof theirs === "number" && Number.isFinite(theirs), `${ref.implementation} ${name}: ${theirs}`).toBe(true);
        const relative = Math.abs(mine! - theirs!) / Math.abs(theirs!);
        expect(relative, `${name}: ${runtime} ${mine} vs ${ref.implementation} ${theirs}`).toBeLessThanOrEqual(1e-4);
      }
    }
  });
});
