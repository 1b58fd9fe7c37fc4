#!/usr/bin/env bun
/**
 * The `torchffi` command: train the seed's models on MNIST-format data and
 * evaluate saved weights. Runs with `bun lib/cli.ts` or `deno run -A lib/cli.ts`.
 *
 * Exit status: 0 on success, 2 for a bad flag or a missing file (one line on
 * stderr), 1 for any other failure.
 *
 * @module
 */
import { existsSync, writeFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { manualSeed } from "./creation.ts";
import { loadMnist, defaultDataDir } from "./data/mnist.ts";
import { TorchError } from "./errors.ts";
import { Memory } from "./memory.ts";
import type { Compute } from "./nn/compute.ts";
import { MnistCnn, MnistFfn } from "./nn/models.ts";
import type { OptimizerKind } from "./optim.ts";
import { tidy } from "./scope.ts";
import type { Tensor } from "./tensor.ts";
import { accuracy, predictClasses, train } from "./train.ts";
import { type EpochRecord, terminalChart, trainingChartSvg } from "./cli/chart.ts";
import { EpochProgress, type ProgressSink } from "./cli/progress.ts";

/**
 * A problem with the command line or its files: reported in one line, exit status 2.
 *
 * @example
 * ```ts
 * throw new UsageError("--epochs must be an integer >= 1, got \"zero\"");
 * ```
 */
export class UsageError extends Error {}

const MAIN_HELP = `torchffi: train and evaluate the seed's MNIST models on LibTorch

Usage:
  torchffi train [options]    train a model, report test accuracy, save weights and a chart
  torchffi eval --weights F   test accuracy and confusion matrix of saved weights
  torchffi <command> --help   options of a command
`;

const TRAIN_HELP = `Usage: torchffi train [options]

  --model cnn|ffn                  the seed's CNN or its 784-128-10 network (default cnn)
  --data DIR                       MNIST-format files (default $TORCHFFI_DATA or ${defaultDataDir()})
  --epochs N                       passes over the training data (default 2)
  --batch-size B                   samples per step (default 32)
  --lr X                           learning rate (default 0.001)
  --optimizer adam|sgd|momentum    (default adam)
  --seed S                         seed for initial weights and shuffling (default 0)
  --limit N                        use only the first N images of each split
  --out FILE                       where to save the weights (default model.safetensors)
  --chart FILE                     loss/accuracy chart, SVG (default: --out with .svg)
`;

const EVAL_HELP = `Usage: torchffi eval --weights FILE [options]

  --weights FILE                   weights saved by \`torchffi train\` (required)
  --model cnn|ffn                  the model the weights belong to (default cnn)
  --data DIR                       MNIST-format files (default $TORCHFFI_DATA or ${defaultDataDir()})
  --limit N                        use only the first N test images
`;

/** What the command writes to: stdout-like and stderr-like sinks. */
export interface CliIo {
  out: ProgressSink;
  err: ProgressSink;
}

function parse(args: string[], options: Record<string, { type: "string" | "boolean" }>) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: "boolean" } }, strict: true, allowPositionals: false }).values as
      Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]);
  }
}

