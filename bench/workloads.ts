/**
 * The benchmark workloads in TypeScript, on torchffi. The same work is written
 * in `workloads.py` (PyTorch) and `cpp/workloads.cpp` (C++ LibTorch); `run.ts`
 * runs all of them and prints the comparison table.
 *
 * Run: deno run -A bench/workloads.ts [--json] [--quick] [--threads N] [--only a,b] [--data DIR]
 *  or: bun bench/workloads.ts [--json] ...
 *
 * With `--json` it prints one JSON object: for each workload the per-iteration
 * times in microseconds (one sample per chunk of iterations) and the final loss.
 * Each workload seeds LibTorch's generator, then builds its model, so every
 * implementation starts from the same weights and does the same steps.
 *
 * @module
 */
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  cat,
  type Compute,
  crossEntropy,
  Embedding,
  getNumThreads,
  Linear,
  loadMnist,
  loadScriptModule,
  LSTM,
  manualSeed,
  Memory,
  MnistCnn,
  MnistFfn,
  MnistResNet,
  noGrad,
  predictClasses,
  setNumThreads,
  type Tensor,
  tensor,
  tidy,
  train,
} from "../mod.ts";

/** How many iterations a workload warms up with, times, and in how many chunks (one sample each). */
interface Plan {
  warmup: number;
  iterations: number;
  chunks: number;
}

/** One workload's result, the same shape in every implementation. */
interface Result {
  warmup: number;
  iterations: number;
  /** Microseconds per iteration, one value per chunk. */
  samples_us: number[];
  /** The final loss (null where there is none). */
  loss: number | null;
  /** Anything else worth showing (batch size, accuracy, steps...). */
  info: Record<string, number>;
}

// Keep these numbers equal in workloads.py and cpp/workloads.cpp: run.ts checks
// that every implementation reports the same warmup and iterations.
const SEED = 1;
const LR = 1e-3; // Adam, PyTorch's defaults otherwise, everywhere
const STEP_BATCHES = 8; // training steps cycle over the first 8 batches of the training set
const EPOCH_BATCH = 128;
const QUICK_EPOCH_SAMPLES = 3840; // --quick trains the epoch workload on 30 batches only
const INFERENCE_BATCH = 1000;
const RESNET_BATCH = 128;
// The LSTM workload: Embedding(64, 32) -> LSTM(32, 128) -> Linear(128, 64) over
// 32 sequences of 32 tokens, predicting each next token of a seeded LCG stream.
const LSTM_VOCAB = 64;
const LSTM_EMBED = 32;
const LSTM_HIDDEN = 128;
const LSTM_SEQ = 32;
const LSTM_BATCH = 32;

const PLANS: Record<string, { full: Plan; quick: Plan }> = {
  op_add: { full: { warmup: 100000, iterations: 200000, chunks: 10 }, quick: { warmup: 200, iterations: 2000, chunks: 5 } },
  op_add_grad: { full: { warmup: 100000, iterations: 200000, chunks: 10 }, quick: { warmup: 200, iterations: 2000, chunks: 5 } },
  ffn_step_16: { full: { warmup: 50, iterations: 1000, chunks: 10 }, quick: { warmup: 10, iterations: 100, chunks: 5 } },
  ffn_step_64: { full: { warmup: 50, iterations: 500, chunks: 10 }, quick: { warmup: 10, iterations: 50, chunks: 5 } },
  ffn_step_128: { full: { warmup: 50, iterations: 500, chunks: 10 }, quick: { warmup: 10, iterations: 50, chunks: 5 } },
  cnn_step_128: { full: { warmup: 5, iterations: 60, chunks: 6 }, quick: { warmup: 2, iterations: 10, chunks: 5 } },
  cnn_step_512: { full: { warmup: 3, iterations: 20, chunks: 5 }, quick: { warmup: 1, iterations: 5, chunks: 5 } },
  cnn_epoch: { full: { warmup: 0, iterations: 1, chunks: 1 }, quick: { warmup: 0, iterations: 1, chunks: 1 } },
  cnn_inference: { full: { warmup: 1, iterations: 5, chunks: 5 }, quick: { warmup: 1, iterations: 2, chunks: 2 } },
  cnn_inference_script: { full: { warmup: 1, iterations: 5, chunks: 5 }, quick: { warmup: 1, iterations: 2, chunks: 2 } },
  resnet_step_128: { full: { warmup: 2, iterations: 30, chunks: 5 }, quick: { warmup: 1, iterations: 4, chunks: 2 } },
  lstm_step_32: { full: { warmup: 5, iterations: 100, chunks: 5 }, quick: { warmup: 2, iterations: 10, chunks: 2 } },
};

