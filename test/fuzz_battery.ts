// The bad-input battery shared by test/fuzz.test.ts and test/survives.test.ts: a
// seeded, repeatable fuzzer that calls the public tensor and layer API thousands
// of times with random shapes (zero and negative sizes too), dtypes, dims,
// indices and values, most of them wrong (the cases: test/fuzz_cases.ts). It
// records, per op kind, how many calls failed and succeeded, and every violation
// of the library's promise on bad input (README "What happens on bad input"):
//   - every failure is a TorchError (an Error) with a non-empty message naming the
//     operation, in LibTorch's words without the C++ backtrace;
//   - a failed call leaves no native handle behind, and each case's scope leaves
//     liveTensors() where it was;
//   - a successful call returns a valid value (a live tensor whose shape, dtype and
//     data agree), and calls that cannot succeed do not;
//   - nothing aborts the process (test/fixtures/fuzz_child.ts runs the battery in a
//     child process, so that a crash is a test failure instead of a dead runner).
// Everything random comes from a tiny JavaScript PRNG (mulberry32), never from
// LibTorch's generator, so a seed always makes the same calls.
import { liveTensors, tidy } from "../mod.ts";
import { CASES } from "./fuzz_cases.ts";
import { type OpCount, Recorder, Rng, type Violation } from "./fuzz_record.ts";

export { describe, errorProblems, mulberry32, type OpCount, Recorder, Rng, tensorProblems, type Violation } from "./fuzz_record.ts";

/** What a run of the battery saw. */
export interface BatteryReport {
  seed: number;
  calls: number;
  counts: Map<string, OpCount>;
  violations: Violation[];
  liveBefore: number;
  liveAfter: number;
  millis: number;
}

/** Options of `runBattery`. */
export interface BatteryOptions {
  /** The seed of the JavaScript PRNG (default 20240521). */
  seed?: number;
  /** How many calls to make at least (default 4000). */
  calls?: number;
  /** Called with each call's index and description just before it runs. */
  trace?: (call: number, what: string) => void;
}

/**
 * Runs the battery: random cases until `calls` calls were made, each inside
 * its own tidy() scope. Some calls reseed LibTorch's generator: callers that
 * need its numbers call manualSeed() afterwards.
 */
export function runBattery(options: BatteryOptions = {}): BatteryReport {
  const seed = options.seed ?? 20240521;
  const target = options.calls ?? 4000;
  const rng = new Rng(seed);
  const rec = new Recorder({ trace: options.trace });
  const total = CASES.reduce((sum, [, w]) => sum + w, 0);
  const liveBefore = liveTensors();
  const started = performance.now();
  let cases = 0;
  while (rec.calls < target) {
    let r = rng.float() * total;
    let chosen = CASES[0][0];
    for (const [c, w] of CASES) {
      if ((r -= w) < 0) {
        chosen = c;
        break;
      }
    }
    const index = cases++;
    const liveBeforeCase = liveTensors();
    const firstCall = rec.calls;
    try {
      tidy(() => chosen(rng, rec));
      const leaked = liveTensors() - liveBeforeCase;
      if (leaked !== 0) {
        rec.violations.push({
          call: firstCall,
          kind: "leak",
          what: `case #${index} (${chosen.name}), calls ${firstCall}..${rec.calls - 1}`,
          problem: `${leaked} handle(s) still alive after the case's tidy() scope closed`,
        });
      }
    } catch (error) {
      // Making the valid inputs of a case must never fail; if it does, that is a finding too.
      rec.violations.push({
        call: rec.calls,
        kind: "setup",
        what: `case #${index} (${chosen.name})`,
        problem: `building valid inputs threw: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      });
    }
  }
  return {
    seed,
    calls: rec.calls,
    counts: rec.counts,
    violations: rec.violations,
    liveBefore,
    liveAfter: liveTensors(),
    millis: performance.now() - started,
  };
}

/** A table of failed / succeeded calls per op kind, for the log. */
export function formatCounts(report: BatteryReport): string {
  const rows = [...report.counts.entries()].sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(...rows.map(([k]) => k.length), 4);
  const lines = rows.map(([kind, c]) => `${kind.padEnd(width)}  ${String(c.failed).padStart(5)}  ${String(c.ok).padStart(5)}`);
  const failed = rows.reduce((s, [, c]) => s + c.failed, 0);
  const ok = rows.reduce((s, [, c]) => s + c.ok, 0);
  return [
    `${"op".padEnd(width)}  failed     ok`,
    ...lines,
    `${"all".padEnd(width)}  ${String(failed).padStart(5)}  ${String(ok).padStart(5)}`,
    `seed ${report.seed}: ${report.calls} calls in ${(report.millis / 1000).toFixed(1)} s, ${report.violations.length} violation(s)`,
  ].join("\n");
}

/** The violations grouped by kind and problem (first example of each), for a readable failure. */
export function formatViolations(violations: readonly Violation[], max = 40): string {
  const seen = new Map<string, { v: Violation; n: number }>();
  for (const v of violations) {
    const key = `${v.kind} | ${v.problem.replace(/\d+/g, "#").slice(0, 120)}`;
    const entry = seen.get(key);
    if (entry) entry.n++;
    else seen.set(key, { v, n: 1 });
  }
  return [...seen.values()].slice(0, max).map(({ v, n }) => `[call ${v.call}, ${n}x] ${v.kind}: ${v.what}\n    -> ${v.problem}`).join("\n");
}
