/**
 * `Memory`: the seed's parameter store. It holds every trainable tensor of a
 * model and the optimizer state that goes with them, and applies a whole
 * optimizer step in one call into C.
 *
 * @module
 */
import { randn } from "./creation.ts";
import { TorchError } from "./errors.ts";
import { checkStatus, lastError, native } from "./ffi/library.ts";
import type { StoreHandle } from "./ffi/symbols.ts";
import { type CheckpointInfo, readCheckpoint, writeCheckpoint } from "./io/checkpoint.ts";
import { type LoadOptions, readStateDict, writeStateDict } from "./io/state_dict.ts";
import { NameRegistry } from "./names.ts";
import { adamSettings } from "./optim.ts";
import { adopt, setDependent, tidy } from "./scope.ts";
import { operand, type Tensor, wrap } from "./tensor.ts";

/**
 * Adam's settings; the defaults are PyTorch's.
 *
 * @example
 * ```ts
 * const adam: AdamOptions = { beta2: 0.99, weightDecay: 1e-4 };
 * mem.applyGradsAdam(1e-3, adam);
 * ```
 */
export interface AdamOptions {
  /** Decay of the first moment (default 0.9). */
  beta1?: number;
  /** Decay of the second moment (default 0.999). */
  beta2?: number;
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient, as in `torch.optim.Adam` (default 0). */
  weightDecay?: number;
}

const stores = new FinalizationRegistry<NonNullable<StoreHandle>>((store) => native.tf_store_free(store));

function checkRate(op: string, lr: number): void {
  if (typeof lr !== "number" || !Number.isFinite(lr) || lr <= 0) {
    throw new TorchError(op, `learning rate must be a positive number, got ${String(lr)}`);
  }
}

/**
 * A store of parameters addressed by id and by name. Layers register their
 * weights here under names such as `l1.weight`; `forward(mem, input)` reads
 * them back with `get(id)`. Buffers (state that is saved and loaded but never
 * trained, like BatchNorm's running statistics) live here too. The optimizer
 * state (momentum buffers, Adam moments and step counts) persists from one
 * step to the next.
 *
 * @example
 * ```ts
 * import { crossEntropy, Linear, Memory } from "../mod.ts";
 * const mem = new Memory();
 * const layer = new Linear(mem, 784, 10);
 * const loss = crossEntropy(labels, layer.forward(mem, images));
 * loss.backward();
 * mem.applyGradsAdam(1e-3);
 * ```
 */
export class Memory {
  #store: StoreHandle;
  readonly #tensors: Tensor[] = [];
  readonly #names = new NameRegistry();
  #training = true;

  constructor() {
    const store = native.tf_store_new();
    if (!store) throw lastError("Memory");
    this.#store = store;
    stores.register(this, store, this);
  }

  #live(op: string): NonNullable<StoreHandle> {
    if (!this.#store) throw new TorchError(op, "this Memory was disposed");
    return this.#store;
  }

  /**
   * Whether layers run in training mode (dropout active, BatchNorm updating
   * its running statistics) or in evaluation mode. A new Memory is in
   * training mode, as a new PyTorch module is.
   *
   * @example
   * ```ts
   * if (mem.training) console.log("dropout is on");
   * ```
   */
  get training(): boolean {
    return this.#training;
  }

  /**
   * Switches every layer of this Memory to training mode (PyTorch's
   * `module.train()`); returns the Memory. `train()` does this itself.
   *
   * @example
   * ```ts
   * mem.train();
   * ```
   */
  train(): this {
    this.#training = true;
    return this;
  }

  /**
   * Switches every layer of this Memory to evaluation mode (PyTorch's
   * `module.eval()`): dropout off, BatchNorm using its running statistics.
   * `predictClasses` does this itself and restores the mode after.
   *
   * @example
   * ```ts
   * mem.eval();
   * const logits = model.forward(mem, x);
   * ```
   */
  eval(): this {
    this.#training = false;
    return this;
  }

  /**
   * Adds `t` to the store (the same tensor, not a copy) as a parameter named
   * `name` and returns its id. Without a name it is called by its id ("0",
   * "1", ...), as files written before names existed call it. Trainable
   * tensors must have `requiresGrad` set.
   *
   * @example
   * ```ts
   * const w = tensor([[0.5, -0.5]]);
   * w.requiresGrad = true;
   * const id = mem.push(w, "head.weight");
   * ```
   */
  push(t: Tensor, name?: string): number {
    return this.#add("push", t, name, false);
  }

  /**
   * Adds `t` as a buffer named `name` (PyTorch's `register_buffer`): it is
   * saved and loaded with the parameters but no optimizer touches it, so it
   * must not require a gradient. Returns its id.
   *
   * @example
   * ```ts
   * const id = mem.pushBuffer(zeros([16]), "bn.running_mean");
   * ```
   */
  pushBuffer(t: Tensor, name?: string): number {
    operand(t, "pushBuffer");
    if (t.requiresGrad) {
      throw new TorchError("pushBuffer", "a buffer must not require a gradient (push it as a parameter instead)");
    }
    return this.#add("pushBuffer", t, name, true);
  }

