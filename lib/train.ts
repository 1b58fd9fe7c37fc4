/**
 * The seed's training loop and accuracy metric.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { noGrad } from "./autograd.ts";
import { cat, randperm } from "./creation.ts";
import { TorchError } from "./errors.ts";
import { type AdamOptions, Memory } from "./memory.ts";
import type { AdamWOptions, RmspropOptions } from "./optim_more.ts";
import type { Compute } from "./nn/compute.ts";
import type { LrSchedule } from "./lr_schedule.ts";
import { ProcessGroup } from "./dist/group.ts";
import { agreeOnStart, shardIndices } from "./dist/sampler.ts";
import { crossEntropy, type Loss } from "./nn/loss.ts";
import { applyOptimizer, checkOptimizer, type OptimizerKind, type OptimizerSettings } from "./optim.ts";
import { tidy } from "./scope.ts";
import { Tensor } from "./tensor.ts";

/**
 * Progress after one mini-batch, for `onBatch`.
 *
 * @example
 * ```ts
 * const onBatch = ({ epoch, batch, batches, loss }: BatchProgress) =>
 *   console.log(`epoch ${epoch} batch ${batch + 1}/${batches}: ${loss.toFixed(4)}`);
 * train(mem, x, y, model, { epochs: 1, batchSize: 128, lr: 1e-3, onBatch });
 * ```
 */
export interface BatchProgress {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
  /** Samples seen so far in this epoch (by all ranks together, in a process group). */
  samples: number;
  /** This batch's loss (its mean over the ranks, in a process group). */
  loss: number;
}

/**
 * Options of `train()`.
 *
 * @example
 * ```ts
 * const options: TrainOptions = { epochs: 5, batchSize: 128, lr: 1e-3, checkpoint: "run.ckpt.safetensors", resume: true };
 * train(mem, x, y, model, options);
 * ```
 */
export interface TrainOptions {
  /** Passes over the data (a positive integer). */
  epochs: number;
  /** Samples per step; the last, partial batch of an epoch is kept. */
  batchSize: number;
  /** Learning rate (may be left out with `lrSchedule`, which then gives every step's rate). */
  lr?: number;
  /**
   * The rate of each step, `(step, epoch) => lr`: `step` counts optimizer
   * steps from the start of training (0-based, across epochs; a resumed run
   * continues the count), `epoch` is 0-based. Replaces `lr`. Helpers that
   * reproduce PyTorch's schedulers: `stepLR`, `cosineAnnealingLR`,
   * `linearWarmup`, `oneCycleLR`.
   */
  lrSchedule?: LrSchedule;
  /** `(target, prediction) => loss` (default `crossEntropy`). */
  loss?: Loss;
  /** Default `"adam"`. */
  optimizer?: OptimizerKind;
  /** Momentum for `"momentum"` (default 0.9). */
  momentum?: number;
  /** Adam's betas, eps and weight decay (PyTorch's defaults). */
  adam?: AdamOptions;
  /** AdamW's betas, eps and weight decay (PyTorch's defaults). */
  adamw?: AdamWOptions;
  /** RMSprop's alpha, eps, momentum, weight decay and centering (PyTorch's defaults). */
  rmsprop?: RmspropOptions;
  /** Reshuffle the samples each epoch with LibTorch's generator (default true). */
  shuffle?: boolean;
  /**
   * Write a checkpoint here after every epoch (parameters, optimizer state,
   * generator state and the loss history; see `Memory.saveCheckpoint`).
   */
  checkpoint?: string;
  /**
   * Continue from `checkpoint` when that file exists: completed epochs are
   * skipped and the run goes on exactly as if it had never stopped (default false).
   */
  resume?: boolean;
  /**
   * Train data-parallel in this group, like DistributedDataParallel with a
   * DistributedSampler: every rank calls `train` with the same data and
   * options; parameters start from rank 0's, each rank takes its share of
   * every epoch's order (`batchSize` each), gradients are averaged before
   * each step, losses are averaged over the ranks, and only rank 0 writes the
   * checkpoint (every rank resumes from it, so all must see the file).
   */
  processGroup?: ProcessGroup;
  /** Called after each epoch with its mean loss. */
  onEpoch?: (epoch: number, meanLoss: number) => void;
  /** Called after each step. */
  onBatch?: (progress: BatchProgress) => void;
}

