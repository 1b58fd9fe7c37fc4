/**
 * Losses, with the seed's argument order: target first, prediction second.
 *
 * @module
 */
import { native } from "../ffi/library.ts";
import { operand, type Tensor, wrap } from "../tensor.ts";

/**
 * A loss function as `train()` takes it: `(target, prediction) => scalar tensor`.
 *
 * @example
 * ```ts
 * const meanAbsolute: Loss = (target, prediction) => prediction.sub(target).abs().mean();
 * train(mem, x, y, model, { epochs: 1, batchSize: 32, lr: 1e-3, loss: meanAbsolute });
 * ```
 */
export type Loss = (target: Tensor, prediction: Tensor) => Tensor;

/**
 * Mean cross-entropy of `logits` `[N, C]` against int64 class indices `target`
 * `[N]` (LibTorch's fused log-softmax + NLL, as `F.cross_entropy`).
 *
 * @example
 * ```ts
 * const loss = crossEntropy(labels, model.forward(mem, images));
 * loss.backward();
 * ```
 */
export function crossEntropy(target: Tensor, logits: Tensor): Tensor {
  return wrap(native.tf_cross_entropy(operand(logits, "crossEntropy"), operand(target, "crossEntropy")), "crossEntropy");
}

/**
 * Mean squared error between `prediction` and `target` (`F.mse_loss`).
 *
 * @example
 * ```ts
 * const loss = mse(tensor([1, 2]), tensor([1.5, 2]));
 * loss.item(); // 0.125
 * ```
 */
export function mse(target: Tensor, prediction: Tensor): Tensor {
  return wrap(native.tf_mse_loss(operand(prediction, "mse"), operand(target, "mse")), "mse");
}
