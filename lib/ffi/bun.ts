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
import { type Handle, type NativeLibrary, type NativeSymbols, type NativeType, symbols } from "./symbols.ts";

type BunType = "ptr" | "i32" | "i64" | "f64" | "void";

interface BunFfi {
  dlopen(path: string, symbols: Record<string, { args: BunType[]; returns: BunType }>): { symbols: unknown };
  toArrayBuffer(pointer: number, byteOffset: number, byteLength: number): ArrayBuffer;
}

const bunTypes: Record<NativeType, BunType> = {
  tensor: "ptr",
  store: "ptr",
  group: "ptr",
  module: "ptr",
  job: "ptr",
  buffer: "ptr",
  pointer: "ptr",
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
    view(pointer, byteLength) {
      return ffi.toArrayBuffer(pointer as unknown as number, 0, byteLength);
    },
    outputList(capacity) {
      return new Int32Array(capacity * 2);
    },
    readHandles(list, count) {
      const words = new Int32Array(list.buffer, list.byteOffset, count * 2);
      return Array.from({ length: count }, (_, i) => ((words[2 * i] >>> 0) + words[2 * i + 1] * 4294967296 || null) as unknown as Handle);
    },
    // bun:ffi has no nonblocking calls: the job runs on a C++ thread of its
    // own, and the event loop polls it between timers (one cheap call a millisecond).
    runJob(job) {
      if (bound.tf_job_start(job) !== 0) {
        // No thread to be had: run it here rather than lose the call.
        bound.tf_job_run(job);
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const poll = () => (bound.tf_job_done(job) === 0 ? setTimeout(poll, 1) : resolve());
        poll();
      });
    },
  };
}
