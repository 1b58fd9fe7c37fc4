/**
 * The rules for names in a `Memory` (the keys of a state dict), shared by the
 * store, the layers and the file readers.
 *
 * @module
 */
import { TorchError } from "./errors.ts";

// Checkpoints keep the optimizer state and the generator beside the
// parameters in one file, under these keys; "__metadata__" is the format's own.
const RESERVED = /^(__metadata__|rng_state|optimizer\..*)$/;

/**
 * `name` if it can name a tensor in a `Memory`: a non-empty string, not a key
 * the file formats reserve. Otherwise a clear error naming `op`.
 *
 * @example
 * ```ts
 * checkName("push", "l1.weight"); // "l1.weight"
 * ```
 */
export function checkName(op: string, name: unknown): string {
  if (typeof name !== "string") throw new TorchError(op, `a name must be a string, got ${name === null ? "null" : typeof name}`);
  if (name.length === 0) throw new TorchError(op, "a name must not be empty");
  if (RESERVED.test(name)) throw new TorchError(op, `"${name}" is reserved (checkpoints keep the optimizer state and generator under such keys)`);
  return name;
}
