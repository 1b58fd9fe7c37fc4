/**
 * The benchmark runner (`npm run bench`): runs the same workloads in Bun, Deno,
 * PyTorch (Python) and a C++ LibTorch program, one after another in rounds
 * (the order rotates each round, so machine noise spreads evenly), and prints a
 * markdown table of medians and ratios, with the machine and the final losses.
 *
 * Run: bun bench/run.ts [--quick] [--threads N] [--rounds N] [--out FILE]
 *                       [--only workload,...] [--impl bun,deno,pytorch,cpp]
 *
 * The table ends with the data-parallel row (`--only ddp` for it alone): the
 * seed's CNN as 2 processes × 1 thread at batch 64 against PyTorch DDP and one
 * process at 128, run by bench/ddp.ts with the same rounds.
 *
 * Every implementation gets the same thread count twice over: through its own
 * API (`setNumThreads`, `torch.set_num_threads`, `at::set_num_threads`) and as
 * OMP_NUM_THREADS / OPENBLAS_NUM_THREADS, because at::set_num_threads (and so
 * torch.set_num_threads) does not reach the pthread pool of Debian's OpenBLAS,
 * which otherwise uses every core for matrix products and changes the last bits.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { arch, cpus, release } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "node_modules", ".bin");
const python = process.env.TORCHFFI_PYTHON || "/usr/bin/python3";
const cppDir = join(root, "build", "bench");
const cppProgram = join(cppDir, "workloads");

/** The workloads in table order, with their labels. */
const WORKLOADS: { key: string; label: (info: Record<string, number>) => string }[] = [
  { key: "op_add", label: () => "per op: `a.add(b)` 2x2, freed" },
  { key: "op_add_grad", label: () => "per op: `a.add(b)` 2x2, requires grad" },
  { key: "ffn_step_16", label: () => "FFN 784-128-10 train step, batch 16" },
  { key: "ffn_step_64", label: () => "FFN 784-128-10 train step, batch 64" },
  { key: "ffn_step_128", label: () => "FFN 784-128-10 train step, batch 128" },
  { key: "cnn_step_128", label: () => "CNN train step, batch 128" },
  { key: "cnn_step_512", label: () => "CNN train step, batch 512" },
  { key: "cnn_epoch", label: (info) => `CNN epoch with \`train()\`, ${fmtInt(info.images)} images, batch 128` },
  { key: "cnn_inference", label: (info) => `CNN inference, ${fmtInt(info.images)} test images, batches of ${info.batch}` },
  { key: "cnn_inference_script", label: () => "the same, the CNN scripted in PyTorch and loaded (`loadScriptModule`, `torch.jit.load`)" },
  { key: "resnet_step_128", label: (info) => `ResNet (MnistResNet, BatchNorm) train step, batch ${info.batch}` },
  {
    key: "lstm_step_32",
    label: (info) => `Embedding-LSTM(${info.hidden})-Linear train step, batch ${info.batch} × ${info.seq} tokens`,
  },
];

/** The `--only` name of the data-parallel benchmark (bench/ddp.ts), which runs several processes a measurement. */
const DATA_PARALLEL = "ddp";

/** Final losses further apart than this (relative) are flagged. */
const LOSS_TOLERANCE = 1e-4;

type ImplKey = "bun" | "deno" | "pytorch" | "cpp";

interface Impl {
  key: ImplKey;
  title: string;
  command: string;
  args: string[];
}

const IMPLS: Impl[] = [
  { key: "bun", title: "Bun", command: join(bin, "bun"), args: ["bench/workloads.ts"] },
  { key: "deno", title: "Deno", command: join(bin, "deno"), args: ["run", "-A", "bench/workloads.ts"] },
  { key: "pytorch", title: "PyTorch", command: python, args: ["bench/workloads.py"] },
  { key: "cpp", title: "C++", command: cppProgram, args: [] },
];

interface WorkloadResult {
  warmup: number;
  iterations: number;
  chunks: number;
  samples_us: number[];
  loss: number | null;
  info: Record<string, number>;
}