function positiveInteger(op: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new TorchError(op, `${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function scheduledRate(schedule: LrSchedule, step: number, epoch: number): number {
  const lr: unknown = schedule(step, epoch);
  if (typeof lr !== "number" || !Number.isFinite(lr) || lr <= 0) {
    throw new TorchError("train", `lrSchedule(${step}, ${epoch}) returned ${String(lr)}, but a learning rate must be a positive number`);
  }
  return lr;
}

/**
 * Trains `model` on inputs `x` (first dim: samples) and targets `y` with
 * mini-batches: each step runs forward, the loss, backward and one optimizer
 * step over every parameter in `mem`, inside its own scope so nothing leaks.
 * Batches are drawn from `randperm` each epoch, so `manualSeed` makes a run
 * repeatable (and equal to the same loop in PyTorch). Returns the mean loss of
 * each epoch (weighted by batch size). Every option is checked before any work.
 * With `checkpoint` (and `resume`), a stopped run continues where it left off.
 * With `processGroup`, every rank runs this same call and they train one
 * model data-parallel: W ranks at `batchSize` B take the steps one process
 * takes at W·B (see `TrainOptions.processGroup`).
 *
 * @example
 * ```ts
 * import { crossEntropy, Memory, train } from "../mod.ts";
 * const mem = new Memory();
 * const model = new MyModel(mem);
 * const history = train(mem, x.view([-1, 1, 28, 28]), y, model, {
 *   epochs: 2, batchSize: 128, lr: 1e-3, optimizer: "adam", loss: crossEntropy,
 *   onEpoch: (epoch, loss) => console.log(epoch, loss),
 * });
 * // AdamW with a cosine schedule over the whole run (per step, as PyTorch's CosineAnnealingLR):
 * const steps = 10 * Math.ceil(x.shape[0] / 128);
 * train(mem, x, y, model, { epochs: 10, batchSize: 128, optimizer: "adamw", lrSchedule: cosineAnnealingLR(1e-3, { tMax: steps }) });
 * // Data-parallel, started with `torchffi run --nproc 2 script.ts`:
 * using group = initProcessGroup();
 * train(mem, x, y, model, { epochs: 2, batchSize: 64, lr: 1e-3, processGroup: group });
 * ```
 */
export function train(mem: Memory, x: Tensor, y: Tensor, model: Compute, options: TrainOptions): number[] {
  if (!(mem instanceof Memory)) throw new TorchError("train", "the first argument must be the model's Memory");
  if (options === null || typeof options !== "object") throw new TorchError("train", "options are required");
  const epochs = positiveInteger("train", "epochs", options.epochs);
  const batchSize = positiveInteger("train", "batchSize", options.batchSize);
  const settings: OptimizerSettings = {
    optimizer: options.optimizer ?? "adam",
    lr: options.lr,
    momentum: options.momentum,
    adam: options.adam,
    adamw: options.adamw,
    rmsprop: options.rmsprop,
  };
  const schedule = options.lrSchedule;
  if (schedule !== undefined && typeof schedule !== "function") throw new TorchError("train", "lrSchedule must be a function (step, epoch) => lr");
  checkOptimizer(settings, "train", schedule !== undefined);
  const loss = options.loss ?? crossEntropy;
  if (typeof loss !== "function") throw new TorchError("train", "loss must be a function (target, prediction) => Tensor");
  if (!model || typeof model.forward !== "function") throw new TorchError("train", "model must implement forward(mem, input)");
  if (!(x instanceof Tensor) || !(y instanceof Tensor)) throw new TorchError("train", "x and y must be tensors");
  if (x.ndim === 0 || y.ndim === 0) throw new TorchError("train", "x and y need a first dimension of samples");
  const n = x.shape[0];
  if (y.shape[0] !== n) throw new TorchError("train", `x has ${n} samples but y has ${y.shape[0]}`);
  if (n === 0) throw new TorchError("train", "there are no samples to train on");
  const shuffle = options.shuffle ?? true;
  const checkpoint = options.checkpoint;
  if (checkpoint !== undefined && (typeof checkpoint !== "string" || checkpoint === "")) throw new TorchError("train", "checkpoint must be a file path");
  if (options.resume && checkpoint === undefined) throw new TorchError("train", "resume needs a checkpoint path");
  const group = options.processGroup;
  if (group !== undefined && !(group instanceof ProcessGroup)) throw new TorchError("train", "processGroup must come from initProcessGroup()");

  // Dropout and BatchNorm must train here even if an evaluation left the store in eval mode.
  mem.train();
  let history: number[] = [];
  let firstEpoch = 0;
  // Optimizer steps taken so far: the schedule's position.
  let step = 0;
  if (options.resume && existsSync(checkpoint!)) {
    const progress = mem.loadCheckpoint(checkpoint!);
    history = [...progress.history];
    firstEpoch = progress.epoch + 1;
    // Checkpoints from before schedules kept no step count: whole epochs of this rank's batches.
    const perEpoch = Math.ceil((group ? Math.ceil(n / group.worldSize) : n) / batchSize);
    step = progress.step ?? firstEpoch * perEpoch;
  }
  // The loss rides along with the gradients, so averaging it costs no extra round trip.
  const lossOut = new Float64Array(1);
  if (group) {
    firstEpoch = agreeOnStart(group, firstEpoch);
    group.broadcastParameters(mem, 0);
  }
  const world = group?.worldSize ?? 1;
  for (let epoch = firstEpoch; epoch < epochs; epoch++) {
    const order = group ? shardIndices(group, n, shuffle) : shuffle ? randperm(n) : null;
    const count = order ? order.shape[0] : n;
    const batchesThisEpoch = Math.ceil(count / batchSize);
    let total = 0;
    try {
      for (let batch = 0, start = 0; start < count; batch++, start += batchSize) {
        const size = Math.min(batchSize, count - start);
        // Asked before any work, so a bad rate stops the run with this step untouched.
        const lr = schedule ? scheduledRate(schedule, step, epoch) : settings.lr;
        const value = tidy(() => {
          let xb: Tensor, yb: Tensor;
          if (order) {
            const index = order.narrow(0, start, size);
            xb = x.indexSelect(0, index);
            yb = y.indexSelect(0, index);
          } else {
            xb = x.narrow(0, start, size);
            yb = y.narrow(0, start, size);
          }
          const l = loss(yb, model.forward(mem, xb));
          if (!(l instanceof Tensor)) throw new TorchError("train", `the loss must return a Tensor, got ${l === null ? "null" : typeof l}`);
          l.backward();
          let value = l.item();
          if (group) {
            lossOut[0] = value;
            group._averageGradients(mem, lossOut, "train");
            value = lossOut[0];
          }
          applyOptimizer(mem, settings, lr);
          return value;
        });
        step++;
        total += value * size;
        options.onBatch?.({ epoch, batch, batches: batchesThisEpoch, samples: (start + size) * world, loss: value });
      }
    } finally {
      order?.dispose();
    }
    const mean = total / count;
    history.push(mean);
    if (checkpoint !== undefined && (group === undefined || group.rank === 0)) mem.saveCheckpoint(checkpoint, { epoch, history, step });
    options.onEpoch?.(epoch, mean);
  }
  return history;
}

/**
 * The predicted class (argmax of the logits) of every sample of `x`, computed
 * in batches without recording gradients, so large datasets fit in memory.
 * The model runs in eval mode (dropout off, BatchNorm on its running
 * statistics); the store's previous mode is restored after, even on failure.
 *
 * @example
 * ```ts
 * const predicted = predictClasses(mem, model, testX.view([-1, 1, 28, 28])); // int64 [N]
 * ```
 */
export function predictClasses(mem: Memory, model: Compute, x: Tensor, batchSize = 1000): Tensor {
  if (!(x instanceof Tensor) || x.ndim === 0) throw new TorchError("predictClasses", "x must be a tensor with a first dimension of samples");
  positiveInteger("predictClasses", "batchSize", batchSize);
  if (!(mem instanceof Memory)) throw new TorchError("predictClasses", "the first argument must be the model's Memory");
  const n = x.shape[0];
  return inEvalMode(mem, () =>
    noGrad(() =>
      tidy(() => {
        const parts: Tensor[] = [];
        for (let start = 0; start < n; start += batchSize) {
          // A scope per batch: each batch's activations go before the next, so
          // memory holds one batch's worth whatever the dataset's size.
          parts.push(tidy(() => model.forward(mem, x.narrow(0, start, Math.min(batchSize, n - start))).argmax(-1)));
        }
        return parts.length === 1 ? parts[0] : cat(parts);
      })
    )
  );
}

/**
 * Runs `fn` with `mem` in eval mode and puts the previous mode back after,
 * even when `fn` throws: an evaluation in the middle of training must not
 * leave dropout switched off for the steps that follow.
 *
 * @example
 * ```ts
 * const logits = inEvalMode(mem, () => noGrad(() => model.forward(mem, x)));
 * ```
 */
export function inEvalMode<T>(mem: Memory, fn: () => T): T {
  if (!(mem instanceof Memory)) throw new TorchError("inEvalMode", "the first argument must be a Memory");
  const wasTraining = mem.training;
  mem.eval();
  try {
    return fn();
  } finally {
    if (wasTraining) mem.train();
  }
}

/**
 * The fraction of samples classified correctly, in [0, 1]: `prediction` is
 * either logits `[N, C]` (their argmax is the class) or class indices `[N]`
 * (as `predictClasses` returns).
 *
 * @example
 * ```ts
 * console.log("Accuracy:", accuracy(y, model.forward(mem, x)));
 * console.log("Test accuracy:", accuracy(testY, predictClasses(mem, model, testX)));
 * ```
 */
export function accuracy(target: Tensor, prediction: Tensor): number {
  if (!(target instanceof Tensor) || !(prediction instanceof Tensor)) throw new TorchError("accuracy", "expected (target, prediction) tensors");
  // Broadcasting would count a match more than once (a fraction above 1), so the shapes must fit exactly.
  const logits = prediction.ndim === target.ndim + 1;
  const rows = logits ? prediction.shape.slice(0, -1) : prediction.shape;
  if ((!logits && prediction.ndim !== target.ndim) || rows.some((d, i) => d !== target.shape[i])) {
    throw new TorchError(
      "accuracy",
      `a prediction of shape [${prediction.shape.join(", ")}] does not fit a target of shape [${target.shape.join(", ")}]: ` +
        "pass logits [N, C] or class indices [N] for a target [N]",
    );
  }
  return noGrad(() =>
    tidy(() => {
      const predicted = logits ? prediction.argmax(-1) : prediction;
      if (predicted.numel === 0) throw new TorchError("accuracy", "there are no samples");
      return predicted.eq(target).sum().item() / predicted.numel;
    })
  );
}
