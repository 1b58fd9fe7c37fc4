/**
 * State dicts: what `Memory.save` / `load` write and read. Every parameter and
 * buffer is keyed by its name (`l1.weight`), as PyTorch's `state_dict()` keys
 * them, so the files cross between PyTorch and torchffi. Loading follows
 * `load_state_dict`: strict by default (missing and unexpected keys are
 * errors), and the whole file is checked before anything changes.
 *
 * @module
 */
import { fromBytes } from "../creation.ts";
import { TorchError } from "../errors.ts";
import { checkStatus, native } from "../ffi/library.ts";
import type { StoreHandle } from "../ffi/symbols.ts";
import { tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import { type RawTensor, readSafetensors, writeSafetensors } from "./safetensors.ts";

/**
 * Options of `Memory.load`.
 *
 * @example
 * ```ts
 * const options: LoadOptions = { strict: false };
 * mem.load("backbone.safetensors", options);
 * ```
 */
export interface LoadOptions {
  /**
   * As in PyTorch's `load_state_dict` (default true): every tensor of the
   * Memory must be in the file and every tensor of the file in the Memory.
   * With false, only the names both have are loaded. Shapes must match either way.
   */
  strict?: boolean;
}

/** The `format` a parameters file carries in its metadata. */
export const PARAMETERS_FORMAT = "torchffi.Memory";
/** The `format` of a checkpoint (parameters plus optimizer state). */
export const CHECKPOINT_FORMAT = "torchffi.checkpoint";
/** The key of the generator state in a checkpoint. */
export const RNG_STATE = "rng_state";

/**
 * Whether `key` of a checkpoint holds something other than a parameter or buffer.
 *
 * @example
 * ```ts
 * isCheckpointExtra("optimizer.exp_avg.l1.weight"); // true
 * ```
 */
export function isCheckpointExtra(key: string): boolean {
  return key === RNG_STATE || key.startsWith("optimizer.");
}

/**
 * A tensor's bytes, ready for a file.
 *
 * @example
 * ```ts
 * const entry = raw(tensor([1, 2]));
 * ```
 */
export function raw(t: Tensor): RawTensor {
  const data = t.toTypedArray();
  return { dtype: t.dtype, shape: [...t.shape], bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * Each tensor's raw data under its name.
 *
 * @example
 * ```ts
 * const entries = stateDictEntries(["w"], [w]);
 * ```
 */
export function stateDictEntries(names: readonly string[], params: readonly Tensor[]): Map<string, RawTensor> {
  return new Map(params.map((t, id) => [names[id], raw(t)]));
}

/**
 * Which store id each file key refers to. Keys are names; a file whose keys
 * are all plain numbers that are not all names here was written before names
 * existed, and its keys are ids. Keys that match nothing are left out.
 *
 * @example
 * ```ts
 * matchKeys(["0", "1"], ["l1.weight", "l1.bias"]); // Map { "0" => 0, "1" => 1 }
 * ```
 */
export function matchKeys(keys: readonly string[], names: readonly string[]): Map<string, number> {
  const byName = new Map(names.map((name, id) => [name, id]));
  const byId = keys.length > 0 && keys.every((k) => /^\d+$/.test(k)) && !keys.every((k) => byName.has(k));
  const ids = new Map<string, number>();
  for (const key of keys) {
    const id = byId ? Number(key) : byName.get(key);
    if (id !== undefined && id < names.length) ids.set(key, id);
  }
  return ids;
}

const quoted = (keys: readonly string[]) => keys.map((k) => `"${k}"`).join(", ");

/**
 * Checks the file's tensors against the store and returns what to copy into
 * each id; throws one error listing every problem (PyTorch's wording: missing
 * keys, unexpected keys, size mismatches) when there is any.
 *
 * @example
 * ```ts
 * const plan = checkStateDict("m.safetensors", "load", tensors, names, params, true);
 * ```
 */
export function checkStateDict(
  path: string,
  op: string,
  tensors: Map<string, RawTensor>,
  names: readonly string[],
  params: readonly Tensor[],
  strict: boolean,
): Map<number, RawTensor> {
  const ids = matchKeys([...tensors.keys()], names);
  const found = new Set(ids.values());
  const problems: string[] = [];
  const missing = names.filter((_, id) => !found.has(id));
  const unexpected = [...tensors.keys()].filter((key) => !ids.has(key));
  if (strict && missing.length > 0) problems.push(`missing key(s) in the file: ${quoted(missing)}`);
  if (strict && unexpected.length > 0) problems.push(`unexpected key(s) in the file: ${quoted(unexpected)}`);
  const plan = new Map<number, RawTensor>();
  for (const [key, id] of ids) {
    const entry = tensors.get(key)!, here = params[id];
    if (entry.shape.join(",") !== here.shape.join(",")) {
      problems.push(`size mismatch for ${names[id]}: the file has shape [${entry.shape.join(", ")}], this Memory [${here.shape.join(", ")}]`);
    } else if (entry.dtype !== here.dtype) {
      problems.push(`dtype mismatch for ${names[id]}: the file has ${entry.dtype}, this Memory ${here.dtype}`);
    }
    plan.set(id, entry);
  }
  if (problems.length > 0) throw new TorchError(op, `${path}: error(s) loading the state dict: ${problems.join("; ")}`);
  return plan;
}

/**
 * Copies the planned values into the store (all checks already passed).
 *
 * @example
 * ```ts
 * assignStateDict(store, "load", plan);
 * ```
 */
export function assignStateDict(store: NonNullable<StoreHandle>, op: string, plan: Map<number, RawTensor>): void {
  tidy(() => {
    const sources = [...plan].map(([id, e]) => [id, fromBytes(e.bytes, e.shape, e.dtype, op)] as const);
    for (const [id, source] of sources) checkStatus(native.tf_store_assign(store, id, source.handleFor(op)), op);
  });
}

/**
 * Writes the parameters and buffers by name (a file any safetensors reader understands).
 *
 * @example
 * ```ts
 * writeStateDict("model.safetensors", names, tensors);
 * ```
 */
export function writeStateDict(path: string, names: readonly string[], params: readonly Tensor[]): void {
  writeSafetensors(path, stateDictEntries(names, params), { format: PARAMETERS_FORMAT });
}

/**
 * Reads a state dict (or a checkpoint's parameters) into the store's tensors,
 * after checking every one; on any problem nothing changes.
 *
 * @example
 * ```ts
 * readStateDict("model.safetensors", store, names, tensors, { strict: true });
 * ```
 */
export function readStateDict(
  path: string,
  store: NonNullable<StoreHandle>,
  names: readonly string[],
  params: readonly Tensor[],
  options: LoadOptions,
): void {
  const strict = options?.strict ?? true;
  if (typeof strict !== "boolean") throw new TorchError("load", `strict must be a boolean, got ${typeof strict}`);
  const { tensors, metadata } = readSafetensors(path);
  if (metadata.format === CHECKPOINT_FORMAT) for (const key of [...tensors.keys()]) if (isCheckpointExtra(key)) tensors.delete(key);
  assignStateDict(store, "load", checkStateDict(path, "load", tensors, names, params, strict));
}
