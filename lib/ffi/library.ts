/**
 * Finds and opens `libtorchffi.so` once, for whichever runtime is running, and
 * turns C failures into `TorchError`s. The rest of `lib/` imports `native` from
 * here and never learns which runtime it is on.
 *
 * @module
 */
import process from "node:process";
import { TorchError } from "../errors.ts";
import { openLibrary as openWithBun } from "./bun.ts";
import { openLibrary as openWithDeno } from "./deno.ts";
import { LIBRARY_FILE, type LibraryPlace, locateLibrary, quietError, setupCommand } from "./locate.ts";
import type { Handle, NativeLibrary, NativeSymbols } from "./symbols.ts";

// Both adapters load everywhere; only the running runtime's is called.
const openLibrary = "Deno" in globalThis ? openWithDeno : openWithBun;

const location: LibraryPlace = locateLibrary();

function open({ path, where }: LibraryPlace): NativeLibrary {
  try {
    return openLibrary(path);
  } catch (error) {
    // A library from another torchffi version lacks symbols of this table;
    // a broken LibTorch install fails to load its dependencies. Either way the
    // fix is the same rebuild.
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw quietError(
      `torchffi: cannot open ${LIBRARY_FILE} found in ${where} (${path}): ${reason}; ` +
        `rebuild it for this version with \`${setupCommand()}\``,
    );
  }
}

/**
 * The opened library with every C function bound, found in the order
 * `locate.ts` documents.
 *
 * @example
 * ```ts
 * import { nativeLibrary } from "./library.ts";
 * nativeLibrary.freeMany([], 0);
 * ```
 */
export const nativeLibrary: NativeLibrary = open(location);

/**
 * Which `libtorchffi` this process loaded, and which step of the search order
 * found it (see `locate.ts`): the first thing to check when a build seems stale.
 *
 * @example
 * ```ts
 * import { nativeLibraryLocation } from "../../mod.ts";
 * console.log(nativeLibraryLocation()); // { where: "the per-user cache", path: "/home/me/.cache/torchffi/0.2.0/libtorchffi.so" }
 * ```
 */
export function nativeLibraryLocation(): LibraryPlace {
  return { ...location };
}

/**
 * The bound C functions (`tf_*`), typed from the symbol table.
 *
 * @example
 * ```ts
 * import { native } from "./library.ts";
 * console.log(Number(native.tf_live_tensors()));
 * ```
 */
export const native: NativeSymbols = nativeLibrary.symbols;

// LibTorch frees and reallocates the same large buffers every step; glibc's
// defaults unmap each one and fault it back in, which costs a CNN training
// step about a quarter of its time. Keep blocks up to 32 MiB for reuse (the
// most glibc allows) unless TORCHFFI_MALLOC=default asks to leave malloc alone.
if (process.env.TORCHFFI_MALLOC !== "default") native.tf_tune_allocator(32 << 20, 512 << 20);

const messageBytes = new Uint8Array(4096);
const decoder = new TextDecoder();

// LibTorch's warnings wait in a queue on the C side (per thread, like errors)
// instead of reaching stderr as glog lines. The count waiting is read straight
// from the library's memory, so checking after every op costs no call into C.
const waitingPointer = native.tf_warnings_init();
const reportedWarnings = new Set<string>();

/**
 * How many LibTorch warnings wait to be reported on this thread: element 0,
 * kept up to date by the library. Check it after a call and, when it is not 0,
 * call `reportWarnings`.
 *
 * @example
 * ```ts
 * if (waitingWarnings[0] !== 0) reportWarnings("mse");
 * ```
 */
export const waitingWarnings: Int32Array = waitingPointer ? new Int32Array(nativeLibrary.view(waitingPointer, 4)) : new Int32Array(1);

/**
 * Reports the LibTorch warnings waiting on this thread through `console.warn`,
 * each distinct message once per thread, as raised by `op`.
 *
 * @example
 * ```ts
 * reportWarnings("grad"); // torchffi: LibTorch warning in grad: The .grad attribute of a Tensor that is not a leaf ...
 * ```
 */
export function reportWarnings(op: string): void {
  for (;;) {
    const length = native.tf_take_warning(messageBytes, messageBytes.length);
    if (length < 0) return;
    const message = decoder.decode(messageBytes.subarray(0, Math.min(length, messageBytes.length - 1))).trim();
    if (reportedWarnings.has(message)) continue;
    reportedWarnings.add(message);
    console.warn(`torchffi: LibTorch warning in ${op}: ${message}`);
  }
}

/**
 * The error for the failure the C side just reported on this thread, named
 * after the operation that failed.
 *
 * @example
 * ```ts
 * if (native.tf_manual_seed(1) !== 0) throw lastError("manualSeed");
 * ```
 */
export function lastError(op: string): TorchError {
  if (waitingWarnings[0] !== 0) reportWarnings(op);
  const length = native.tf_last_error(messageBytes, messageBytes.length);
  const end = Math.min(length, messageBytes.length - 1);
  const detail = decoder.decode(messageBytes.subarray(0, end)).trim();
  return new TorchError(op, detail || "LibTorch reported a failure without a message");
}

/**
 * Returns `handle`, or throws the C side's error when the call returned NULL.
 *
 * @example
 * ```ts
 * const h = checkHandle(native.tf_relu(x), "relu");
 * ```
 */
export function checkHandle(handle: Handle, op: string): NonNullable<Handle> {
  if (!handle) throw lastError(op);
  if (waitingWarnings[0] !== 0) reportWarnings(op);
  return handle;
}

/**
 * Throws the C side's error when a status-returning call did not return 0.
 *
 * @example
 * ```ts
 * checkStatus(native.tf_manual_seed(42), "manualSeed");
 * ```
 */
export function checkStatus(status: number, op: string): void {
  if (status !== 0) throw lastError(op);
  if (waitingWarnings[0] !== 0) reportWarnings(op);
}
