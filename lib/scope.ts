/**
 * Who frees native memory: scopes (`tidy`), explicit `dispose()`, and a
 * finalizer backstop for what escapes both. The garbage collector cannot see
 * native memory, so a loop that relies on it alone grows without bound.
 *
 * @module
 */
import { TorchError } from "./errors.ts";
import { native, nativeLibrary } from "./ffi/library.ts";
import type { Handle } from "./ffi/symbols.ts";
import { leakMark, unscopedTensorsPassed } from "./leaks.ts";

// Open tidy() scopes, innermost last; each lists what was created inside it.
const scopes: NativeResource[][] = [];

// How many resources the backstop watches: those alive outside every scope
// (the leak guard's measure).
let unscoped = 0;

// The backstop for resources that live outside every scope. Module-level, so
// it lives as long as the library does.
const finalizers = new FinalizationRegistry<NonNullable<Handle>>((handle) => {
  unscoped--;
  native.tf_free(handle);
});

/**
 * Something that owns one native handle: the base of `Tensor`. Created inside
 * `tidy()` it belongs to that scope; created outside, the finalizer backstop
 * watches it until `dispose()`.
 *
 * @example
 * ```ts
 * const t = zeros([3]);          // a Tensor is a NativeResource
 * console.log(t.isDisposed);     // false
 * t.dispose();
 * ```
 */
export abstract class NativeResource {
  // Fields are assigned in the constructor rather than declared with
  // initializers: one tensor is made per op, and this is measurably cheaper.
  /** @internal The native handle; null once freed. */
  declare _handle: Handle;
  /** @internal Set by `keep()`: survives every enclosing scope. */
  declare _kept: boolean;
  /** @internal The finalizer backstop: 0 not watched, 1 waiting in the nursery, 2 registered. */
  declare _watch: 0 | 1 | 2;
  /** @internal Owned by a container (a `Memory`): only the owner frees it. */
  declare _owned: boolean;
  /** @internal A resource this one owns and frees with itself (a tensor's gradient); see `setDependent`. */
  declare _dependent: NativeResource | null;

  /** Takes ownership of `handle` and enters the innermost open scope. */
  protected constructor(handle: NonNullable<Handle>) {
    this._handle = handle;
    this._kept = false;
    this._watch = 0;
    this._owned = false;
    this._dependent = null;
    const depth = scopes.length;
    if (depth > 0) scopes[depth - 1].push(this);
    else watch(this);
  }

  /** Whether `dispose()` (or the end of its scope) has freed this object. */
  get isDisposed(): boolean {
    return !this._handle;
  }

  /**
   * Frees the native memory now. Later use throws; disposing twice is harmless.
   * Tensors owned by a `Memory` (from `mem.get`) are freed with the Memory, so
   * their `dispose()` does nothing.
   *
   * @example
   * ```ts
   * const t = zeros([1000, 1000]);
   * t.dispose();
   * ```
   */
  dispose(): void {
    if (!this._owned) this._release();
  }

  /** @internal Frees the handle now, whoever owns it. */
  _release(): void {
    const handle = this._handle;
    if (!handle) return;
    this._handle = null;
    if (this._watch === 2) {
      finalizers.unregister(this);
      unscoped--;
    }
    this._watch = 0;
    native.tf_free(handle);
    if (this._dependent !== null) setDependent(this, null);
  }