interface Options {
  json: boolean;
  quick: boolean;
  threads: number;
  only: string[] | null;
  data: string | undefined;
  script: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { json: false, quick: false, threads: 1, only: null, data: undefined, script: SCRIPT_DEFAULT };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--json") options.json = true;
    else if (arg === "--quick") options.quick = true;
    else if (arg === "--threads") options.threads = Number(value());
    else if (arg === "--only") options.only = value().split(",").filter(Boolean);
    else if (arg === "--data") options.data = value();
    else if (arg === "--script") options.script = value();
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isSafeInteger(options.threads) || options.threads < 1) throw new Error("--threads needs a positive integer");
  for (const name of options.only ?? []) if (!(name in PLANS)) throw new Error(`unknown workload ${name}`);
  return options;
}

/** Runs `body` for the plan's warmup, then times its iterations chunk by chunk. */
function timeLoop(plan: Plan, body: (iteration: number) => void): number[] {
  let i = 0;
  for (; i < plan.warmup; i++) body(i);
  const perChunk = plan.iterations / plan.chunks;
  const samples: number[] = [];
  for (let c = 0; c < plan.chunks; c++) {
    const start = performance.now();
    for (let j = 0; j < perChunk; j++) body(i++);
    samples.push(((performance.now() - start) * 1000) / perChunk);
  }
  return samples;
}

/** Per-op cost: `a.add(b)` on 2x2 tensors, freed at once, outside any scope. */
function opAdd(plan: Plan, requiresGrad: boolean): Result {
  const a = tensor([[1, 2], [3, 4]]);
  const b = tensor([[5, 6], [7, 8]]);
  a.requiresGrad = requiresGrad;
  b.requiresGrad = requiresGrad;
  // Written out (no callback per op) to time the op, not the harness; the same in Python and C++.
  for (let i = 0; i < plan.warmup; i++) a.add(b).dispose();
  const perChunk = plan.iterations / plan.chunks;
  const samples: number[] = [];
  for (let c = 0; c < plan.chunks; c++) {
    const start = performance.now();
    for (let j = 0; j < perChunk; j++) a.add(b).dispose();
    samples.push(((performance.now() - start) * 1000) / perChunk);
  }
  a.dispose();
  b.dispose();
  return { ...plan, samples_us: samples, loss: null, info: {} };
}

/**
 * One training step of `model` per iteration: forward, cross-entropy, backward,
 * one Adam step over every parameter, and the loss read back (as `train()` does).
 * Iteration i uses batch i mod 8 of the first 8 batches of the training set.
 */
function trainingSteps(
  plan: Plan,
  x: Tensor,
  y: Tensor,
  batch: number,
  makeModel: (mem: Memory) => Compute,
  targetOf: (yb: Tensor) => Tensor = (yb) => yb,
): Result {
  return tidy(() => {
    const xs: Tensor[] = [];
    const ys: Tensor[] = [];
    for (let k = 0; k < STEP_BATCHES; k++) {
      xs.push(x.narrow(0, k * batch, batch));
      ys.push(targetOf(y.narrow(0, k * batch, batch)));
    }
    using mem = new Memory();
    manualSeed(SEED);
    const model = makeModel(mem);
    let loss = NaN;
    const samples = timeLoop(plan, (i) => {
      const k = i % STEP_BATCHES;
      loss = tidy(() => {
        const l = crossEntropy(ys[k], model.forward(mem, xs[k]));
        l.backward();
        mem.applyGradsAdam(LR);
        return l.item();
      });
    });
    return { ...plan, samples_us: samples, loss, info: { batch, steps: plan.warmup + plan.iterations } };
  });
}

/**
 * The tokens of the LSTM workload: the top bits of a 31-bit LCG (glibc's
 * constants) from seed 1, mod 64. Written out the same in Python and C++, so no
 * random generator has to agree.
 */
function lcgTokens(count: number): number[] {
  const tokens: number[] = [];
  let state = 1;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    tokens.push((state >>> 16) % LSTM_VOCAB);
  }
  return tokens;
}

/** Embedding -> LSTM (batch first) -> Linear: next-token scores `[batch·seq, vocab]`. */
class LstmModel implements Compute {
  readonly emb: Embedding;
  readonly lstm: LSTM;
  readonly fc: Linear;

