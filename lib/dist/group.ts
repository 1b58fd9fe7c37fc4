/**
 * `ProcessGroup`: several processes that train one model together, over the
 * engine under `torch.distributed` (c10d's TCPStore and Gloo). Python ranks
 * started with `init_process_group("gloo")` can join the same group.
 *
 * @module
 */
import { TorchError } from "../errors.ts";
import { checkStatus, lastError, native, nativeLibrary } from "../ffi/library.ts";
import type { GroupHandle } from "../ffi/symbols.ts";
import { Memory } from "../memory.ts";
import { operand, Tensor, wrap } from "../tensor.ts";
import { type ProcessGroupOptions, resolveRendezvous } from "./options.ts";

/**
 * How `allReduce` combines the ranks' tensors: as `torch.distributed.ReduceOp`
 * (`"mean"` is a sum divided by the world size, as Gloo has no average).
 *
 * @example
 * ```ts
 * const op: ReduceOp = "max";
 * const largest = group.allReduce(t, op);
 * ```
 */
export type ReduceOp = "sum" | "mean" | "max" | "min";

const REDUCE_CODES: Record<ReduceOp, number> = { sum: 0, mean: 1, max: 2, min: 3 };

const groups = new FinalizationRegistry<NonNullable<GroupHandle>>((group) => native.tf_dist_free(group));
// As torch.distributed's default group: one at a time per process. A second
// one on the same port would share the first one's store and keys.
let active: WeakRef<ProcessGroup> | null = null;
const encoder = new TextEncoder();

/**
 * The tensors of a `Memory`, as one list of C handles. `get` throws on a
 * disposed store, so nothing freed reaches C.
 */
function storeHandles(mem: Memory, op: string): ArrayBufferView {
  if (!(mem instanceof Memory)) throw new TorchError(op, "expected the model's Memory");
  const handles = [];
  for (let id = 0; id < mem.size; id++) handles.push(operand(mem.get(id), op));
  return nativeLibrary.handleList(handles);
}

/**
 * A joined process group. Every rank must make the same calls in the same
 * order (collectives pair up by position, as in `torch.distributed`); a call
 * that cannot complete (a rank gone, a timeout) throws a `TorchError`.
 *
 * @example
 * ```ts
 * import { initProcessGroup, tensor } from "../../mod.ts";
 * using group = initProcessGroup(); // RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
 * const total = group.allReduce(tensor([group.rank + 1]), "sum");
 * console.log(group.rank, total.item()); // 3 on both ranks of a world of 2
 * ```
 */
export class ProcessGroup {
  /** This process's rank, 0 to `worldSize - 1`. */
  readonly rank: number;
  /** How many processes take part. */
  readonly worldSize: number;
  #group: GroupHandle;

  /**
   * Whether the group can still be used (`destroy()` not called yet).
   *
   * @example
   * ```ts
   * if (group.alive) group.destroy();
   * ```
   */
  get alive(): boolean {
    return this.#group !== null;
  }

  /** @internal Use `initProcessGroup`. */
  constructor(group: NonNullable<GroupHandle>, rank: number, worldSize: number) {
    this.#group = group;
    this.rank = rank;
    this.worldSize = worldSize;
    groups.register(this, group, this);
  }

  #live(op: string): NonNullable<GroupHandle> {
    if (!this.#group) throw new TorchError(op, "this process group was destroyed");
    return this.#group;
  }

