/**
 * `einsum`: sums of products over named indices, one LibTorch op.
 *
 * @module
 */
import { TorchError } from "./errors.ts";
import { native, nativeLibrary } from "./ffi/library.ts";
import { operand, type Tensor, wrap } from "./tensor.ts";

const encoder = new TextEncoder();

/**
 * Evaluates an Einstein-summation `equation` over `tensors`, like
 * `torch.einsum` (`"ij,jk->ik"` is a matrix product, `"bii->b"` batched traces,
 * `...` broadcasts leading dims).
 *
 * @example
 * ```ts
 * einsum("ij,jk->ik", ones([2, 3]), ones([3, 4])).shape; // [2, 4]
 * einsum("i,i->", tensor([1, 2]), tensor([3, 4])).item(); // 11
 * ```
 */
export function einsum(equation: string, ...tensors: Tensor[]): Tensor {
  if (typeof equation !== "string") throw new TorchError("einsum", `the equation must be a string, got ${equation === null ? "null" : typeof equation}`);
  if (tensors.length === 0) throw new TorchError("einsum", "expected at least one tensor");
  const list = nativeLibrary.handleList(tensors.map((t) => operand(t, "einsum")));
  const bytes = encoder.encode(equation);
  // A pointer to an empty buffer may be null on some runtimes; the C side accepts length 0 with any pointer.
  const buffer = bytes.length === 0 ? new Uint8Array(1) : bytes;
  return wrap(native.tf_einsum(buffer, bytes.length, list, tensors.length), "einsum");
}
