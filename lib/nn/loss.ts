/**
 * Losses, with the seed's argument order: target first, prediction second.
 * Shapes are checked before LibTorch sees them: broadcasting a `[N]` target
 * against an `[N, 1]` prediction gives an `[N, N]` loss that trains on the
 * wrong thing in silence (PyTorch only warns), so torchffi refuses it.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
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

const show = (shape: readonly number[]): string => `[${shape.join(", ")}]`;

// The same shape with its first size left to view() (-1), as a fix reads best.
const asView = (shape: readonly number[]): string => (shape.length === 0 ? "[]" : show([-1, ...shape.slice(1)]));

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((size, i) => size === b[i]);

const count = (shape: readonly number[]): number => shape.reduce((n, size) => n * size, 1);

// The shape broadcasting would give, or null where LibTorch refuses anyway.
function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const out: number[] = [];
  for (let i = 1; i <= Math.max(a.length, b.length); i++) {
    const x = a[a.length - i] ?? 1, y = b[b.length - i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.unshift(x === 1 ? y : x);
  }
  return out;
}

/**
 * Mean cross-entropy of `logits` `[N, C]` against int64 class indices `target`
 * `[N]` (LibTorch's fused log-softmax + NLL, as `F.cross_entropy`; also
 * `[N, C, d1, ...]` against `[N, d1, ...]`, and `[C]` against `[]`). Any
 * other pair of shapes is a `TorchError` that names the expected ones.
 *
 * @example
 * ```ts
 * const loss = crossEntropy(labels, model.forward(mem, images));
 * loss.backward();
 * ```
 */
export function crossEntropy(target: Tensor, logits: Tensor): Tensor {
  const logitsHandle = operand(logits, "crossEntropy"), targetHandle = operand(target, "crossEntropy");
  const logitsShape = logits.shape, labelShape = target.shape;
  const expected = logitsShape.length >= 2 ? [logitsShape[0], ...logitsShape.slice(2)] : [];
  if (logitsShape.length >= 1 && !sameShape(labelShape, expected)) {
    let fix: string;
    if (sameShape(labelShape, logitsShape)) {
      fix = "the labels have the logits' shape (one-hot or probabilities?): pass class indices instead, e.g. target.argmax(1)";
    } else if (labelShape.length === logitsShape.length + 1 || (labelShape.length >= 2 && logitsShape.length === 1)) {
      fix = "the arguments look swapped: it is crossEntropy(target, logits)";
    } else if (count(labelShape) === count(expected)) {
      fix = `use target.view(${asView(expected)})`;
    } else {
      fix = `one class index per row of logits is needed, ${count(expected)} of them, not ${count(labelShape)}`;
    }
    throw new TorchError(
      "crossEntropy",
      `expected logits [N, C] and int64 labels [N] (one class index per row), got logits ${show(logitsShape)} and labels ${
        show(labelShape)
      } (labels ${show(expected)} expected); ${fix}`,
    );
  }
  return wrap(native.tf_cross_entropy(logitsHandle, targetHandle), "crossEntropy");
}

/**
 * Mean squared error between `prediction` and `target` (`F.mse_loss`). The
 * two must have the same shape: a mismatch that would broadcast (`[N]`
 * against `[N, 1]`) is a `TorchError` naming both shapes and the fix.
 *
 * @example
 * ```ts
 * const loss = mse(tensor([1, 2]), tensor([1.5, 2]));
 * loss.item(); // 0.125
 * ```
 */
export function mse(target: Tensor, prediction: Tensor): Tensor {
  const predHandle = operand(prediction, "mse"), targetHandle = operand(target, "mse");
  const predShape = prediction.shape, targetShape = target.shape;
  if (!sameShape(predShape, targetShape)) {
    const broadcast = broadcastShape(predShape, targetShape);
    const why = broadcast === null ? "" : `; broadcasting them to ${show(broadcast)} would average the wrong differences`;
    const fix = count(predShape) === count(targetShape)
      ? `make them match with pred.view(${asView(targetShape)}) or target.view(${asView(predShape)})`
      : `they hold different numbers of elements (${count(predShape)} and ${count(targetShape)}): check which tensors you passed`;
    throw new TorchError("mse", `prediction ${show(predShape)} and target ${show(targetShape)} differ in shape${why}; ${fix}`);
  }
  return wrap(native.tf_mse_loss(predHandle, targetHandle), "mse");
}