  /** Lets `using t = ...` free the object at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

// Registering with the FinalizationRegistry costs more than the op that made
// the tensor, and most tensors made outside a scope are disposed at once. So
// they wait in a nursery until the current job ends (finalizers cannot run
// before that anyway) and only the ones still alive are registered.
const nursery: NativeResource[] = [];
const NURSERY_LIMIT = 4096;
let nurseryFlushQueued = false;

function flushNursery(): void {
  nurseryFlushQueued = false;
  for (let i = 0; i < nursery.length; i++) {
    const resource = nursery[i];
    if (resource._watch === 1 && resource._handle) {
      resource._watch = 2;
      finalizers.register(resource, resource._handle, resource);
      unscoped++;
    }
  }
  nursery.length = 0;
  // Checked once per batch, not per tensor: a leaking loop fills the nursery
  // thousands of times over, so it cannot pass unnoticed.
  if (unscoped >= leakMark) unscopedTensorsPassed(unscoped);
}

function watch(resource: NativeResource): void {
  if (resource._watch !== 0 || !resource._handle) return;
  resource._watch = 1;
  nursery.push(resource);
  if (nursery.length >= NURSERY_LIMIT) flushNursery();
  else if (!nurseryFlushQueued) {
    nurseryFlushQueued = true;
    queueMicrotask(flushNursery);
  }
}

function moveToEnclosingScope(resource: NativeResource): void {
  const depth = scopes.length;
  if (depth > 0) scopes[depth - 1].push(resource);
  else watch(resource);
}

// Everything a tidy() function returned that must outlive the scope: a
// resource, or resources inside arrays and plain objects.
function collectResults(value: unknown, into: Set<NativeResource>, depth: number): void {
  if (value instanceof NativeResource) {
    into.add(value);
  } else if (depth < 8 && value !== null && typeof value === "object") {
    const items = Array.isArray(value) ? value : Object.values(value);
    for (const item of items) collectResults(item, into, depth + 1);
  }
}

const pendingFrees: Handle[] = [];

function closeScope(scope: NativeResource[], result: unknown): void {
  let results: Set<NativeResource> | null = null;
  if (result !== null && typeof result === "object" && !(result instanceof NativeResource)) {
    results = new Set();
    collectResults(result, results, 0);
  }
  let count = 0;
  for (let i = 0; i < scope.length; i++) {
    const resource = scope[i];
    const handle = resource._handle;
    if (!handle) continue;
    if (resource._kept) watch(resource);
    else if (resource === result || (results !== null && results.has(resource))) moveToEnclosingScope(resource);
    else {
      resource._handle = null;
      pendingFrees[count++] = handle;
      if (resource._dependent !== null) setDependent(resource, null);
    }
  }
  if (count > 0) {
    nativeLibrary.freeMany(pendingFrees, count);
    pendingFrees.fill(null, 0, count);
  }
}

/**
 * Runs `fn` and then frees every tensor created inside it, except what it
 * returns (a tensor, or tensors in an array or object) and what it `keep()`s.
 * Returned tensors belong to the enclosing scope. `fn` must be synchronous.
 *
 * @example
 * ```ts
 * import { tensor, tidy } from "../mod.ts";
 * const x = tensor([1, 2, 3]);
 * const y = tidy(() => x.mul(2).add(1).relu()); // the intermediates are freed
 * console.log(y.toArray()); // [3, 5, 7]
 * ```
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== "function") throw new TorchError("tidy", `expected a function, got ${fn === null ? "null" : typeof fn}`);
  const scope: NativeResource[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    closeScope(scope, undefined);
    throw error;
  }
  scopes.pop();
  if (result !== null && typeof result === "object" && typeof (result as { then?: unknown }).then === "function") {
    closeScope(scope, undefined);
    // The refused promise will likely reject (its tensors are gone); that must
    // not surface later as an unhandled rejection that ends the process.
    (result as unknown as PromiseLike<unknown>).then(undefined, () => {});
    throw new TorchError("tidy", "the function returned a Promise; tidy() only works with synchronous functions");
  }
  closeScope(scope, result);
  return result;
}

/**
 * @internal Makes `dependent` (or nothing) the one resource `owner` owns,
 * releasing the previous one: it is freed when replaced, when `owner` is freed
 * (by `dispose()` or its scope), and its own `dispose()` does nothing. It is
 * watched by the backstop like any unscoped resource, so it is collected with
 * an owner that escapes.
 */
export function setDependent(owner: NativeResource, dependent: NativeResource | null): void {
  const previous = owner._dependent;
  owner._dependent = dependent;
  if (previous !== null && previous !== dependent) previous._release();
  if (dependent !== null) adopt(dependent);
}

/**
 * @internal Hands `resource` to a long-lived owner (a `Memory`): no scope
 * frees it and its own `dispose()` does nothing; the owner calls `_release()`.
 */
export function adopt<T extends NativeResource>(resource: T): T {
  resource._kept = true;
  resource._owned = true;
  return resource;
}

/**
 * Marks a tensor created inside `tidy()` to survive every enclosing scope;
 * it is then yours to `dispose()`. Returns the same tensor.
 *
 * @example
 * ```ts
 * import { keep, tensor, tidy } from "../mod.ts";
 * const x = tensor([1, 2, 3]);
 * let mean;
 * tidy(() => {
 *   mean = keep(x.mean());   // survives the scope
 *   x.sub(mean).pow(2);      // freed at the end of the scope
 * });
 * mean.dispose();
 * ```
 */
export function keep<T extends NativeResource>(resource: T): T {
  if (!(resource instanceof NativeResource)) throw new TorchError("keep", "expected a Tensor");
  resource._kept = true;
  return resource;
}

/**
 * @internal How many resources are alive outside every scope (what the leak
 * guard counts), as of the last hand-over to the finalizer backstop.
 *
 * @example
 * ```ts
 * const before = unscopedTensors();
 * ```
 */
export function unscopedTensors(): number {
  return unscoped;
}

/**
 * How many native tensor handles are alive in this process right now (counted
 * in C). Compare it before and after a loop to prove the loop frees what it makes.
 *
 * @example
 * ```ts
 * import { liveTensors, tidy, ones } from "../mod.ts";
 * const before = liveTensors();
 * tidy(() => { ones([3]).add(1); });
 * console.log(liveTensors() === before); // true
 * ```
 */
export function liveTensors(): number {
  return Number(native.tf_live_tensors());
}