interface Output {
  implementation: string;
  runtime: string;
  threads: number;
  quick: boolean;
  workloads: Record<string, WorkloadResult>;
}

interface Options {
  quick: boolean;
  threads: number;
  rounds: number;
  out: string | null;
  only: string[] | null;
  impls: ImplKey[];
  /** Whether to end with the data-parallel row (bench/ddp.ts). */
  dataParallel: boolean;
}

function usage(message: string): never {
  console.error(`bench: ${message}`);
  console.error("usage: bun bench/run.ts [--quick] [--threads N] [--rounds N] [--out FILE] [--only w1,w2] [--impl bun,deno,pytorch,cpp]");
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, threads: 1, rounds: 0, out: null, only: null, impls: IMPLS.map((i) => i.key), dataParallel: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i] ?? usage(`${arg} needs a value`);
    const positive = (v: string) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1) usage(`${arg} needs a positive integer, got ${v}`);
      return n;
    };
    if (arg === "--quick") options.quick = true;
    else if (arg === "--threads") options.threads = positive(value());
    else if (arg === "--rounds") options.rounds = positive(value());
    else if (arg === "--out") options.out = value();
    else if (arg === "--only") options.only = value().split(",").filter(Boolean);
    else if (arg === "--impl") options.impls = value().split(",").filter(Boolean) as ImplKey[];
    else if (arg === "--help" || arg === "-h") usage("help");
    else usage(`unknown argument ${arg}`);
  }
  if (options.rounds === 0) options.rounds = options.quick ? 1 : 5;
  for (const w of options.only ?? []) if (w !== DATA_PARALLEL && !WORKLOADS.some((x) => x.key === w)) usage(`unknown workload ${w}`);
  for (const k of options.impls) if (!IMPLS.some((x) => x.key === k)) usage(`unknown implementation ${k}`);
  if (options.only) {
    options.dataParallel = options.only.includes(DATA_PARALLEL);
    options.only = options.only.filter((w) => w !== DATA_PARALLEL);
  }
  return options;
}

function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "?";
}

