/**
 * The Deno adapter: opens the shim with `Deno.dlopen`. Handles are Deno pointer
 * objects; `null` is a NULL pointer. It reaches `Deno` through `globalThis`
 * with the few types it needs declared here, so that the module loads (and
 * type-checks) on any runtime and is only called on Deno.
 *
 * @module
 */
import { type Handle, type JobHandle, type NativeLibrary, type NativeSymbols, type NativeType, symbols } from "./symbols.ts";

type DenoType = "pointer" | "buffer" | "i32" | "i64" | "f64" | "void";

interface DenoFfi {
  dlopen(path: string, symbols: Record<string, { parameters: DenoType[]; result: DenoType; nonblocking?: boolean }>): { symbols: unknown };
  UnsafePointer: { value(pointer: unknown): number | bigint; create(value: bigint): unknown };
  UnsafePointerView: { getArrayBuffer(pointer: unknown, byteLength: number): ArrayBuffer };
}

const denoTypes: Record<NativeType, DenoType> = {
  tensor: "pointer",
  store: "pointer",
  group: "pointer",
  module: "pointer",
  job: "pointer",
  buffer: "buffer",
  pointer: "pointer",
  i32: "i32",
  i64: "i64",
  f64: "f64",
  void: "void",
};

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
  const deno = (globalThis as unknown as { Deno: DenoFfi }).Deno;
  const table = Object.fromEntries(
    Object.entries(symbols).map(([name, spec]) => [name, {
      parameters: spec.args.map((type) => denoTypes[type]),
      result: denoTypes[spec.returns],
      // Deno runs these on a thread of its own and returns a Promise.
      ...("nonblocking" in spec ? { nonblocking: true } : {}),
    }]),
  );
  const bound = deno.dlopen(path, table).symbols as NativeSymbols;
  const free = bound.tf_free;
  return {
    symbols: bound,
    // A pointer object's address is a BigInt in Deno; one call per handle is
    // cheaper than building that BigInt, so Deno frees one at a time.
    freeMany(handles, count) {
      for (let i = 0; i < count; i++) free(handles[i]);
    },
    handleList(handles) {
      const list = new BigUint64Array(handles.length);
      for (let i = 0; i < handles.length; i++) list[i] = BigInt(deno.UnsafePointer.value(handles[i]));
      return list;
    },
    view(pointer, byteLength) {
      return deno.UnsafePointerView.getArrayBuffer(pointer, byteLength);
    },
    outputList(capacity) {
      return new BigUint64Array(capacity);
    },
    readHandles(list, count) {
      const words = new BigUint64Array(list.buffer, list.byteOffset, count);
      return Array.from({ length: count }, (_, i) => deno.UnsafePointer.create(words[i]) as Handle);
    },
    async runJob(job) {
      await (bound.tf_job_run as unknown as (job: JobHandle) => Promise<number>)(job);
    },
  };
}
