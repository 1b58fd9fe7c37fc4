/**
 * The one error type torchffi throws for failed operations.
 *
 * @module
 */

/**
 * A failed tensor operation: `op` names the operation, `detail` says what was
 * wrong (LibTorch's own message, without the C++ backtrace, when LibTorch
 * refused). The process always goes on; nothing already stored is changed.
 *
 * @example
 * ```ts
 * import { tensor, TorchError } from "../mod.ts";
 * try {
 *   tensor([1, 2, 3]).view([2, 2]);
 * } catch (e) {
 *   if (e instanceof TorchError) console.log(e.op, "-", e.detail);
 * }
 * ```
 */
export class TorchError extends Error {
  /** The operation that failed, e.g. `"view"`. */
  readonly op: string;
  /** What went wrong, in LibTorch's words where it had some. */
  readonly detail: string;

  /** Makes the error for operation `op` failing with `detail`. */
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
    this.name = "TorchError";
    this.op = op;
    this.detail = detail;
  }
}
