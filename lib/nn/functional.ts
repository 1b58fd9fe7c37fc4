/**
 * Neural-network functions on tensors, each one fused LibTorch op. The same
 * operations are also methods of `Tensor` (`x.relu()`, `x.maxPool2d(2)`).
 *
 * @module
 */
import { native } from "../ffi/library.ts";
import { type Conv2dOptions, operand, type Tensor, wrap } from "../tensor.ts";

/**
 * `input Wᵀ + b` in one op (LibTorch's `linear`); `bias` may be omitted.
 *
 * @example
 * ```ts
 * const y = linear(x, weight, bias); // x [N, in], weight [out, in], bias [out]
 * ```
 */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const b = bias == null ? null : operand(bias, "linear");
  return wrap(native.tf_linear(operand(input, "linear"), operand(weight, "linear"), b), "linear");
}

/**
 * 2-D convolution; see `Tensor.conv2d`.
 *
 * @example
 * ```ts
 * const y = conv2d(image, kernel, null, { padding: 1 });
 * ```
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv2dOptions | null): Tensor {
  operand(input, "conv2d");
  return input.conv2d(weight, bias, options);
}

/**
 * Elementwise `max(x, 0)`.
 *
 * @example
 * ```ts
 * relu(tensor([-1, 2])).toArray(); // [0, 2]
 * ```
 */
export function relu(input: Tensor): Tensor {
  operand(input, "relu");
  return input.relu();
}

/**
 * 2-D max pooling; the stride defaults to the kernel size.
 *
 * @example
 * ```ts
 * maxPool2d(zeros([1, 1, 4, 4]), 2).shape; // [1, 1, 2, 2]
 * ```
 */
export function maxPool2d(input: Tensor, kernelSize: number | readonly [number, number], stride?: number | readonly [number, number]): Tensor {
  operand(input, "maxPool2d");
  return input.maxPool2d(kernelSize, stride);
}

/**
 * Log-softmax along `dim` (default: the last).
 *
 * @example
 * ```ts
 * const logProbs = logSoftmax(logits, 1);
 * ```
 */
export function logSoftmax(input: Tensor, dim = -1): Tensor {
  operand(input, "logSoftmax");
  return input.logSoftmax(dim);
}

/**
 * Dropout with probability `p` when `train` is true; the identity otherwise.
 *
 * @example
 * ```ts
 * const h = dropout(hidden, 0.5, training);
 * ```
 */
export function dropout(input: Tensor, p = 0.5, train = true): Tensor {
  operand(input, "dropout");
  return input.dropout(p, train);
}
