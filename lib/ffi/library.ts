/**
 * Finds and opens `libtorchffi.so` once, for whichever runtime is running, and
 * turns C failures into `TorchError`s. The rest of `lib/` imports `native` from
 * here and never learns which runtime it is on.
 *
 * @module
 */
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { TorchError } from "../errors.ts";
import { openLibrary as openWithBun } from "./bun.ts";
import { openLibrary as openWithDeno } from "./deno.ts";
import type { Handle, NativeLibrary, NativeSymbols } from "./symbols.ts";

function libraryPath(): string {
  const fromEnv = process.env.TORCHFFI_LIB;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`TORCHFFI_LIB points to ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  const beside = fileURLToPath(new URL("../../build/libtorchffi.so", import.meta.url));
  if (!existsSync(beside)) {
    throw new Error(
      `torchffi: the native library is not built (looked for ${beside}). ` +
        "Run `bash scripts/setup.sh` in the torchffi folder to install LibTorch and build it, " +
        "or set TORCHFFI_LIB to the path of libtorchffi.so.",
    );
  }
  return beside;
}

// Both adapters load everywhere; only the running runtime's is called.
const openLibrary = "Deno" in globalThis ? openWithDeno : openWithBun;

/**
 * The opened library with every C function bound.
 *
 * @example
 * ```ts
 * import { nativeLibrary } from "./library.ts";
 * nativeLibrary.freeMany([], 0);
 * ```
 */
export const nativeLibrary: NativeLibrary = openLibrary(libraryPath());

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
}
