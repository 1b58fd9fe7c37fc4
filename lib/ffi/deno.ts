/**
 * The Deno adapter: opens the shim with `Deno.dlopen`. Handles are Deno pointer
 * objects; `null` is a NULL pointer.
 *
 * @module
 */
import { type NativeLibrary, type NativeSymbols, type NativeType, symbols } from "./symbols.ts";

const denoTypes: Record<NativeType, Deno.NativeResultType> = {
  tensor: "pointer",
  store: "pointer",
  buffer: "buffer",
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
  const table = Object.fromEntries(
    Object.entries(symbols).map(([name, spec]) => [name, {
      parameters: spec.args.map((type) => denoTypes[type]) as Deno.NativeType[],
      result: denoTypes[spec.returns],
    }]),
  );
  const opened = Deno.dlopen(path, table);
  const bound = opened.symbols as unknown as NativeSymbols;
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
      for (let i = 0; i < handles.length; i++) {
        list[i] = BigInt(Deno.UnsafePointer.value(handles[i] as Deno.PointerValue));
      }
      return list;
    },
  };
}
