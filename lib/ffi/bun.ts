/**
 * The Bun adapter: opens the shim with `bun:ffi`. Handles are plain numbers
 * (addresses); `null` is a NULL pointer.
 *
 * @module
 */
import { dlopen, FFIType } from "bun:ffi";
import { type NativeLibrary, type NativeSymbols, type NativeType, symbols } from "./symbols.ts";

const bunTypes: Record<NativeType, FFIType> = {
  tensor: FFIType.ptr,
  store: FFIType.ptr,
  buffer: FFIType.ptr,
  i32: FFIType.i32,
  i64: FFIType.i64,
  f64: FFIType.f64,
  void: FFIType.void,
};

// Addresses fit in 53 bits, so they are written as two 32-bit halves without BigInt.
function packAddresses(handles: readonly unknown[], count: number, words: Int32Array): void {
  for (let i = 0; i < count; i++) {
    const address = (handles[i] as number | null) ?? 0;
    words[2 * i] = address >>> 0;
    words[2 * i + 1] = Math.floor(address / 4294967296);
  }
}

/**
 * Opens the library at `path` and binds every function of the symbol table.
 *
 * @example
 * ```ts
 * const native = openLibrary("build/libtorchffi.so");
 * console.log(native.symbols.tf_live_tensors());
 * ```
 */
export function openLibrary(path: string): NativeLibrary {
  const table = Object.fromEntries(
    Object.entries(symbols).map(([name, spec]) => [name, {
      args: spec.args.map((type) => bunTypes[type]),
      returns: bunTypes[spec.returns],
    }]),
  );
  const opened = dlopen(path, table);
  const bound = opened.symbols as unknown as NativeSymbols;
  let scratch = new Int32Array(512);
  return {
    symbols: bound,
    freeMany(handles, count) {
      if (count * 2 > scratch.length) scratch = new Int32Array(count * 4);
      packAddresses(handles, count, scratch);
      bound.tf_free_many(scratch, count);
    },
    handleList(handles) {
      const words = new Int32Array(handles.length * 2);
      packAddresses(handles, handles.length, words);
      return words;
    },
  };
}
