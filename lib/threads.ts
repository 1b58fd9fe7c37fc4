/**
 * How many threads LibTorch uses inside one op.
 *
 * @module
 */
import { TorchError } from "./errors.ts";
import { checkStatus, native } from "./ffi/library.ts";

/**
 * Sets the number of threads LibTorch uses for intra-op parallelism, like
 * `torch.set_num_threads`, and OpenBLAS's thread count with it (PyTorch leaves
 * that to the `OPENBLAS_NUM_THREADS` variable). Small networks often run
 * fastest on one thread.
 *
 * @example
 * ```ts
 * import { setNumThreads } from "../mod.ts";
 * setNumThreads(1);
 * ```
 */
export function setNumThreads(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 31 - 1) {
    throw new TorchError("setNumThreads", `expected an integer from 1 to ${2 ** 31 - 1}, got ${String(n)}`);
  }
  checkStatus(native.tf_set_num_threads(n), "setNumThreads");
}

/**
 * The number of threads LibTorch uses for intra-op parallelism.
 *
 * @example
 * ```ts
 * console.log(getNumThreads()); // e.g. 2
 * ```
 */
export function getNumThreads(): number {
  return native.tf_get_num_threads();
}