  constructor(mem: Memory) {
    this.emb = new Embedding(mem, LSTM_VOCAB, LSTM_EMBED, { name: "emb" });
    this.lstm = new LSTM(mem, LSTM_EMBED, LSTM_HIDDEN, { batchFirst: true, name: "lstm" });
    this.fc = new Linear(mem, LSTM_HIDDEN, LSTM_VOCAB, { name: "fc" });
  }

  forward(mem: Memory, tokens: Tensor): Tensor {
    return this.fc.forward(mem, this.lstm.forward(mem, this.emb.forward(mem, tokens))).view([-1, LSTM_VOCAB]);
  }
}

/**
 * LSTM training steps: batch k of 8 holds 32 windows of 33 consecutive tokens;
 * the first 32 are the input, the last 32 the targets.
 */
function lstmSteps(plan: Plan): Result {
  return tidy(() => {
    const window = LSTM_SEQ + 1;
    const stream = lcgTokens(STEP_BATCHES * LSTM_BATCH * window);
    const inputs: number[] = [], targets: number[] = [];
    for (let w = 0; w < STEP_BATCHES * LSTM_BATCH; w++) {
      inputs.push(...stream.slice(w * window, w * window + LSTM_SEQ));
      targets.push(...stream.slice(w * window + 1, (w + 1) * window));
    }
    const x = tensor(inputs, [STEP_BATCHES * LSTM_BATCH, LSTM_SEQ], "int64");
    const y = tensor(targets, [STEP_BATCHES * LSTM_BATCH, LSTM_SEQ], "int64");
    // trainingSteps cuts batches along dim 0; the model flattens its scores, so each batch's targets are flattened too.
    const result = trainingSteps(plan, x, y, LSTM_BATCH, (mem) => new LstmModel(mem), (target) => target.view([-1]));
    return { ...result, info: { ...result.info, seq: LSTM_SEQ, hidden: LSTM_HIDDEN } };
  });
}

/** One epoch of the CNN with `train()`: batch 128, reshuffled with randperm. */
function cnnEpoch(plan: Plan, x: Tensor, y: Tensor): Result {
  const history: number[] = [];
  const samples = timeLoop(plan, () => {
    using mem = new Memory();
    manualSeed(SEED);
    const model = new MnistCnn(mem);
    history.push(...train(mem, x, y, model, { epochs: 1, batchSize: EPOCH_BATCH, lr: LR, optimizer: "adam", loss: crossEntropy }));
  });
  const n = x.shape[0];
  return { ...plan, samples_us: samples, loss: history[history.length - 1], info: { batch: EPOCH_BATCH, images: n, steps: Math.ceil(n / EPOCH_BATCH) } };
}

/**
 * Predicted classes of the 10,000 test images with the freshly seeded CNN, in
 * batches of 1000 without gradients. The loss (untimed) is the test
 * cross-entropy of the same model, to show every implementation has the same weights.
 */
function cnnInference(plan: Plan, x: Tensor, y: Tensor): Result {
  using mem = new Memory();
  manualSeed(SEED);
  const model = new MnistCnn(mem);
  const samples = timeLoop(plan, () => predictClasses(mem, model, x, INFERENCE_BATCH).dispose());
  // Untimed checks: the accuracy of those predictions and the test loss of the same model.
  const { loss, correct } = noGrad(() =>
    tidy(() => {
      const parts: Tensor[] = [];
      for (let start = 0; start < x.shape[0]; start += INFERENCE_BATCH) {
        parts.push(model.forward(mem, x.narrow(0, start, Math.min(INFERENCE_BATCH, x.shape[0] - start))));
      }
      const logits = cat(parts);
      return { loss: crossEntropy(y, logits).item(), correct: predictClasses(mem, model, x, INFERENCE_BATCH).eq(y).sum().item() };
    })
  );
  return { ...plan, samples_us: samples, loss, info: { batch: INFERENCE_BATCH, images: x.shape[0], accuracy: correct / x.shape[0] } };
}

// Written by `python3 bench/workloads.py --save-script` (bench/run.ts does it first).
const SCRIPT_DEFAULT = fileURLToPath(new URL("../build/bench/cnn_script.pt", import.meta.url));

/**
 * cnn_inference through the same seeded CNN scripted in Python and loaded
 * with `loadScriptModule`: the cost of running PyTorch's graph instead of torchffi layers.
 */
