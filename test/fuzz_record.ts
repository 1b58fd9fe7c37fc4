// The bookkeeping of the fuzz battery (test/fuzz_battery.ts): the seeded PRNG,
// the checks every call must pass, and the Recorder that counts calls per op kind
// and collects each broken promise with enough detail to reproduce it.
import { liveTensors, Tensor, tidy, TorchError } from "../mod.ts";

// ------------------------------------------------------------------ randomness

/** mulberry32: a tiny, fast, seedable 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Convenience draws over a mulberry32 stream. */
export class Rng {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }
  /** A float in [0, 1). */
  float(): number {
    return this.#next();
  }
  /** An integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.#next() * (hi - lo + 1));
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.#next() < p;
  }
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#next() * items.length)];
  }
}

// ------------------------------------------------------------------ reporting

/** Calls that failed and succeeded for one kind of operation. */
export interface OpCount {
  ok: number;
  failed: number;
}

/** One broken promise, with what the call was so it can be reproduced. */
export interface Violation {
  /** Index of the call in the run (same seed, same index, same call). */
  call: number;
  kind: string;
  what: string;
  problem: string;
}

// Words that only appear in a message when a C++ backtrace or stack dump leaked through.
const BACKTRACE_PATTERNS: readonly RegExp[] = [
  /Exception raised from/,
  /frame #\d+/,
  /\b0x[0-9a-f]{6,}\b/i,
  /CapturedTraceback/,
  /most recent call first/,
  /\(no backtrace available\)/,
];

/** The problems with a thrown value, or [] when it is a proper TorchError. */
export function errorProblems(error: unknown, expectedOps: readonly string[] | null): string[] {
  if (!(error instanceof Error)) return [`threw a non-Error: ${typeof error} ${String(error)}`];
  const problems: string[] = [];
  if (!(error instanceof TorchError)) problems.push(`threw ${error.name}, not a TorchError: ${error.message}`);
  const message = error.message ?? "";
  if (message.trim() === "") problems.push("empty message");
  for (const pattern of BACKTRACE_PATTERNS) {
    if (pattern.test(message)) problems.push(`C++ backtrace in the message (${pattern}): ${message.slice(0, 300)}`);
  }
  if (message.length > 1500) problems.push(`a ${message.length}-character message: ${message.slice(0, 200)}...`);
  if (error instanceof TorchError) {
    if (!error.op || error.detail.trim() === "") problems.push(`TorchError without op or detail: ${JSON.stringify(message)}`);
    if (error.message !== `${error.op}: ${error.detail}`) problems.push(`message is not "op: detail": ${message}`);
    if (/without a message|unknown C\+\+ exception/.test(error.detail)) problems.push(`a message that says nothing: ${message}`);
    if (expectedOps && !expectedOps.includes(error.op)) {
      problems.push(`the error names op "${error.op}", expected ${expectedOps.map((o) => `"${o}"`).join(" or ")}: ${message}`);
    }
  }
  return problems;
}

/** Problems with a value that claims to be a tensor, or [] when it is valid. */
export function tensorProblems(t: unknown): string[] {
  if (!(t instanceof Tensor)) return [`expected a Tensor, got ${describe(t)}`];
  if (t.isDisposed) return ["returned a disposed tensor"];
  const shape = t.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return [`invalid shape ${JSON.stringify(shape)}`];
  if (!["float32", "float64", "int64", "int32", "uint8", "bool"].includes(t.dtype)) return [`invalid dtype ${t.dtype}`];
  const numel = shape.reduce((a, b) => a * b, 1);
  if (t.numel !== numel || t.ndim !== shape.length) return [`numel ${t.numel} / ndim ${t.ndim} disagree with shape [${shape}]`];
  if (numel <= 4096) {
    const data = t.toTypedArray();
    if (data.length !== numel) return [`toTypedArray() holds ${data.length} values for shape [${shape}]`];
  }
  return [];
}

/** A short description of an argument, for reproducing a call. */
export function describe(value: unknown): string {
  if (value instanceof Tensor) {
    if (value.isDisposed) return "<disposed tensor>";
    return `${value.dtype}[${value.shape.join(",")}]${value.requiresGrad ? "(grad)" : ""}`;
  }
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return value.length > 12 ? `[${value.length} items]` : `[${value.map(describe).join(",")}]`;
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([k, v]) => `${k}:${typeof v === "function" ? "fn" : describe(v)}`).join(",")}}`;
  }
  return String(value);
}

export type Validate = (result: unknown) => string[];

/** Runs calls, counts them and records every broken promise. */
export class Recorder {
  calls = 0;
  /** Called with each call's index and description just before it runs. */
  readonly trace?: (call: number, what: string) => void;
  constructor(options: { trace?: (call: number, what: string) => void } = {}) {
    this.trace = options.trace;
  }
  readonly counts = new Map<string, OpCount>();
  readonly violations: Violation[] = [];

  /**
   * Calls `fn` once. A throw must be a proper TorchError (naming one of
   * `expectedOps` when given) and must leave liveTensors() unchanged; a result
   * must pass `validate` (by default: a tensor result must be a valid tensor).
   * Returns the result, or undefined when the call threw.
   */
  call<T>(
    kind: string,
    what: string,
    expectedOps: readonly string[] | null,
    fn: () => T,
    validate?: Validate,
    mustFail?: RegExp,
  ): T | undefined {
    const index = this.calls++;
    this.trace?.(index, `${kind}: ${what}`);
    let count = this.counts.get(kind);
    if (!count) this.counts.set(kind, count = { ok: 0, failed: 0 });
    const before = liveTensors();
    let result: T;
    try {
      // Its own scope, so that what the call made before it failed is freed and
      // whatever is still alive afterwards is a real leak.
      result = tidy(fn);
    } catch (error) {
      count.failed++;
      const problems = errorProblems(error, expectedOps);
      const after = liveTensors();
      if (after !== before) problems.push(`the failed call leaked ${after - before} handle(s)`);
      if (mustFail && error instanceof Error && !mustFail.test(error.message)) {
        problems.push(`the message should match ${mustFail}: ${error.message}`);
      }
      for (const problem of problems) this.violations.push({ call: index, kind, what, problem });
      return undefined;
    }
    count.ok++;
    if (mustFail) this.violations.push({ call: index, kind, what, problem: `succeeded, but must fail (${mustFail})` });
    let problems: string[];
    try {
      problems = validate ? validate(result) : result instanceof Tensor ? tensorProblems(result) : [];
    } catch (error) {
      problems = [`checking the result threw: ${error instanceof Error ? error.message : String(error)}`];
    }
    for (const problem of problems) this.violations.push({ call: index, kind, what, problem });
    return result;
  }
}
