/**
 * `torchffi train` and `torchffi eval`: the seed's MNIST models on
 * MNIST-format data. Loaded only when one of them runs, so that `torchffi
 * setup` works before the native library exists.
 *
 * @module
 */
import { existsSync, writeFileSync } from "node:fs";
import { manualSeed } from "../creation.ts";
import { defaultDataDir, loadMnist } from "../data/mnist.ts";
import { TorchError } from "../errors.ts";
import { Memory } from "../memory.ts";
import type { Compute } from "../nn/compute.ts";
import { MnistCnn, MnistFfn, MnistResNet } from "../nn/models.ts";
import type { OptimizerKind } from "../optim.ts";
import { tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import { accuracy, predictClasses, train } from "../train.ts";
import { choiceFlag, type CliIo, integerFlag, parseFlags, positiveNumberFlag, UsageError } from "./args.ts";
import { type EpochRecord, terminalChart, trainingChartSvg } from "./chart.ts";
import { EpochProgress } from "./progress.ts";

function dataDir(value: string | boolean | undefined): string {
  const dir = typeof value === "string" ? value : defaultDataDir();
  if (!existsSync(dir)) throw new UsageError(`data directory ${dir} does not exist`);
  return dir;
}


const TRAIN_HELP = `Usage: torchffi train [options]

  --model cnn|ffn|resnet           the seed's CNN, its 784-128-10 network, or a small
                                   residual CNN with BatchNorm (default cnn)
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
  --model cnn|ffn|resnet           the model the weights belong to (default cnn)
  --data DIR                       MNIST-format files (default $TORCHFFI_DATA or ${defaultDataDir()})
  --limit N                        use only the first N test images
`;

interface Split {
  x: Tensor;
  y: Tensor;
}

// Loads a split (the first `limit` samples), shaped for the model.
type ModelKind = "cnn" | "ffn" | "resnet";

function loadSplit(dir: string, split: "train" | "test", model: ModelKind, limit: number | undefined): Split {
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
    return { x: model === "ffn" ? x.clone() : x.view([-1, 1, 28, 28]), y: data.y.narrow(0, 0, n) };
  });
}

function buildModel(kind: ModelKind, mem: Memory): Compute {
  return kind === "cnn" ? new MnistCnn(mem) : kind === "resnet" ? new MnistResNet(mem) : new MnistFfn(mem);
}

/**
 * `torchffi train`: trains the seed's CNN or feed-forward network, reports
 * test accuracy per epoch, saves the weights and a chart. Returns the exit status.
 *
 * @example
 * ```ts
 * runTrain(["--model", "ffn", "--limit", "1000"], { out: process.stdout, err: process.stderr });
 * ```
 */
export function runTrain(args: string[], io: CliIo): number {
  const flags = parseFlags(args, {
    model: { type: "string" }, data: { type: "string" }, epochs: { type: "string" }, "batch-size": { type: "string" },
    lr: { type: "string" }, optimizer: { type: "string" }, seed: { type: "string" }, limit: { type: "string" },
    out: { type: "string" }, chart: { type: "string" },
  });
  if (flags.help) {
    io.out.write(TRAIN_HELP);
    return 0;
  }
  const model = choiceFlag("model", flags.model, ["cnn", "ffn", "resnet"] as const, "cnn");
  const epochs = integerFlag("epochs", flags.epochs, 2, 1);
  const batchSize = integerFlag("batch-size", flags["batch-size"], 32, 1);
  const lr = positiveNumberFlag("lr", flags.lr, 1e-3);
  const optimizer = choiceFlag<OptimizerKind>("optimizer", flags.optimizer, ["adam", "sgd", "momentum"], "adam");
  const seed = integerFlag("seed", flags.seed, 0, 0);
  const limit = flags.limit === undefined ? undefined : integerFlag("limit", flags.limit, 0, 1);
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

/**
 * `torchffi eval`: test accuracy and confusion matrix of saved weights.
 * Returns the exit status.
 *
 * @example
 * ```ts
 * runEval(["--weights", "model.safetensors"], { out: process.stdout, err: process.stderr });
 * ```
 */
export function runEval(args: string[], io: CliIo): number {
  const flags = parseFlags(args, { weights: { type: "string" }, model: { type: "string" }, data: { type: "string" }, limit: { type: "string" } });
  if (flags.help) {
    io.out.write(EVAL_HELP);
    return 0;
  }
  if (typeof flags.weights !== "string") throw new UsageError("--weights FILE is required");
  if (!existsSync(flags.weights)) throw new UsageError(`weights file ${flags.weights} does not exist`);
  const model = choiceFlag("model", flags.model, ["cnn", "ffn", "resnet"] as const, "cnn");
  const limit = flags.limit === undefined ? undefined : integerFlag("limit", flags.limit, 0, 1);
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

