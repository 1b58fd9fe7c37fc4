/**
 * The Bun adapter: opens the shim with `bun:ffi`. Handles are plain numbers
 * (addresses); `null` is a NULL pointer. `bun:ffi` is fetched synchronously
 * with `process.getBuiltinModule` when the library is opened, so that this
 * module loads on any runtime and nothing waits on a top-level `await` (which
 * makes Bun drop messages posted to a Worker while it starts).
 *
 * @module
 */
import process from "node:process";
import { type NativeLibrary, type NativeSymbols, type NativeType, symbols } from "./symbols.ts";

type BunType = "ptr" | "i32" | "i64" | "f64" | "void";

interface BunFfi {
  dlopen(path: string, symbols: Record<string, { args: BunType[]; returns: BunType }>): { symbols: unknown };
}

const bunTypes: Record<NativeType, BunType> = {
  tensor: "ptr",
  store: "ptr",
  group: "ptr",
  buffer: "ptr",
  i32: "i32",
  i64: "i64",
  f64: "f64",
  void: "void",
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
  const ffi = (process as unknown as { getBuiltinModule(id: string): BunFfi }).getBuiltinModule("bun:ffi");
  const table = Object.fromEntries(
    Object.entries(symbols).map(([name, spec]) => [name, {
      args: spec.args.map((type) => bunTypes[type]),
      returns: bunTypes[spec.returns],
    }]),
  );
  const bound = ffi.dlopen(path, table).symbols as NativeSymbols;
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
