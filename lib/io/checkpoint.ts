/**
 * What `saveCheckpoint` / `loadCheckpoint` write and read: the state dict
 * (parameters and buffers by name, as `Memory.save` writes them), the
 * optimizer state ("optimizer.exp_avg.l1.weight", ...), Adam's step counts,
 * the generator state and the training progress, all in one safetensors file.
 * Checkpoints from before names existed (keyed by id) still load. Files are
 * checked in full before anything in the store changes.
 *
 * @module
 */
import { fromBytes } from "../creation.ts";
import { TorchError } from "../errors.ts";
import { checkStatus, lastError, native } from "../ffi/library.ts";
import type { StoreHandle } from "../ffi/symbols.ts";
import { tidy } from "../scope.ts";
import { type Tensor, wrap } from "../tensor.ts";
import { readSafetensors, writeSafetensors } from "./safetensors.ts";
import {
  assignStateDict,
  CHECKPOINT_FORMAT,
  checkStateDict,
  isCheckpointExtra,
  matchKeys,
  raw,
  RNG_STATE,
  stateDictEntries,
} from "./state_dict.ts";

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

const STATE_KINDS = ["momentum", "exp_avg", "exp_avg_sq"] as const;

/**
 * Writes parameters, optimizer state, the generator state and `info`.
 *
 * @example
 * ```ts
 * writeCheckpoint("run.ckpt.safetensors", store, names, tensors, { epoch: 3, history });
 * ```
 */
export function writeCheckpoint(
  path: string,
  store: NonNullable<StoreHandle>,
  names: readonly string[],
  params: readonly Tensor[],
  info: CheckpointInfo,
): void {
  const entries = stateDictEntries(names, params);
  const adamSteps: Record<string, number> = {};
  tidy(() => {
    params.forEach((_, id) => {
      STATE_KINDS.forEach((kind, code) => {
        const has = native.tf_store_has_state(store, id, code);
        if (has < 0) throw lastError("saveCheckpoint");
        if (has === 1) entries.set(`optimizer.${kind}.${names[id]}`, raw(wrap(native.tf_store_state(store, id, code), "saveCheckpoint")));
      });
      adamSteps[names[id]] = Number(native.tf_store_adam_steps(store, id));
    });
    entries.set(RNG_STATE, raw(wrap(native.tf_get_rng_state(), "saveCheckpoint")));
  });
  const metadata = { format: CHECKPOINT_FORMAT, epoch: String(info.epoch), history: JSON.stringify(info.history), adam_steps: JSON.stringify(adamSteps) };
  writeSafetensors(path, entries, metadata, "saveCheckpoint");
}

// Adam's step count of every id: an object keyed like the parameters, or (in
// checkpoints from before names existed) an array by id.
function adamStepsById(stored: unknown, keyIds: Map<string, number>, count: number): number[] | null {
  const valid = (s: unknown) => Number.isSafeInteger(s) && (s as number) >= 0;
  if (Array.isArray(stored)) return stored.length === count && stored.every(valid) ? stored : null;
  if (stored === null || typeof stored !== "object") return null;
  const steps = new Array<number>(count).fill(-1);
  for (const [key, value] of Object.entries(stored)) {
    const id = keyIds.get(key);
    if (id === undefined || !valid(value)) return null;
    steps[id] = value as number;
  }
  return steps.every((s) => s >= 0) ? steps : null;
}

/**
 * Restores parameters, optimizer state and the generator from a checkpoint,
 * after checking the whole file; returns the training progress it holds.
 *
 * @example
 * ```ts
 * const { epoch, history } = readCheckpoint("run.ckpt.safetensors", store, names, tensors);
 * ```
 */
export function readCheckpoint(path: string, store: NonNullable<StoreHandle>, names: readonly string[], params: readonly Tensor[]): CheckpointInfo {
  const op = "loadCheckpoint";
  const fail = (why: string): never => {
    throw new TorchError(op, `${path}: ${why}`);
  };
  const { tensors, metadata } = readSafetensors(path, op);
  if (metadata.format !== CHECKPOINT_FORMAT) fail("not a torchffi checkpoint (use Memory.load for parameter files)");
  const parameters = new Map([...tensors].filter(([key]) => !isCheckpointExtra(key)));
  const plan = checkStateDict(path, op, parameters, names, params, true);
  const keyIds = matchKeys([...parameters.keys()], names);
  let info: CheckpointInfo;
  let storedSteps: unknown;
  try {
    info = { epoch: Number(metadata.epoch), history: JSON.parse(metadata.history) };
    storedSteps = JSON.parse(metadata.adam_steps);
  } catch {
    return fail("its training metadata is not valid JSON");
  }
  if (!Number.isSafeInteger(info.epoch) || info.epoch < -1) fail(`bad epoch ${metadata.epoch}`);
  if (!Array.isArray(info.history) || !info.history.every((v) => typeof v === "number")) fail("bad loss history");
  const adamSteps = adamStepsById(storedSteps, keyIds, params.length) ?? fail("bad Adam step counts");
  const stateKeys = new Map<string, number>();
  for (const name of tensors.keys()) {
    if (!isCheckpointExtra(name) || name === RNG_STATE) continue;
    const match = /^optimizer\.(momentum|exp_avg_sq|exp_avg)\.(.+)$/.exec(name);
    const id = match ? keyIds.get(match[2]) : undefined;
    if (!match || id === undefined) return fail(`unexpected tensor "${name}"`);
    const entry = tensors.get(name)!, param = params[id];
    if (entry.dtype !== param.dtype || entry.shape.join(",") !== param.shape.join(",")) {
      fail(`"${name}" does not match ${names[id]} ([${param.shape.join(", ")}] ${param.dtype})`);
    }
    stateKeys.set(`${match[1]}.${id}`, id);
  }
  const rng = tensors.get(RNG_STATE) ?? fail("no generator state");
  if (rng.dtype !== "uint8" || rng.shape.length !== 1) fail("bad generator state");
  const keyOf = new Map([...keyIds].map(([key, id]) => [id, key]));
  tidy(() => {
    const state = (kind: string, id: number) => {
      const entry = stateKeys.has(`${kind}.${id}`) ? tensors.get(`optimizer.${kind}.${keyOf.get(id)}`) : undefined;
      return entry ? fromBytes(entry.bytes, entry.shape, entry.dtype, op).handleFor(op) : null;
    };
    const restored = params.map((_, id) => STATE_KINDS.map((kind) => state(kind, id)));
    const rngState = fromBytes(rng.bytes, rng.shape, rng.dtype, op);
    assignStateDict(store, op, plan);
    restored.forEach(([momentum, expAvg, expAvgSq], id) =>
      checkStatus(native.tf_store_restore_state(store, id, momentum, expAvg, expAvgSq, adamSteps[id]), op)
    );
    checkStatus(native.tf_set_rng_state(rngState.handleFor(op)), op);
  });
  return info;
}