function cnnInferenceScript(plan: Plan, x: Tensor, y: Tensor, path: string): Result {
  if (!existsSync(path)) throw new Error(`${path} is missing: run /usr/bin/python3 bench/workloads.py --save-script --script ${path}`);
  using module = loadScriptModule(path);
  module.eval();
  const model = { forward: (_mem: Memory, input: Tensor) => module.forward(input) as Tensor };
  const mem = module.memory;
  const samples = timeLoop(plan, () => predictClasses(mem, model, x, INFERENCE_BATCH).dispose());
  const { loss, correct } = noGrad(() =>
    tidy(() => {
      const parts: Tensor[] = [];
      for (let start = 0; start < x.shape[0]; start += INFERENCE_BATCH) {
        parts.push(model.forward(mem, x.narrow(0, start, Math.min(INFERENCE_BATCH, x.shape[0] - start))));
      }
      return { loss: crossEntropy(y, cat(parts)).item(), correct: predictClasses(mem, model, x, INFERENCE_BATCH).eq(y).sum().item() };
    })
  );
  return { ...plan, samples_us: samples, loss, info: { batch: INFERENCE_BATCH, images: x.shape[0], accuracy: correct / x.shape[0] } };
}

function runtimeName(): string {
  const g = globalThis as { Deno?: { version: { deno: string; v8: string } }; Bun?: { version: string } };
  if (g.Deno) return `Deno ${g.Deno.version.deno} (V8 ${g.Deno.version.v8})`;
  if (g.Bun) return `Bun ${g.Bun.version}`;
  return `unknown runtime ${process.version}`;
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  setNumThreads(options.threads);
  const plan = (name: string): Plan | null => {
    if (options.only && !options.only.includes(name)) return null;
    return options.quick ? PLANS[name].quick : PLANS[name].full;
  };
  const log = (message: string) => {
    if (!options.json) console.log(message);
  };
  const results: Record<string, Result> = {};
  const run = (name: string, work: (p: Plan) => Result) => {
    const p = plan(name);
    if (!p) return;
    const result = work(p);
    results[name] = result;
    const sorted = [...result.samples_us].sort((a, b) => a - b);
    log(`${name.padEnd(14)} ${sorted[Math.floor(sorted.length / 2)].toFixed(2).padStart(12)} us/iter  loss ${result.loss ?? "-"}`);
  };

  run("op_add", (p) => opAdd(p, false));
  run("op_add_grad", (p) => opAdd(p, true));

  const trainingWorkloads = ["ffn_step_16", "ffn_step_64", "ffn_step_128", "cnn_step_128", "cnn_step_512", "cnn_epoch", "resnet_step_128"];
  if (trainingWorkloads.some((name) => plan(name) !== null)) {
    tidy(() => {
      const { x, y } = loadMnist(options.data);
      const images = x.view([-1, 1, 28, 28]);
      for (const batch of [16, 64, 128]) run(`ffn_step_${batch}`, (p) => trainingSteps(p, x, y, batch, (mem) => new MnistFfn(mem)));
      for (const batch of [128, 512]) run(`cnn_step_${batch}`, (p) => trainingSteps(p, images, y, batch, (mem) => new MnistCnn(mem)));
      const epochSamples = options.quick ? QUICK_EPOCH_SAMPLES : images.shape[0];
      run("cnn_epoch", (p) => cnnEpoch(p, images.narrow(0, 0, epochSamples), y.narrow(0, 0, epochSamples)));
      run("resnet_step_128", (p) => trainingSteps(p, images, y, RESNET_BATCH, (mem) => new MnistResNet(mem)));
    });
  }

  run("lstm_step_32", lstmSteps);

  if (plan("cnn_inference") !== null || plan("cnn_inference_script") !== null) {
    tidy(() => {
      const test = loadMnist(options.data, "test");
      run("cnn_inference", (p) => cnnInference(p, test.x.view([-1, 1, 28, 28]), test.y));
      run("cnn_inference_script", (p) => cnnInferenceScript(p, test.x.view([-1, 1, 28, 28]), test.y, options.script));
    });
  }

  if (options.json) {
    console.log(JSON.stringify({
      implementation: "Deno" in globalThis ? "deno" : "bun",
      runtime: runtimeName(),
      threads: getNumThreads(),
      quick: options.quick,
      workloads: results,
    }));
  }
}

main();
