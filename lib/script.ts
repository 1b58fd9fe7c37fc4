/**
 * TorchScript modules: a model saved in Python with `torch.jit.save` (scripted
 * or traced), loaded with LibTorch's `torch::jit::load`, run, fine-tuned with
 * the `Memory` optimizers and saved back for Python's `torch.jit.load`.
 *
 * @module
 */
import { renameSync, unlinkSync } from "node:fs";
import process from "node:process";
import { TorchError } from "./errors.ts";
import { checkStatus, lastError, native, nativeLibrary } from "./ffi/library.ts";
import type { Handle, ModuleHandle } from "./ffi/symbols.ts";
import { readInt64 } from "./ffi/marshal.ts";
import { Memory } from "./memory.ts";
import { tidy } from "./scope.ts";
import { operand, type Tensor, wrap } from "./tensor.ts";

// More outputs than any model returns; forward fails clearly beyond it.
const MAX_OUTPUTS = 256;
const PARAMETERS = 0, BUFFERS = 1;

const modules = new FinalizationRegistry<NonNullable<ModuleHandle>>((handle) => native.tf_script_free(handle));

function cString(op: string, path: unknown): Uint8Array {
  if (typeof path !== "string" || path.length === 0) throw new TorchError(op, `path must be a non-empty string, got ${JSON.stringify(path)}`);
  if (path.includes("\0")) throw new TorchError(op, "path must not contain a NUL character");
  return new TextEncoder().encode(`${path}\0`);
}

function inputList(op: string, inputs: readonly Tensor[]): ArrayBufferView {
  return nativeLibrary.handleList(inputs.map((t, i) => {
    try {
      return operand(t, op);
    } catch (error) {
      throw new TorchError(op, `input ${i}: ${(error as TorchError).detail ?? (error as Error).message}`);
    }
  }));
}

// TorchScript reports a failure inside scripted code as two tracebacks (the
// serialized code and the original Python) followed by the exception itself;
// the exception line is what the caller needs, the Python location helps.
function scriptError(op: string): TorchError {
  const error = lastError(op);
  const lines = error.detail.split("\n");
  if (!/TorchScript interpreter/.test(lines[0])) return error;
  const at = lines.findLastIndex((line) => /^[\w.]*(Error|Exception)\b[^:]*:/.test(line));
  if (at < 0) return error;
  const where = lines.findLast((line) => /^\s*File ".*", line \d+/.test(line))?.trim();
  return new TorchError(op, `${lines.slice(at).join(" ").trim()}${where ? ` (TorchScript, ${where})` : ""}`);
}

function outputs(op: string, count: number, list: ArrayBufferView, isTuple: Int32Array): Tensor | Tensor[] {
  if (count < 0) throw scriptError(op);
  const tensors = nativeLibrary.readHandles(list, count).map((h: Handle) => wrap(h, op));
  return isTuple[0] === 1 ? tensors : tensors[0];
}

// Every named tensor of one kind in one call, retried once with room when
// the first guess of sizes was too small.
function namedTensors(handle: NonNullable<ModuleHandle>, kind: number): [string, Tensor][] {
  const op = "loadScriptModule";
  const sizes = new Int32Array(4);
  let cap = 256, nameBytes = 1 << 14;
  for (;;) {
    const out = nativeLibrary.outputList(cap), names = new Uint8Array(nameBytes);
    const status = native.tf_script_named(handle, kind, out, cap, names, names.length, sizes);
    if (status === 1) throw lastError(op);
    if (status === 2) {
      [cap, nameBytes] = [readInt64(sizes, 0), readInt64(sizes, 1)];
      continue;
    }
    const count = readInt64(sizes, 0);
    const tensors = nativeLibrary.readHandles(out, count).map((h: Handle) => wrap(h, op));
    const text = new TextDecoder().decode(names.subarray(0, readInt64(sizes, 1)));
    return text.split("\0").slice(0, count).map((name, i) => [name, tensors[i]]);
  }
}

/**
 * A TorchScript module loaded from a `.pt` file. Its parameters and buffers
 * are the module's own tensors, also held by `memory`, so the `Memory`
 * optimizers fine-tune the module in place and `save` writes the result.
 *
 * To train it with `train()`, hand it over as a `Compute`:
 * `train(m.memory, x, y, { forward: (_mem, input) => m.forward(input) as Tensor }, options)`.
 *
 * @example
 * ```ts
 * import { crossEntropy, loadScriptModule } from "./mod.ts";
 * const model = loadScriptModule("model.pt");
 * model.train();
 * crossEntropy(labels, model.forward(images) as Tensor).backward();
 * model.memory.applyGradsAdam(1e-3);
 * model.save("tuned.pt");
 * ```
 */
export class ScriptModule {
  #handle: ModuleHandle;
  /** The module's parameters (by their PyTorch names) and buffers, the same tensors the module uses. */
  readonly memory: Memory;

  /** @internal Use `loadScriptModule`. */
  constructor(handle: NonNullable<ModuleHandle>) {
    this.#handle = handle;
    modules.register(this, handle, this);
    const memory = new Memory();
    try {
      tidy(() => {
        for (const [name, t] of namedTensors(handle, PARAMETERS)) memory.push(t, name);
        for (const [name, t] of namedTensors(handle, BUFFERS)) memory.pushBuffer(t, name);
      });
    } catch (error) {
      memory.dispose();
      this.dispose();
      throw error;
    }
    this.memory = memory;
  }

