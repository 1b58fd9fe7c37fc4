/**
 * The soak run of issue 6: many training steps of the seed's CNN (`MnistCnn`) at a
 * small batch through `train()`, printing a small table every N steps (step, live
 * tensors, resident memory, loss, speed). At the end it prints how much resident
 * memory grew after warm-up and exits non-zero if the number of live tensors
 * changed between steps or resident memory grew more than 5%.
 *
 * Run: bun bench/soak.ts [--steps 20000] [--batch 8] [--every 1000] [--warmup 2000]
 *                        [--data fashion|random] [--images 8000] [--threads N] [--json]
 *  or: deno run -A bench/soak.ts ...
 *
 * Resident memory is VmRSS from /proc/self/status, sampled every `steps / 200`
 * steps. Growth compares medians, so that one sample taken just before the
 * JavaScript garbage collector runs does not decide it: the median of the first
 * samples after warm-up against the median of the last ones (each a tenth of the
 * samples after warm-up, at least three). `--json` prints the figures as one JSON
 * line at the end (test/soak.test.ts reads it).
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import {
  defaultDataDir,
  liveTensors,
  loadMnist,
  manualSeed,
  Memory,
  MnistCnn,
  rand,
  setNumThreads,
  type Tensor,
  tidy,
  train,
} from "../mod.ts";

/** Options of `runSoak`. */
export interface SoakOptions {
  /** Training steps (default 20,000). */
  steps?: number;
  /** Samples per step (default 8). */
  batch?: number;
  /** Print a row every this many steps (default steps / 20). */
  every?: number;
  /** Steps before resident memory is taken as settled (default 2,000, at most a third of the steps). */
  warmup?: number;
  /** Fashion-MNIST (default, when present) or seeded random images. */
  data?: "fashion" | "random";
  /** How many training images to cycle through (default 8,000). */
  images?: number;
  /** LibTorch intra-op threads (default: LibTorch's). */
  threads?: number;
  /** Where rows go (default console.log; null prints nothing). */
  log?: ((line: string) => void) | null;
}

/** One sample of the run. */
export interface SoakSample {
  step: number;
  live: number;
  rssKiB: number;
}

/** What a soak run measured. */
export interface SoakReport {
  steps: number;
  batch: number;
  data: "fashion" | "random";
  warmup: number;
  /** Every distinct liveTensors() value seen after a step (one value when flat). */
  liveValues: number[];
  /** liveTensors() before the data was loaded and after everything was disposed. */
  liveBefore: number;
  liveAfter: number;
  /** Median resident memory of the first samples after warm-up and of the last samples, in KiB. */
  rssWarmKiB: number;
  rssEndKiB: number;
  /** Largest sample after warm-up, in KiB. */
  rssPeakKiB: number;
  /** (rssEnd - rssWarm) / rssWarm, in percent. */
  growthPercent: number;
  firstLoss: number;
  lastLoss: number;
  seconds: number;
  samples: SoakSample[];
  /** Whether live tensors stayed flat and resident memory grew less than 5%. */
  ok: boolean;
}

/** Resident memory of this process in KiB (VmRSS), or NaN where /proc is missing. */
export function residentKiB(): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync("/proc/self/status", "utf8"));
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The training images, as `[images, 1, 28, 28]` float32 and `[images]` int64. */
function loadData(kind: "fashion" | "random", images: number): { x: Tensor; y: Tensor } {
  return tidy(() => {
    if (kind === "fashion") {
      const { x, y } = loadMnist();
      // Copies, so the full 60,000-image set is freed at the end of this scope.
      return { x: x.narrow(0, 0, images).view([-1, 1, 28, 28]).clone(), y: y.narrow(0, 0, images).clone() };
    }
    manualSeed(7);
    return { x: rand([images, 1, 28, 28]), y: rand([images]).mul(10).to("int64") };
  });
}

/**
 * Trains MnistCnn for `steps` steps with `train()` (Adam, lr 1e-3, shuffled each
 * epoch), watching live tensors after every step and resident memory every
 * `steps / 200` steps, and returns the figures.
 *
 * @example
 * ```ts
 * const report = runSoak({ steps: 3000, batch: 8, log: null });
 * console.log(report.growthPercent, report.liveValues);
 * ```
 */
