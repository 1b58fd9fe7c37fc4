/**
 * torchffi: tensors, autograd and training on LibTorch, for Deno and Bun.
 *
 * @example
 * ```ts
 * import { tensor, tidy } from "./mod.ts";
 * const y = tidy(() => tensor([[1, 2], [3, 4]]).matmul(tensor([[1], [1]])));
 * console.log(y.toArray()); // [[3], [7]]
 * ```
 *
 * @module
 */
export { type DType } from "./lib/dtype.ts";
export { TorchError } from "./lib/errors.ts";
export {
  type Conv2dOptions,
  type NestedArray,
  type SortOptions,
  Tensor,
  type TopkOptions,
  type ValuesAndIndices,
  where,
} from "./lib/tensor.ts";
export {
  arange,
  cat,
  full,
  manualSeed,
  ones,
  rand,
  randn,
  randperm,
  stack,
  tensor,
  type TensorData,
  type TypedData,
  zeros,
} from "./lib/creation.ts";
export { keep, liveTensors, type NativeResource, tidy } from "./lib/scope.ts";
export { DEFAULT_LEAK_THRESHOLD, setLeakWarning } from "./lib/leaks.ts";
export { noGrad } from "./lib/autograd.ts";
export { type AdamOptions, Memory } from "./lib/memory.ts";
export { type CheckpointInfo } from "./lib/io/checkpoint.ts";
export { type LoadOptions } from "./lib/io/state_dict.ts";
export { loadSafetensors, saveSafetensors } from "./lib/io/tensors_file.ts";
export { type Compute } from "./lib/nn/compute.ts";
export { Linear, type LinearOptions } from "./lib/nn/linear.ts";
export { Conv2d, type Conv2dLayerOptions } from "./lib/nn/conv2d.ts";
export { conv2d, dropout, linear, logSoftmax, maxPool2d, relu } from "./lib/nn/functional.ts";
export { crossEntropy, type Loss, mse } from "./lib/nn/loss.ts";
export { type OptimizerKind } from "./lib/optim.ts";
export { accuracy, type BatchProgress, predictClasses, train, type TrainOptions } from "./lib/train.ts";
export { MnistCnn, MnistFfn } from "./lib/nn/models.ts";
export { type IdxArray, type IdxType, readIdx, readIdxTensor } from "./lib/data/idx.ts";
export { defaultDataDir, FASHION_MNIST_DIR, loadMnist, type MnistSplit } from "./lib/data/mnist.ts";
export { loadImage, rgbToGrayscale, saveImage, type SaveImageOptions } from "./lib/data/image.ts";
export { initProcessGroup, ProcessGroup, type ReduceOp } from "./lib/dist/group.ts";
export { type ProcessGroupOptions } from "./lib/dist/options.ts";
export { getNumThreads, setNumThreads } from "./lib/threads.ts";
export { loadScriptModule, ScriptModule } from "./lib/script.ts";
export { nativeLibraryLocation } from "./lib/ffi/library.ts";
export { type LibraryPlace } from "./lib/ffi/locate.ts";
export { VERSION } from "./lib/version.ts";
export { eye, linspace, onesLike, randint, randLike, randnLike, zerosLike } from "./lib/creation_more.ts";
export { einsum } from "./lib/einsum.ts";
export { clipGradNorm, clipGradValue } from "./lib/clip.ts";
export { type AvgPool2dOptions, type StdOptions } from "./lib/tensor.ts";
export { BatchNorm, BatchNorm1d, BatchNorm2d, type BatchNormOptions } from "./lib/nn/batch_norm.ts";
export { LayerNorm, type LayerNormOptions } from "./lib/nn/layer_norm.ts";
export { Dropout } from "./lib/nn/dropout.ts";
export { GELU, ReLU, Tanh } from "./lib/nn/activations.ts";
export { Flatten } from "./lib/nn/flatten.ts";
export { Sequential } from "./lib/nn/sequential.ts";
export { inEvalMode } from "./lib/train.ts";
export { BasicBlock } from "./lib/nn/residual.ts";
export { MnistResNet } from "./lib/nn/models.ts";
export { Embedding, type EmbeddingOptions } from "./lib/nn/embedding.ts";
export { type RecurrentOptions } from "./lib/nn/rnn.ts";
export { LSTM, type LSTMState } from "./lib/nn/lstm.ts";
export { GRU } from "./lib/nn/gru.ts";
// Optimizers and learning-rate schedules (issue 12 part B).
export { type AdamWOptions, type RmspropOptions } from "./lib/optim_more.ts";
export {
  cosineAnnealingLR,
  type CosineAnnealingLROptions,
  linearWarmup,
  type LinearWarmupOptions,
  type LrSchedule,
  oneCycleLR,
  type OneCycleLROptions,
  type SchedulePer,
  stepLR,
  type StepLROptions,
} from "./lib/lr_schedule.ts";