  #live(op: string): NonNullable<ModuleHandle> {
    if (!this.#handle) throw new TorchError(op, "this ScriptModule was disposed");
    return this.#handle;
  }

  /**
   * Runs the module's `forward` on the JavaScript thread, recording gradients
   * (for fine-tuning) unless inside `noGrad`. Returns a tensor, or an array of
   * tensors when the module returns a tuple or list (nested ones flattened in order).
   * TorchScript's own errors (a wrong input count or shape) become a `TorchError`.
   *
   * @example
   * ```ts
   * const logits = model.forward(images) as Tensor;
   * const [out, h, c] = lstm.forward(sequence) as Tensor[];
   * ```
   */
  forward(...inputs: Tensor[]): Tensor | Tensor[] {
    const handle = this.#live("forward");
    const list = inputList("forward", inputs);
    const out = nativeLibrary.outputList(MAX_OUTPUTS);
    const isTuple = new Int32Array(1);
    return outputs("forward", native.tf_script_forward(handle, list, inputs.length, out, MAX_OUTPUTS, isTuple), out, isTuple);
  }

  /**
   * Runs `forward` off the JavaScript thread, without recording gradients, so
   * a server's event loop stays free during inference. Calls may overlap; each
   * gives what `forward` would. The result belongs to the caller (dispose it,
   * or `keep` it in a scope); the inputs may be disposed once the call started.
   *
   * @example
   * ```ts
   * const [a, b] = await Promise.all([model.forwardAsync(x1), model.forwardAsync(x2)]);
   * ```
   */
  async forwardAsync(...inputs: Tensor[]): Promise<Tensor | Tensor[]> {
    const handle = this.#live("forwardAsync");
    const job = native.tf_script_job(handle, inputList("forwardAsync", inputs), inputs.length);
    if (!job) throw lastError("forwardAsync");
    try {
      await nativeLibrary.runJob(job);
      const out = nativeLibrary.outputList(MAX_OUTPUTS);
      const isTuple = new Int32Array(1);
      return outputs("forwardAsync", native.tf_job_result(job, out, MAX_OUTPUTS, isTuple), out, isTuple);
    } finally {
      native.tf_job_free(job);
    }
  }

  /**
   * Puts the module and all its submodules in training mode (`on` true, the
   * default) or evaluation mode, as PyTorch's `module.train(on)`.
   *
   * @example
   * ```ts
   * model.train();
   * ```
   */
  train(on = true): this {
    checkStatus(native.tf_script_train(this.#live("train"), on ? 1 : 0), "train");
    return this;
  }

  /**
   * Evaluation mode (BatchNorm uses its running statistics, dropout is off).
   *
   * @example
   * ```ts
   * model.eval();
   * ```
   */
  eval(): this {
    return this.train(false);
  }

  /**
   * The parameters with their PyTorch names (`conv.weight`...), owned by `memory`.
   *
   * @example
   * ```ts
   * for (const [name, t] of model.namedParameters()) console.log(name, t.shape);
   * ```
   */
  namedParameters(): [string, Tensor][] {
    this.#live("namedParameters");
    return this.memory.namedParameters();
  }

  /**
   * The buffers with their PyTorch names (`bn.running_mean`...), owned by `memory`.
   *
   * @example
   * ```ts
   * for (const [name, t] of model.namedBuffers()) console.log(name, t.shape);
   * ```
   */
  namedBuffers(): [string, Tensor][] {
    this.#live("namedBuffers");
    return this.memory.namedBuffers();
  }

  /**
   * Writes the module with its current parameters and buffers, for Python's
   * `torch.jit.load` (or `loadScriptModule`). Atomic: written beside the
   * target, then renamed, so a crash leaves the old file intact.
   *
   * @example
   * ```ts
   * model.save("tuned.pt");
   * ```
   */
  save(path: string): void {
    const handle = this.#live("save");
    cString("save", path);
    const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      checkStatus(native.tf_script_save(handle, cString("save", temporary)), "save");
      renameSync(temporary, path);
    } catch (error) {
      try {
        unlinkSync(temporary);
      } catch {
        // Nothing was left behind.
      }
      if (error instanceof TorchError) throw error;
      throw new TorchError("save", `cannot write ${path}: ${(error as Error).message}`);
    }
  }

  /**
   * Frees the module and its `memory`. Disposing twice is harmless.
   *
   * @example
   * ```ts
   * model.dispose();
   * ```
   */
  dispose(): void {
    const handle = this.#handle;
    if (!handle) return;
    this.#handle = null;
    modules.unregister(this);
    this.memory?.dispose();
    native.tf_script_free(handle);
  }

  /** Lets `using model = loadScriptModule(path)` free it at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Loads a TorchScript module saved by `torch.jit.save` (scripted or traced),
 * on the CPU. A missing, corrupt or truncated file is a `TorchError` with
 * LibTorch's reason.
 *
 * @example
 * ```ts
 * import { loadScriptModule } from "./mod.ts";
 * using model = loadScriptModule("model.pt").eval();
 * const logits = model.forward(images);
 * ```
 */
export function loadScriptModule(path: string): ScriptModule {
  const handle = native.tf_script_load(cString("loadScriptModule", path));
  if (!handle) throw lastError("loadScriptModule");
  return new ScriptModule(handle);
}