  /**
   * A new tensor: `t` combined element by element over every rank (`t` is
   * unchanged and no gradient is recorded), as `torch.distributed.all_reduce`.
   *
   * @example
   * ```ts
   * const mean = group.allReduce(tensor([group.rank]), "mean"); // 0.5 on both ranks of two
   * ```
   */
  allReduce(t: Tensor, op: ReduceOp = "sum"): Tensor {
    const code = REDUCE_CODES[op];
    if (code === undefined || !Object.hasOwn(REDUCE_CODES, op)) {
      throw new TorchError("allReduce", `op must be one of ${Object.keys(REDUCE_CODES).join(", ")}, got ${JSON.stringify(op)}`);
    }
    return wrap(native.tf_dist_all_reduce(this.#live("allReduce"), operand(t, "allReduce"), code), "allReduce");
  }

  /**
   * Overwrites `t` in place with rank `src`'s values (the shapes and dtypes
   * must agree on every rank), as `torch.distributed.broadcast`; returns `t`.
   *
   * @example
   * ```ts
   * const seed = group.broadcast(tensor([group.rank === 0 ? Date.now() : 0], undefined, "int64"), 0);
   * ```
   */
  broadcast(t: Tensor, src = 0): Tensor {
    this.#checkSource("broadcast", src);
    checkStatus(native.tf_dist_broadcast(this.#live("broadcast"), operand(t, "broadcast"), src), "broadcast");
    return t;
  }

  /**
   * Returns once every rank has called it.
   *
   * @example
   * ```ts
   * if (group.rank === 0) writeReport();
   * group.barrier(); // the others read it after this
   * ```
   */
  barrier(): void {
    checkStatus(native.tf_dist_barrier(this.#live("barrier")), "barrier");
  }

  /**
   * Copies every tensor of `mem` (parameters and any other stored tensor)
   * from rank `src` to all ranks, in a few large collectives, so that every
   * rank starts from the same model. The models must have the same layout.
   *
   * @example
   * ```ts
   * const model = new MyModel(mem); // initialised differently on each rank
   * group.broadcastParameters(mem, 0); // now equal everywhere
   * ```
   */
  broadcastParameters(mem: Memory, src = 0): void {
    this.#checkSource("broadcastParameters", src);
    const handles = storeHandles(mem, "broadcastParameters");
    const status = native.tf_dist_broadcast_tensors(this.#live("broadcastParameters"), handles, mem.size, src);
    checkStatus(status, "broadcastParameters");
  }

  /**
   * Replaces every gradient in `mem` by its mean over all ranks, flattened
   * into buckets of one collective each (like DistributedDataParallel), in one
   * call into C. Call it between `backward()` and the optimizer step.
   *
   * @example
   * ```ts
   * crossEntropy(yb, model.forward(mem, xb)).backward();
   * group.allReduceGradients(mem);
   * mem.applyGradsAdam(1e-3);
   * ```
   */
  allReduceGradients(mem: Memory): void {
    this._averageGradients(mem, new Float64Array(0), "allReduceGradients");
  }

  /**
   * @internal Averages the gradients and, in the same collective, `values`
   * in place (how `train` averages the loss without a second round trip).
   */
  _averageGradients(mem: Memory, values: Float64Array, op = "allReduceGradients"): void {
    const handles = storeHandles(mem, op);
    checkStatus(native.tf_dist_average_gradients(this.#live(op), handles, mem.size, values, values.length), op);
  }

  #checkSource(op: string, src: number): void {
    if (!Number.isSafeInteger(src) || src < 0 || src >= this.worldSize) {
      throw new TorchError(op, `src must be a rank in 0..${this.worldSize - 1}, got ${String(src)}`);
    }
  }

  /**
   * Leaves the group and frees it; later calls throw. Destroying twice is harmless.
   *
   * @example
   * ```ts
   * group.destroy();
   * ```
   */
  destroy(): void {
    const group = this.#group;
    if (!group) return;
    this.#group = null;
    if (active?.deref() === this) active = null;
    groups.unregister(this);
    native.tf_dist_free(group);
  }

  /** Lets `using group = initProcessGroup()` leave the group at the end of the block. */
  [Symbol.dispose](): void {
    this.destroy();
  }
}

/**
 * Joins a process group, as `torch.distributed.init_process_group("gloo")`:
 * rank 0 serves a TCP store at `masterAddr:masterPort`, every rank connects,
 * and the call returns when all `worldSize` ranks are there (or throws a
 * `TorchError` after `timeout` ms). Options left out come from `RANK`,
 * `WORLD_SIZE`, `MASTER_ADDR` and `MASTER_PORT`, as `torchffi run` sets them.
 *
 * @example
 * ```ts
 * import { initProcessGroup } from "../../mod.ts";
 * using group = initProcessGroup({ timeout: 60_000 });
 * console.log(`rank ${group.rank} of ${group.worldSize}`);
 * ```
 */
export function initProcessGroup(options: ProcessGroupOptions = {}): ProcessGroup {
  const { rank, worldSize, masterAddr, masterPort, timeout, checkCollectives } = resolveRendezvous(options);
  const current = active?.deref();
  if (current?.alive) {
    throw new TorchError(
      "initProcessGroup",
      `this process is already rank ${current.rank} of a group of ${current.worldSize}: destroy() it before joining another`,
    );
  }
  const address = encoder.encode(masterAddr + "\0");
  const group = native.tf_dist_init(address, masterPort, rank, worldSize, timeout, checkCollectives ? 1 : 0);
  if (!group) throw lastError("initProcessGroup");
  const joined = new ProcessGroup(group, rank, worldSize);
  active = new WeakRef(joined);
  return joined;
}