function integer(name: string, value: string | boolean | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

function positiveNumber(name: string, value: string | boolean | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

function choice<T extends string>(name: string, value: string | boolean | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}`);
  return value as T;
}

function dataDir(value: string | boolean | undefined): string {
  const dir = typeof value === "string" ? value : defaultDataDir();
  if (!existsSync(dir)) throw new UsageError(`data directory ${dir} does not exist`);
  return dir;
}

interface Split {
  x: Tensor;
  y: Tensor;
}

// Loads a split (the first `limit` samples), shaped for the model.
function loadSplit(dir: string, split: "train" | "test", model: "cnn" | "ffn", limit: number | undefined): Split {
  let data: Split;
  try {
    data = loadMnist(dir, split);
  } catch (error) {
    if (error instanceof TorchError) throw new UsageError(error.message);
    throw error;
  }
  return tidy(() => {
    const n = Math.min(limit ?? Infinity, data.x.shape[0]);
    const x = data.x.narrow(0, 0, n);
    return { x: model === "cnn" ? x.view([-1, 1, 28, 28]) : x.clone(), y: data.y.narrow(0, 0, n) };
  });
}

function buildModel(kind: "cnn" | "ffn", mem: Memory): Compute {
  return kind === "cnn" ? new MnistCnn(mem) : new MnistFfn(mem);
}

function runTrain(args: string[], io: CliIo): number {
  const flags = parse(args, {
    model: { type: "string" }, data: { type: "string" }, epochs: { type: "string" }, "batch-size": { type: "string" },
    lr: { type: "string" }, optimizer: { type: "string" }, seed: { type: "string" }, limit: { type: "string" },
    out: { type: "string" }, chart: { type: "string" },
  });
  if (flags.help) {
    io.out.write(TRAIN_HELP);
    return 0;
  }
  const model = choice("model", flags.model, ["cnn", "ffn"] as const, "cnn");
  const epochs = integer("epochs", flags.epochs, 2, 1);
  const batchSize = integer("batch-size", flags["batch-size"], 32, 1);
  const lr = positiveNumber("lr", flags.lr, 1e-3);
  const optimizer = choice<OptimizerKind>("optimizer", flags.optimizer, ["adam", "sgd", "momentum"], "adam");
  const seed = integer("seed", flags.seed, 0, 0);
  const limit = flags.limit === undefined ? undefined : integer("limit", flags.limit, 0, 1);
  const out = typeof flags.out === "string" ? flags.out : "model.safetensors";
  const chartPath = typeof flags.chart === "string" ? flags.chart : out.replace(/(\.safetensors)?$/, ".svg");
  const dir = dataDir(flags.data);

  manualSeed(seed);
  const trainSet = loadSplit(dir, "train", model, limit);
  const testSet = loadSplit(dir, "test", model, limit);
  const n = trainSet.x.shape[0];
  io.out.write(`training the ${model} on ${n} images from ${dir} (${epochs} epochs, batch ${batchSize}, ${optimizer} lr ${lr})\n`);

  const mem = new Memory();
  const net = buildModel(model, mem);
  const records: EpochRecord[] = [];
  const progress = new EpochProgress(io.out, epochs, n);
  progress.startEpoch();
  train(mem, trainSet.x, trainSet.y, net, {
    epochs, batchSize, lr, optimizer,
    onBatch: (p) => progress.update(p.epoch, p.samples, p.loss),
    onEpoch: (epoch, loss) => {
      const testAccuracy = accuracy(testSet.y, predictClasses(mem, net, testSet.x));
      records.push({ loss, accuracy: testAccuracy });
      progress.finishEpoch(epoch, loss, `test accuracy ${(testAccuracy * 100).toFixed(2)}%`);
      progress.startEpoch();
    },
  });

  mem.save(out);
  writeFileSync(chartPath, trainingChartSvg(records, `torchffi ${model}: ${n} images, ${epochs} epochs, ${optimizer} lr ${lr}`));
  io.out.write(`\n${terminalChart(records)}\n\n`);
  io.out.write(`test accuracy: ${(records[records.length - 1].accuracy * 100).toFixed(2)}% on ${testSet.y.shape[0]} images\n`);
  io.out.write(`weights: ${out}\nchart: ${chartPath}\n`);
  mem.dispose();
  return 0;
}

function runEval(args: string[], io: CliIo): number {
  const flags = parse(args, { weights: { type: "string" }, model: { type: "string" }, data: { type: "string" }, limit: { type: "string" } });
  if (flags.help) {
    io.out.write(EVAL_HELP);
    return 0;
  }
  if (typeof flags.weights !== "string") throw new UsageError("--weights FILE is required");
  if (!existsSync(flags.weights)) throw new UsageError(`weights file ${flags.weights} does not exist`);
  const model = choice("model", flags.model, ["cnn", "ffn"] as const, "cnn");
  const limit = flags.limit === undefined ? undefined : integer("limit", flags.limit, 0, 1);
  const dir = dataDir(flags.data);

  const mem = new Memory();
  const net = buildModel(model, mem);
  try {
    mem.load(flags.weights);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const testSet = loadSplit(dir, "test", model, limit);
  const predicted = predictClasses(mem, net, testSet.x);
  const correct = accuracy(testSet.y, predicted);
  io.out.write(`test accuracy: ${(correct * 100).toFixed(2)}% on ${testSet.y.shape[0]} images\n\n`);
  io.out.write(confusionTable(testSet.y.toArray() as number[], predicted.toArray() as number[]));
  mem.dispose();
  return 0;
}

/**
 * A confusion matrix as text: one row per true class, one column per
 * predicted class, with each class's recall.
 *
 * @example
 * ```ts
 * console.log(confusionTable([0, 1, 1], [0, 1, 0]));
 * ```
 */
export function confusionTable(target: readonly number[], predicted: readonly number[]): string {
  const classes = Math.max(...target, ...predicted) + 1;
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  target.forEach((t, i) => counts[t][predicted[i]]++);
  const width = Math.max(5, String(target.length).length + 1);
  const cell = (s: string | number) => String(s).padStart(width);
  const lines = [`true \\ predicted\n${cell("")}${counts.map((_, c) => cell(c)).join("")}   recall`];
  counts.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    lines.push(`${cell(t)}${row.map(cell).join("")}   ${total ? ((row[t] / total) * 100).toFixed(1) + "%" : "-"}`);
  });
  return lines.join("\n") + "\n";
}

/**
 * Runs the command line `args` (without the program name) and returns the exit status.
 *
 * @example
 * ```ts
 * const status = main(["train", "--model", "ffn", "--limit", "1000"]);
 * ```
 */
export function main(args: string[], io: CliIo = { out: process.stdout, err: process.stderr }): number {
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.out.write(MAIN_HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === "train") return runTrain(rest, io);
    if (command === "eval") return runEval(rest, io);
    throw new UsageError(`unknown command ${JSON.stringify(command)} (expected train or eval; see torchffi --help)`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err.write(`torchffi: ${error.message}\n`);
      return 2;
    }
    io.err.write(`torchffi: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = main(process.argv.slice(2));
}