/** A time in microseconds with a readable unit and three significant digits. */
function fmtTime(us: number): string {
  if (!Number.isFinite(us)) return "—";
  const [value, unit] = us < 1000 ? [us, "µs"] : us < 1e6 ? [us / 1000, "ms"] : [us / 1e6, "s"];
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${unit}`;
}

function fmtRatio(r: number): string {
  return Number.isFinite(r) ? r.toFixed(2) : "—";
}

function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function newestMtime(paths: string[]): number {
  return Math.max(...paths.map((p) => statSync(p).mtimeMs));
}

/** Configures (once) and builds the C++ program, unless it is newer than its sources. */
function buildCpp(): string | null {
  const sources = [join(root, "bench/cpp/workloads.cpp"), join(root, "bench/cpp/CMakeLists.txt")];
  if (existsSync(cppProgram) && statSync(cppProgram).mtimeMs >= newestMtime(sources)) return null;
  console.error("bench: building the C++ LibTorch program (build/bench)");
  const steps: [string, string[]][] = [];
  if (!existsSync(join(cppDir, "CMakeCache.txt"))) {
    steps.push(["cmake", ["-S", "bench/cpp", "-B", "build/bench", "-DCMAKE_BUILD_TYPE=Release"]]);
  }
  steps.push(["cmake", ["--build", "build/bench", "-j", String(Math.max(1, cpus().length))]]);
  for (const [command, args] of steps) {
    const r = spawnSync(command, args, { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 });
    if (r.status !== 0) return `${command} ${args.join(" ")} failed:\n${(r.stdout ?? "") + (r.stderr ?? "") || String(r.error)}`;
  }
  return null;
}

function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"));
    if (line) return line.split(":").slice(1).join(":").trim();
  } catch { /* not Linux */ }
  return cpus()[0]?.model ?? "unknown CPU";
}

function libtorchVersion(): string {
  const r = spawnSync("dpkg-query", ["-W", "-f=${Version}", "libtorch-dev"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? `LibTorch ${r.stdout.trim()} (Debian libtorch-dev, CPU)` : "LibTorch (version unknown)";
}

/** Runs one implementation once; returns its output or the reason it failed. */
function runOnce(impl: Impl, options: Options): Output | string {
  const args = [...impl.args, "--json", "--threads", String(options.threads)];
  if (options.quick) args.push("--quick");
  if (options.only) args.push("--only", options.only.join(","));
  const threads = String(options.threads);
  const r = spawnSync(impl.command, args, {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 << 20,
    timeout: 15 * 60 * 1000,
    env: { ...process.env, OMP_NUM_THREADS: threads, OPENBLAS_NUM_THREADS: threads, MKL_NUM_THREADS: threads, NO_COLOR: "1" },
  });
  if (r.error) return `${impl.command}: ${r.error.message}`;
  if (r.status !== 0) return `exit status ${r.status ?? r.signal}:\n${(r.stderr || r.stdout).trim().split("\n").slice(-20).join("\n")}`;
  const line = r.stdout.trim().split("\n").reverse().find((l) => l.startsWith("{"));
  if (!line) return `no JSON in its output:\n${r.stdout.slice(-2000)}`;
  let output: Output;
  try {
    output = JSON.parse(line) as Output;
  } catch (error) {
    return `invalid JSON: ${(error as Error).message}`;
  }
  const expected = options.only ?? WORKLOADS.map((w) => w.key);
  for (const key of expected) {
    const w = output.workloads?.[key];
    if (!w) return `workload ${key} missing from its output`;
    if (!w.samples_us.length || !w.samples_us.every((s) => Number.isFinite(s) && s > 0)) return `workload ${key}: bad timings ${JSON.stringify(w.samples_us)}`;
  }
  if (output.threads !== options.threads) return `it ran with ${output.threads} threads, not ${options.threads}`;
  return output;
}

interface Collected {
  samples: Map<string, number[]>;
  losses: Map<string, number[]>;
  first: Output | null;
  failures: string[];
}

/**
 * Runs bench/ddp.ts (several processes a measurement, so not a workload of
 * the runners above) with the same rounds and appends its table to `lines`;
 * returns why it failed, if it did.
 */
function dataParallelRow(options: Options, lines: string[]): string | null {
  const args = ["bench/ddp.ts", "--rounds", String(options.rounds), ...(options.quick ? ["--quick"] : [])];
  const r = spawnSync(join(bin, "bun"), args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 30 * 60 * 1000 });
  if (r.status !== 0) return `data-parallel benchmark (bench/ddp.ts) failed: exit status ${r.status ?? r.signal ?? r.error?.message}`;
  lines.push("");
  lines.push("### Data-parallel training: 2 processes × 1 thread against PyTorch DDP (Gloo, ranks started by hand) and one process");
  lines.push("");
  lines.push(r.stdout.trim());
  return null;
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const impls = IMPLS.filter((i) => options.impls.includes(i.key));
  const workloads = WORKLOADS.filter((w) => !options.only || options.only.includes(w.key));
  const started = performance.now();

  const collected = new Map<ImplKey, Collected>();
  for (const impl of impls) collected.set(impl.key, { samples: new Map(), losses: new Map(), first: null, failures: [] });

  if (workloads.length > 0 && options.impls.includes("cpp")) {
    const failure = buildCpp();
    if (failure) {
      console.error(`bench: C++ build failed; the C++ column is skipped\n${failure}`);
      collected.get("cpp")!.failures.push("build failed");
    }
  }

  if (workloads.some((w) => w.key === "cnn_inference_script")) {
    // Every implementation loads the same file: PyTorch scripts the seeded CNN once, before any round.
    const r = spawnSync(python, ["bench/workloads.py", "--save-script"], { cwd: root, encoding: "utf8" });
    if (r.status !== 0) console.error(`bench: cannot write the scripted CNN (the row will fail):\n${r.stderr}`);
  }

  for (let round = 0; workloads.length > 0 && round < options.rounds; round++) {
    // Round-robin with a rotating start: each implementation runs first, second... in turn.
    const order = impls.map((_, i) => impls[(i + round) % impls.length]);
    for (const impl of order) {
      const c = collected.get(impl.key)!;
      if (impl.key === "cpp" && c.failures.includes("build failed")) continue;
      const t0 = performance.now();
      const result = runOnce(impl, options);
      const seconds = ((performance.now() - t0) / 1000).toFixed(1);
      if (typeof result === "string") {
        console.error(`bench: round ${round + 1}/${options.rounds}  ${impl.title.padEnd(8)} FAILED after ${seconds} s: ${result}`);
        c.failures.push(result);
        continue;
      }
      console.error(`bench: round ${round + 1}/${options.rounds}  ${impl.title.padEnd(8)} ${seconds.padStart(6)} s`);
      c.first ??= result;
      for (const [key, w] of Object.entries(result.workloads)) {
        if (!c.samples.has(key)) c.samples.set(key, []);
        c.samples.get(key)!.push(...w.samples_us);
        if (w.loss !== null) {
          if (!c.losses.has(key)) c.losses.set(key, []);
          c.losses.get(key)!.push(w.loss);
        }
      }
    }
  }

  // Equal work: every implementation must report the same plan for each workload.
  const problems: string[] = [];
  for (const w of workloads) {
    const plans = impls.map((i) => collected.get(i.key)!.first?.workloads[w.key]).filter((x) => x !== undefined);
    const describe = (r: WorkloadResult) => JSON.stringify([r.warmup, r.iterations, r.chunks, r.info.batch ?? null, r.info.images ?? null, r.info.steps ?? null]);
    if (new Set(plans.map(describe)).size > 1) problems.push(`${w.key}: implementations disagree on the work (${plans.map(describe).join(" vs ")})`);
  }

  const medianOf = (impl: ImplKey, key: string) => median(collected.get(impl)?.samples.get(key) ?? []);
  const infoOf = (key: string) => {
    for (const impl of impls) {
      const info = collected.get(impl.key)!.first?.workloads[key]?.info;
      if (info) return info;
    }
    return {};
  };
  const has = (k: ImplKey) => impls.some((i) => i.key === k);
  const ratioColumns: [ImplKey, ImplKey, string][] = ([["bun", "pytorch"], ["deno", "pytorch"], ["bun", "cpp"], ["deno", "cpp"]] as [ImplKey, ImplKey][])
    .filter(([a, b]) => has(a) && has(b))
    .map(([a, b]) => [a, b, `${IMPLS.find((i) => i.key === a)!.title}/${IMPLS.find((i) => i.key === b)!.title}`]);

  const lines: string[] = [];
  const runtimes = impls.map((i) => collected.get(i.key)!.first?.runtime ?? `${i.title} (failed)`);
  const totalMinutes = ((performance.now() - started) / 60000).toFixed(1);
  lines.push(`## torchffi benchmark${options.quick ? " (--quick: a smoke run, not for reading)" : ""}`);
  lines.push("");
  lines.push(`- Machine: ${cpuModel()}, ${cpus().length} cores, ${arch()} Linux ${release()}`);
  lines.push(`- ${libtorchVersion()}; ${options.threads} thread${options.threads === 1 ? "" : "s"} everywhere (setNumThreads / torch.set_num_threads / at::set_num_threads, plus OMP_NUM_THREADS and OPENBLAS_NUM_THREADS)`);
  lines.push(`- Runtimes: ${runtimes.join(" · ")}`);
  lines.push(`- ${options.rounds} round${options.rounds === 1 ? "" : "s"}, implementations interleaved; each cell is the median over all rounds of the per-iteration time (${totalMinutes} min in all). Ratios below 1 mean TypeScript is faster.`);
  lines.push("- Same data (Fashion-MNIST), same initial weights (manual seed 1, PyTorch's init), Adam lr 1e-3 everywhere; training steps cycle over the first 8 batches of the training set (the LSTM: over 8 batches of token windows from a seeded LCG, written out the same in every implementation).");
  lines.push("");
  const header = ["Workload", ...impls.map((i) => i.title), ...ratioColumns.map(([, , t]) => t)];
  if (workloads.length > 0) {
    lines.push(`| ${header.join(" | ")} |`);
    lines.push(`|${header.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`);
  }
  for (const w of workloads) {
    const cells = [w.label(infoOf(w.key))];
    for (const impl of impls) cells.push(fmtTime(medianOf(impl.key, w.key)));
    for (const [a, b] of ratioColumns) cells.push(fmtRatio(medianOf(a, w.key) / medianOf(b, w.key)));
    lines.push(`| ${cells.join(" | ")} |`);
  }

  // Cells whose samples spread widely (interquartile range over 15% of the median) are named, so nobody reads noise as a result.
  const noisy: string[] = [];
  for (const w of workloads) {
    for (const impl of impls) {
      const samples = [...(collected.get(impl.key)!.samples.get(w.key) ?? [])].sort((a, b) => a - b);
      if (samples.length < 4) continue;
      const q = (f: number) => samples[Math.min(samples.length - 1, Math.floor(f * samples.length))];
      const spread = (q(0.75) - q(0.25)) / median(samples);
      if (spread > 0.15) noisy.push(`${impl.title} ${w.key} (IQR ${(spread * 100).toFixed(0)}%)`);
    }
  }
  if (noisy.length) {
    lines.push("");
    lines.push(`Noisy cells (interquartile range above 15% of the median): ${noisy.join(", ")}.`);
  }

  const lossRows = workloads.filter((w) => impls.some((i) => (collected.get(i.key)!.losses.get(w.key) ?? []).length > 0));
  if (lossRows.length) {
    lines.push("");
    lines.push("Final losses (last training step; mean loss of the epoch; test cross-entropy of the seeded model for inference). Equal numbers show equal work:");
    lines.push("");
    const lossHeader = ["Workload", ...impls.map((i) => i.title), "max rel. diff"];
    lines.push(`| ${lossHeader.join(" | ")} |`);
    lines.push(`|${lossHeader.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`);
    let drifted = 0;
    for (const w of lossRows) {
      const all: number[] = [];
      const cells = [w.label(infoOf(w.key))];
      for (const impl of impls) {
        const losses = collected.get(impl.key)!.losses.get(w.key) ?? [];
        all.push(...losses);
        // Deterministic: every round gives the same loss; show it, and flag a run that did not.
        const spread = losses.length ? Math.max(...losses) - Math.min(...losses) : 0;
        cells.push(losses.length ? `${losses[0].toPrecision(8)}${spread > 0 ? " (varies)" : ""}` : "—");
      }
      const ref = Math.abs(all[0]);
      const diff = all.length ? Math.max(...all.map((v) => Math.abs(v - all[0]))) / (ref || 1) : NaN;
      cells.push(!Number.isFinite(diff) ? "—" : diff === 0 ? "0" : `${diff.toExponential(1)}${diff > LOSS_TOLERANCE ? " ⚠" : ""}`);
      if (diff > LOSS_TOLERANCE) drifted++;
      lines.push(`| ${cells.join(" | ")} |`);
    }
    if (drifted) {
      lines.push("");
      lines.push(
        `⚠ ${drifted} row${drifted === 1 ? "" : "s"} differ by more than ${LOSS_TOLERANCE} relative: the same steps with arithmetic that is ` +
          "not bit-identical (e.g. a fused optimizer step rounding differently) drift apart over hundreds of steps; " +
          "a real difference in the work (data, weights, settings) shows at the first steps too (`--quick` runs agree to ~1e-7).",
      );
    }
  }

  if (options.dataParallel) {
    const failure = dataParallelRow(options, lines);
    if (failure) problems.push(failure);
  }

  const failed = impls.filter((i) => collected.get(i.key)!.failures.length > 0);
  if (failed.length || problems.length) {
    lines.push("");
    for (const i of failed) lines.push(`- **${i.title} failed** ${collected.get(i.key)!.failures.length} time(s): ${collected.get(i.key)!.failures[0].split("\n")[0]}`);
    for (const p of problems) lines.push(`- **${p}**`);
  }

  const markdown = lines.join("\n") + "\n";
  console.log(markdown);
  if (options.out) {
    writeFileSync(options.out, markdown);
    console.error(`bench: wrote ${options.out}`);
  }
  if (failed.length || problems.length) process.exit(1);
}

main();
