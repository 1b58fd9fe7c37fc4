/**
 * `loadSafetensors` / `saveSafetensors`: any safetensors file as a map of
 * named tensors, for files made by PyTorch, Hugging Face tools or anyone else.
 *
 * @module
 */
import { fromBytes } from "../creation.ts";
import { TorchError } from "../errors.ts";
import { operand, type Tensor } from "../tensor.ts";
import { readSafetensors, writeSafetensors } from "./safetensors.ts";
import { raw } from "./state_dict.ts";

/**
 * Reads every tensor of a safetensors file (the whole file is checked first:
 * header, dtypes, shapes, byte ranges). The tensors are new and belong to the
 * caller (or the enclosing `tidy`); the file's `__metadata__` is not returned.
 *
 * @example
 * ```ts
 * import { loadSafetensors } from "./mod.ts";
 * const tensors = loadSafetensors("model.safetensors");
 * console.log(tensors.get("l1.weight")?.shape);
 * ```
 */
export function loadSafetensors(path: string): Map<string, Tensor> {
  const op = "loadSafetensors";
  if (typeof path !== "string") throw new TorchError(op, `path must be a string, got ${typeof path}`);
  const { tensors } = readSafetensors(path, op);
  const result = new Map<string, Tensor>();
  try {
    for (const [name, e] of tensors) result.set(name, fromBytes(e.bytes, e.shape, e.dtype, op));
  } catch (error) {
    for (const t of result.values()) t.dispose();
    throw error;
  }
  return result;
}

/**
 * Writes named tensors (a record or a Map) to a safetensors file, atomically
 * (beside the target, then renamed), so a crash leaves the old file intact.
 * PyTorch reads it with `safetensors.torch.load_file` or by hand.
 *
 * @example
 * ```ts
 * import { saveSafetensors, tensor } from "./mod.ts";
 * saveSafetensors("head.safetensors", { "head.weight": tensor([[1, 2]]), "head.bias": tensor([0]) });
 * ```
 */
export function saveSafetensors(path: string, tensors: Record<string, Tensor> | Map<string, Tensor>): void {
  const op = "saveSafetensors";
  if (typeof path !== "string") throw new TorchError(op, `path must be a string, got ${typeof path}`);
  if (tensors === null || typeof tensors !== "object") throw new TorchError(op, "expected a record or a Map of tensors");
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  for (const [name] of entries) {
    if (typeof name !== "string" || name.length === 0 || name === "__metadata__") {
      throw new TorchError(op, `bad tensor name ${JSON.stringify(name)} (names are non-empty strings other than "__metadata__")`);
    }
  }
  for (const [name, t] of entries) {
    try {
      operand(t, op);
    } catch {
      throw new TorchError(op, `"${name}" is not a live Tensor`);
    }
  }
  const rawEntries = new Map(entries.map(([name, t]) => [name, raw(t)]));
  writeSafetensors(path, rawEntries, {}, op);
}
