/**
 * What `Memory.save` / `load` and `saveCheckpoint` / `loadCheckpoint` write
 * and read: parameters named by id ("0", "1", ...), and for checkpoints the
 * optimizer state ("optimizer.exp_avg.3", ...), Adam's step counts, the
 * generator state and the training progress, all in one safetensors file.
 * Files are checked in full before anything in the store changes.
 *
 * @module
 */
import { fromBytes } from "../creation.ts";
import { TorchError } from "../errors.ts";
import { checkStatus, lastError, native } from "../ffi/library.ts";
import type { StoreHandle } from "../ffi/symbols.ts";
import { tidy } from "../scope.ts";
import { type Tensor, wrap } from "../tensor.ts";
import { type RawTensor, readSafetensors, writeSafetensors } from "./safetensors.ts";

/**
 * Training progress stored in a checkpoint.
 *
 * @example
 * ```ts
 * const info: CheckpointInfo = mem.loadCheckpoint("run.ckpt.safetensors");
 * console.log(`resuming after epoch ${info.epoch}, losses ${info.history}`);
 * ```
 */
export interface CheckpointInfo {
  /** The last completed epoch (0-based), or -1 before any. */
  epoch: number;
  /** Mean loss of each completed epoch. */
  history: number[];
}

const PARAMETERS_FORMAT = "torchffi.Memory";
const CHECKPOINT_FORMAT = "torchffi.checkpoint";
const STATE_KINDS = ["momentum", "exp_avg", "exp_avg_sq"] as const;
const RNG_STATE = "rng_state";

