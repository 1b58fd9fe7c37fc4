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

/**
 * The names of a `Memory`'s tensors, by id, and which ids are buffers. A name
 * is checked and reserved (`claim`) before the tensor is stored, so a refused
 * name never leaves a half-added tensor behind.
 *
 * @example
 * ```ts
 * const names = new NameRegistry();
 * names.claim("push", "l1.weight", 0); // "l1.weight"
 * names.add("l1.weight", false);
 * names.idOf("l1.weight"); // 0
 * ```
 */
export class NameRegistry {
  /** Name of each id, in id order. */
  readonly names: string[] = [];
  readonly #ids = new Map<string, number>();
  // Saved and loaded like parameters, never handed to an optimizer.
  readonly #buffers = new Set<number>();

  /** The name the next tensor gets: `name` checked and free, or its id when none is given. */
  claim(op: string, name: string | undefined, nextId: number): string {
    const key = name === undefined ? String(nextId) : checkName(op, name);
    if (this.#ids.has(key)) throw new TorchError(op, `the name "${key}" is already taken in this Memory (id ${this.#ids.get(key)})`);
    return key;
  }

  /** Records the next id under a name `claim` returned. */
  add(key: string, buffer: boolean): void {
    const id = this.names.length;
    this.names.push(key);
    this.#ids.set(key, id);
    if (buffer) this.#buffers.add(id);
  }

  /** The id stored under `name`, if any. */
  idOf(name: string): number | undefined {
    return this.#ids.get(name);
  }

  /** Whether id `id` is a buffer. */
  isBuffer(id: number): boolean {
    return this.#buffers.has(id);
  }

  /** Forgets everything (the Memory was disposed). */
  clear(): void {
    this.names.length = 0;
    this.#ids.clear();
    this.#buffers.clear();
  }
}