  #add(op: string, t: Tensor, name: string | undefined, buffer: boolean): number {
    const store = this.#live(op);
    const key = this.#names.claim(op, name, this.#tensors.length);
    const id = Number(native.tf_store_push(store, operand(t, op)));
    if (id < 0) throw lastError(op);
    this.#tensors.push(adopt(wrap(native.tf_store_get(store, id), op)));
    this.#names.add(key, buffer);
    return id;
  }

  /**
   * Whether a tensor is stored under `name`.
   *
   * @example
   * ```ts
   * if (!mem.has("l1.weight")) new Linear(mem, 784, 128, { name: "l1" });
   * ```
   */
  has(name: string): boolean {
    return this.#names.idOf(name) !== undefined;
  }

  /**
   * Every parameter with its name, in the order they were added (PyTorch's
   * `named_parameters()`). The tensors belong to the Memory.
   *
   * @example
   * ```ts
   * for (const [name, t] of mem.namedParameters()) console.log(name, t.shape);
   * ```
   */
  namedParameters(): [string, Tensor][] {
    this.#live("namedParameters");
    return this.#tensors.flatMap((t, id) => (this.#names.isBuffer(id) ? [] : [[this.#names.names[id], t] as [string, Tensor]]));
  }

  /**
   * Every buffer with its name (PyTorch's `named_buffers()`).
   *
   * @example
   * ```ts
   * for (const [name, t] of mem.namedBuffers()) console.log(name, t.shape);
   * ```
   */
  namedBuffers(): [string, Tensor][] {
    this.#live("namedBuffers");
    return this.#tensors.flatMap((t, id) => (this.#names.isBuffer(id) ? [[this.#names.names[id], t] as [string, Tensor]] : []));
  }

  /**
   * Creates a tensor of `shape` filled from the standard normal distribution
   * (as the seed does), stores it under `name` (default: its id) and returns its id.
   *
   * @example
   * ```ts
   * const bias = mem.newPush([1, 10], true, "head.bias");
   * ```
   */
  newPush(shape: readonly number[], requiresGrad = true, name?: string): number {
    this.#live("newPush");
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new TorchError("newPush", `shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (name !== undefined) this.#names.claim("newPush", name, this.#tensors.length);
    return tidy(() => {
      const t = randn(shape);
      if (requiresGrad) t.requiresGrad = true;
      return this.#add("newPush", t, name, false);
    });
  }

  // The C side dropped every gradient: free the Tensors that showed them
  // (`t.grad`) now rather than when they are next read.
  #gradsDropped(): void {
    const tensors = this.#tensors;
    for (let i = 0; i < tensors.length; i++) {
      if (tensors[i]._dependent !== null) setDependent(tensors[i], null);
    }
  }

  /**
   * The tensor with id `id` (or stored under the name `id`): the same `Tensor`
   * object on every call, so reading it in `forward` creates nothing. It
   * belongs to the Memory: use it freely, never dispose it (disposing the
   * Memory frees it).
   *
   * @example
   * ```ts
   * const w = mem.get(weightId);
   * const b = mem.get("l1.bias");
   * ```
   */
  get(id: number | string): Tensor {
    this.#live("get");
    if (typeof id === "string") {
      const found = this.#names.idOf(id);
      if (found === undefined) throw new TorchError("get", `no tensor named "${id}" in this Memory`);
      return this.#tensors[found];
    }
    const t = this.#tensors[id];
    if (t === undefined || !Number.isInteger(id)) {
      throw new TorchError("get", `no tensor with id ${String(id)} in this Memory (it holds ${this.#tensors.length})`);
    }
    return t;
  }

  /** How many tensors the store holds. */
  get size(): number {
    return this.#tensors.length;
  }

  /**
   * A readable table of every tensor: id, name, shape, element count and
   * whether it trains (or is a buffer), with the total.
   *
   * @example
   * ```ts
   * console.log(mem.paramsInfo());
   * ```
   */
  paramsInfo(): string {
    this.#live("paramsInfo");
    const trains = (t: Tensor, id: number) => (this.#names.isBuffer(id) ? "buffer" : t.requiresGrad ? "yes" : "no");
    const rows = this.#tensors.map((t, id) => [String(id), this.#names.names[id], `[${t.shape.join(", ")}]`, String(t.numel), trains(t, id)]);
    const total = this.#tensors.reduce((sum, t) => sum + t.numel, 0);
    const table = [["id", "name", "shape", "elements", "trains"], ...rows];
    const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
    const line = (r: string[]) => r.map((cell, c) => (c === 1 || c === 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
    return [...table.map(line), `${this.#tensors.length} tensors, ${total} elements`].join("\n");
  }

  /**
   * Drops the gradient of every tensor (the apply methods already do this).
   *
   * @example
   * ```ts
   * mem.zeroGrad();
   * ```
   */
  zeroGrad(): void {
    checkStatus(native.tf_store_zero_grad(this.#live("zeroGrad")), "zeroGrad");
    this.#gradsDropped();
  }

  /**
   * One step of plain SGD (`torch.optim.SGD(params, lr)`) over every tensor
   * with a gradient, then drops the gradients; one call into C.
   *
   * @example
   * ```ts
   * loss.backward();
   * mem.applyGradsSgd(0.1);
   * ```
   */
  applyGradsSgd(lr: number): void {
    checkRate("applyGradsSgd", lr);
    checkStatus(native.tf_store_sgd(this.#live("applyGradsSgd"), lr), "applyGradsSgd");
    this.#gradsDropped();
  }

  /**
   * One step of SGD with momentum (`torch.optim.SGD(params, lr, momentum)`);
   * the momentum buffers persist in the store.
   *
   * @example
   * ```ts
   * mem.applyGradsSgdMomentum(0.01, 0.9);
   * ```
   */
  applyGradsSgdMomentum(lr: number, momentum = 0.9): void {
    checkRate("applyGradsSgdMomentum", lr);
    if (typeof momentum !== "number" || !(momentum >= 0) || !Number.isFinite(momentum)) {
      throw new TorchError("applyGradsSgdMomentum", `momentum must be a non-negative number, got ${String(momentum)}`);
    }
    checkStatus(native.tf_store_sgd_momentum(this.#live("applyGradsSgdMomentum"), lr, momentum), "applyGradsSgdMomentum");
    this.#gradsDropped();
  }

  /**
   * One step of Adam (`torch.optim.Adam(params, lr, betas, eps, weight_decay)`,
   * PyTorch's defaults); the moments and step counts persist in the store.
   *
   * @example
   * ```ts
   * mem.applyGradsAdam(1e-3);
   * mem.applyGradsAdam(1e-3, { weightDecay: 1e-4 });
   * ```
   */
  applyGradsAdam(lr: number, options: AdamOptions = {}): void {
    checkRate("applyGradsAdam", lr);
    const { beta1, beta2, eps, weightDecay } = adamSettings(options, "applyGradsAdam");
    const status = native.tf_store_adam(this.#live("applyGradsAdam"), lr, beta1, beta2, eps, weightDecay);
    checkStatus(status, "applyGradsAdam");
    this.#gradsDropped();
  }

  /**
   * Writes every parameter and buffer to `path` in the safetensors format,
   * keyed by name, so that PyTorch's `model.load_state_dict(tensors)` accepts
   * it for a module with the same attribute names. The write is atomic: a
   * crash leaves the old file intact.
   *
   * @example
   * ```ts
   * mem.save("model.safetensors");
   * ```
   */
  save(path: string): void {
    this.#live("save");
    writeStateDict(path, this.#names.names, this.#tensors);
  }

  /**
   * Reads a state dict (written by `save`, by PyTorch, or the parameters of a
   * checkpoint) into this store's existing tensors, by name, with PyTorch's
   * `load_state_dict` semantics: by default every name must be in the file and
   * every key of the file must be a name here (the error lists the missing and
   * unexpected keys); `{ strict: false }` loads what matches. Shapes and dtypes
   * must match either way. Files from before names existed (keys "0", "1", ...)
   * load by id. The whole file is checked first; on any problem it throws and
   * the store is unchanged.
   *
   * @example
   * ```ts
   * const mem = new Memory();
   * const model = new MyModel(mem);
   * mem.load("model.safetensors");
   * mem.load("backbone.safetensors", { strict: false });
   * ```
   */
  load(path: string, options: LoadOptions = {}): void {
    readStateDict(path, this.#live("load"), this.#names.names, this.#tensors, options);
  }

  /**
   * Writes a checkpoint: the parameters plus the optimizer state (momentum
   * buffers, Adam's moments and step counts), LibTorch's generator state and
   * the training progress, so training can resume exactly. Atomic, like `save`.
   *
   * @example
   * ```ts
   * mem.saveCheckpoint("run.ckpt.safetensors", { epoch: 4, history });
   * ```
   */
  saveCheckpoint(path: string, info: CheckpointInfo = { epoch: -1, history: [] }): void {
    writeCheckpoint(path, this.#live("saveCheckpoint"), this.#names.names, this.#tensors, info);
  }

  /**
   * Restores a checkpoint written by `saveCheckpoint` into this store (and the
   * global generator), after checking the whole file; returns its training
   * progress. On any problem it throws and nothing changes.
   *
   * @example
   * ```ts
   * const { epoch } = mem.loadCheckpoint("run.ckpt.safetensors");
   * ```
   */
  loadCheckpoint(path: string): CheckpointInfo {
    return readCheckpoint(path, this.#live("loadCheckpoint"), this.#names.names, this.#tensors);
  }

  /**
   * Frees every tensor in the store and its optimizer state. Disposing twice is harmless.
   *
   * @example
   * ```ts
   * mem.dispose();
   * ```
   */
  dispose(): void {
    const store = this.#store;
    if (!store) return;
    this.#store = null;
    stores.unregister(this);
    for (const t of this.#tensors) t._release();
    this.#tensors.length = 0;
    this.#names.clear();
    native.tf_store_free(store);
  }

  /** @internal The C store, for functions that work on every tensor in one call (`clipGradNorm`). */
  _storeFor(op: string): NonNullable<StoreHandle> {
    return this.#live(op);
  }

  /** Lets `using mem = new Memory()` free it at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