function raw(t: Tensor): RawTensor {
  const data = t.toTypedArray();
  return { dtype: t.dtype, shape: [...t.shape], bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function parameterEntries(params: readonly Tensor[]): Map<string, RawTensor> {
  return new Map(params.map((t, id) => [String(id), raw(t)]));
}

/**
 * Writes the parameters (a file any safetensors reader understands).
 *
 * @example
 * ```ts
 * writeParameters("model.safetensors", tensors);
 * ```
 */
export function writeParameters(path: string, params: readonly Tensor[]): void {
  writeSafetensors(path, parameterEntries(params), { format: PARAMETERS_FORMAT });
}

/**
 * Writes parameters, optimizer state, the generator state and `info`.
 *
 * @example
 * ```ts
 * writeCheckpoint("run.ckpt.safetensors", store, tensors, { epoch: 3, history });
 * ```
 */
export function writeCheckpoint(path: string, store: NonNullable<StoreHandle>, params: readonly Tensor[], info: CheckpointInfo): void {
  const entries = parameterEntries(params);
  const adamSteps: number[] = [];
  tidy(() => {
    params.forEach((_, id) => {
      STATE_KINDS.forEach((kind, code) => {
        const has = native.tf_store_has_state(store, id, code);
        if (has < 0) throw lastError("saveCheckpoint");
        if (has === 1) entries.set(`optimizer.${kind}.${id}`, raw(wrap(native.tf_store_state(store, id, code), "saveCheckpoint")));
      });
      adamSteps.push(Number(native.tf_store_adam_steps(store, id)));
    });
    entries.set(RNG_STATE, raw(wrap(native.tf_get_rng_state(), "saveCheckpoint")));
  });
  const metadata = { format: CHECKPOINT_FORMAT, epoch: String(info.epoch), history: JSON.stringify(info.history), adam_steps: JSON.stringify(adamSteps) };
  writeSafetensors(path, entries, metadata, "saveCheckpoint");
}

// Checks that the file's parameter entries fit `params` exactly.
function checkParameters(path: string, op: string, tensors: Map<string, RawTensor>, params: readonly Tensor[]): void {
  const fail = (why: string): never => {
    throw new TorchError(op, `${path}: ${why}`);
  };
  const count = [...tensors.keys()].filter((name) => /^\d+$/.test(name)).length;
  if (count !== params.length) fail(`the file holds ${count} tensors but this Memory holds ${params.length}`);
  params.forEach((t, id) => {
    const entry = tensors.get(String(id)) ?? fail(`no tensor named "${id}"`);
    if (entry.dtype !== t.dtype) fail(`tensor ${id} is ${entry.dtype} in the file but ${t.dtype} here`);
    if (entry.shape.join(",") !== t.shape.join(",")) {
      fail(`tensor ${id} has shape [${entry.shape.join(", ")}] in the file but [${t.shape.join(", ")}] here`);
    }
  });
}

function assignParameters(store: NonNullable<StoreHandle>, op: string, tensors: Map<string, RawTensor>, params: readonly Tensor[]): void {
  const sources = params.map((_, id) => {
    const entry = tensors.get(String(id))!;
    return fromBytes(entry.bytes, entry.shape, entry.dtype, op);
  });
  sources.forEach((source, id) => checkStatus(native.tf_store_assign(store, id, source.handleFor(op)), op));
}

/**
 * Reads parameters (from a parameters file or a checkpoint) into the store's
 * tensors, after checking every one; on any problem nothing changes.
 *
 * @example
 * ```ts
 * readParameters("model.safetensors", store, tensors);
 * ```
 */
export function readParameters(path: string, store: NonNullable<StoreHandle>, params: readonly Tensor[]): void {
  const { tensors } = readSafetensors(path);
  checkParameters(path, "load", tensors, params);
  tidy(() => assignParameters(store, "load", tensors, params));
}

/**
 * Restores parameters, optimizer state and the generator from a checkpoint,
 * after checking the whole file; returns the training progress it holds.
 *
 * @example
 * ```ts
 * const { epoch, history } = readCheckpoint("run.ckpt.safetensors", store, tensors);
 * ```
 */
export function readCheckpoint(path: string, store: NonNullable<StoreHandle>, params: readonly Tensor[]): CheckpointInfo {
  const op = "loadCheckpoint";
  const fail = (why: string): never => {
    throw new TorchError(op, `${path}: ${why}`);
  };
  const { tensors, metadata } = readSafetensors(path, op);
  if (metadata.format !== CHECKPOINT_FORMAT) fail("not a torchffi checkpoint (use Memory.load for parameter files)");
  checkParameters(path, op, tensors, params);
  let info: CheckpointInfo;
  let adamSteps: number[];
  try {
    info = { epoch: Number(metadata.epoch), history: JSON.parse(metadata.history) };
    adamSteps = JSON.parse(metadata.adam_steps);
  } catch {
    return fail("its training metadata is not valid JSON");
  }
  if (!Number.isSafeInteger(info.epoch) || info.epoch < -1) fail(`bad epoch ${metadata.epoch}`);
  if (!Array.isArray(info.history) || !info.history.every((v) => typeof v === "number")) fail("bad loss history");
  if (!Array.isArray(adamSteps) || adamSteps.length !== params.length || !adamSteps.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    fail("bad Adam step counts");
  }
  for (const name of tensors.keys()) {
    const match = /^optimizer\.(\w+)\.(\d+)$/.exec(name);
    if (/^\d+$/.test(name) || name === RNG_STATE) continue;
    if (!match || !STATE_KINDS.includes(match[1] as typeof STATE_KINDS[number]) || Number(match[2]) >= params.length) {
      fail(`unexpected tensor "${name}"`);
    }
    const [, , id] = match!;
    const entry = tensors.get(name)!, param = params[Number(id)];
    if (entry.dtype !== param.dtype || entry.shape.join(",") !== param.shape.join(",")) {
      fail(`"${name}" does not match tensor ${id} ([${param.shape.join(", ")}] ${param.dtype})`);
    }
  }
  const rng = tensors.get(RNG_STATE) ?? fail("no generator state");
  if (rng.dtype !== "uint8" || rng.shape.length !== 1) fail("bad generator state");
  tidy(() => {
    const state = (kind: string, id: number) => {
      const entry = tensors.get(`optimizer.${kind}.${id}`);
      return entry ? fromBytes(entry.bytes, entry.shape, entry.dtype, op).handleFor(op) : null;
    };
    const restored = params.map((_, id) => STATE_KINDS.map((kind) => state(kind, id)));
    const rngState = fromBytes(rng.bytes, rng.shape, rng.dtype, op);
    assignParameters(store, op, tensors, params);
    restored.forEach(([momentum, expAvg, expAvgSq], id) =>
      checkStatus(native.tf_store_restore_state(store, id, momentum, expAvg, expAvgSq, adamSteps[id]), op)
    );
    checkStatus(native.tf_set_rng_state(rngState.handleFor(op)), op);
  });
  return info;
}