export function runSoak(options: SoakOptions = {}): SoakReport {
  const steps = options.steps ?? 20_000;
  const batch = options.batch ?? 8;
  const every = options.every ?? Math.max(1, Math.round(steps / 20));
  const warmup = options.warmup ?? Math.min(2000, Math.floor(steps / 3));
  const images = options.images ?? 8000;
  const data = options.data ?? (existsSync(defaultDataDir()) ? "fashion" : "random");
  const log = options.log === undefined ? console.log : options.log;
  const sampleEvery = Math.max(1, Math.floor(steps / 200));
  if (!Number.isSafeInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got ${steps}`);
  if (!Number.isSafeInteger(batch) || batch < 1) throw new Error(`--batch must be a positive integer, got ${batch}`);
  if (!(warmup >= 0 && warmup < steps)) throw new Error(`--warmup must be in [0, steps), got ${warmup}`);
  if (options.threads !== undefined) setNumThreads(options.threads);

  const liveBefore = liveTensors();
  const { x, y } = loadData(data, images);
  const mem = new Memory();
  const samples: SoakSample[] = [];
  const liveValues = new Set<number>();
  let step = 0, firstLoss = NaN, lastLoss = NaN, intervalLoss = 0, intervalSteps = 0;
  const started = performance.now();
  let intervalStarted = started;

  const stepsPerEpoch = Math.ceil(images / batch);
  const epochs = Math.ceil(steps / stepsPerEpoch);
  const stop = new Error("soak: done");
  const header = `${"step".padStart(7)}  ${"live".padStart(5)}  ${"RSS MiB".padStart(8)}  ${"loss".padStart(7)}  ${"steps/s".padStart(7)}`;
  log?.(`MnistCnn, batch ${batch}, ${steps} steps on ${images} ${data === "fashion" ? "Fashion-MNIST" : "random"} images; warm-up ${warmup} steps`);
  log?.(header);
  try {
    manualSeed(1);
    const model = new MnistCnn(mem);
    try {
      train(mem, x, y, model, {
        epochs,
        batchSize: batch,
        lr: 1e-3,
        optimizer: "adam",
        onBatch: ({ loss }) => {
          step++;
          if (step === 1) firstLoss = loss;
          lastLoss = loss;
          intervalLoss += loss;
          intervalSteps++;
          liveValues.add(liveTensors());
          if (step % sampleEvery === 0 || step === steps) samples.push({ step, live: liveTensors(), rssKiB: residentKiB() });
          if (step % every === 0 || step === steps) {
            const now = performance.now();
            const rss = samples[samples.length - 1]?.rssKiB ?? residentKiB();
            log?.(
              `${String(step).padStart(7)}  ${String(liveTensors()).padStart(5)}  ${(rss / 1024).toFixed(1).padStart(8)}  ` +
                `${(intervalLoss / intervalSteps).toFixed(4).padStart(7)}  ${(intervalSteps / ((now - intervalStarted) / 1000)).toFixed(0).padStart(7)}`,
            );
            intervalLoss = 0;
            intervalSteps = 0;
            intervalStarted = now;
          }
          // train() has no step limit: leave it by throwing once enough steps ran.
          if (step >= steps) throw stop;
        },
      });
    } catch (error) {
      if (error !== stop) throw error;
    }
  } finally {
    mem.dispose();
    x.dispose();
    y.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  const liveAfter = liveTensors();

  const settled = samples.filter((s) => s.step > warmup);
  const window = Math.max(3, Math.floor(settled.length / 10));
  const rssWarmKiB = median(settled.slice(0, window).map((s) => s.rssKiB));
  const rssEndKiB = median(settled.slice(-window).map((s) => s.rssKiB));
  const rssPeakKiB = Math.max(...settled.map((s) => s.rssKiB));
  const growthPercent = (100 * (rssEndKiB - rssWarmKiB)) / rssWarmKiB;
  const ok = liveValues.size === 1 && liveAfter === liveBefore && Number.isFinite(growthPercent) && growthPercent < 5;
  return {
    steps: step,
    batch,
    data,
    warmup,
    liveValues: [...liveValues],
    liveBefore,
    liveAfter,
    rssWarmKiB,
    rssEndKiB,
    rssPeakKiB,
    growthPercent,
    firstLoss,
    lastLoss,
    seconds,
    samples,
    ok,
  };
}

/** The closing lines of the table. */
export function formatSummary(r: SoakReport): string {
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
  return [
    `steps ${r.steps} (batch ${r.batch}, ${r.data}) in ${r.seconds.toFixed(1)} s, loss ${r.firstLoss.toFixed(3)} -> ${r.lastLoss.toFixed(3)}`,
    `live tensors after every step: ${r.liveValues.join(", ")} (${r.liveValues.length === 1 ? "flat" : "CHANGED"}); ` +
      `before ${r.liveBefore}, after disposing ${r.liveAfter}`,
    `resident memory after warm-up (step ${r.warmup}): ${mib(r.rssWarmKiB)}, at the end: ${mib(r.rssEndKiB)}, ` +
      `peak ${mib(r.rssPeakKiB)}; growth ${((r.rssEndKiB - r.rssWarmKiB) / 1024).toFixed(1)} MiB = ${r.growthPercent.toFixed(2)}% (limit 5%)`,
    r.ok ? "OK" : "FAILED",
  ].join("\n");
}

function parseArgs(argv: string[]): SoakOptions & { json: boolean } {
  const options: SoakOptions & { json: boolean } = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = () => {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      return value;
    };
    const integer = () => {
      const value = Number(next());
      if (!Number.isSafeInteger(value)) throw new Error(`${flag} needs an integer, got ${argv[i]}`);
      return value;
    };
    switch (flag) {
      case "--steps": options.steps = integer(); break;
      case "--batch": options.batch = integer(); break;
      case "--every": options.every = integer(); break;
      case "--warmup": options.warmup = integer(); break;
      case "--images": options.images = integer(); break;
      case "--threads": options.threads = integer(); break;
      case "--data": {
        const value = next();
        if (value !== "fashion" && value !== "random") throw new Error(`--data must be fashion or random, got ${value}`);
        options.data = value;
        break;
      }
      case "--json": options.json = true; break;
      default: throw new Error(`unknown flag ${flag}`);
    }
  }
  return options;
}

if (import.meta.main) {
  let options: ReturnType<typeof parseArgs>;
  let report: SoakReport;
  try {
    options = parseArgs(process.argv.slice(2));
    report = runSoak(options);
  } catch (error) {
    console.error(`soak: ${(error as Error).message}`);
    process.exit(2);
  }
  console.log(formatSummary(report));
  if (options.json) {
    const { samples: _samples, ...figures } = report;
    console.log(JSON.stringify(figures));
  }
  process.exit(report.ok ? 0 : 1);
}
