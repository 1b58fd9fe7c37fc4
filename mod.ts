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
export { type NestedArray, Tensor } from "./lib/tensor.ts";
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
export { keep, liveTensors, tidy } from "./lib/scope.ts";
