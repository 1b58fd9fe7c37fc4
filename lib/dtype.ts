/**
 * Element types and their integer codes in the C ABI.
 *
 * @module
 */
import { TorchError } from "./errors.ts";

/**
 * The element types torchffi supports, named as in PyTorch without `torch.`.
 *
 * @example
 * ```ts
 * import { zeros, type DType } from "../mod.ts";
 * const dtype: DType = "int64";
 * console.log(zeros([2], dtype).dtype); // "int64"
 * ```
 */
export type DType = "float32" | "float64" | "int64" | "int32" | "uint8" | "bool";

/**
 * Dtype names indexed by their C code (the order of `csrc/torchffi.h`).
 *
 * @example
 * ```ts
 * DTYPES[2]; // "int64"
 * ```
 */
export const DTYPES: readonly DType[] = ["float32", "float64", "int64", "int32", "uint8", "bool"];

const CODES: Record<string, number> = Object.fromEntries(DTYPES.map((name, code) => [name, code]));

/**
 * Bytes per element, by dtype.
 *
 * @example
 * ```ts
 * BYTES_PER_ELEMENT.float64; // 8
 * ```
 */
export const BYTES_PER_ELEMENT: Record<DType, number> = {
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
};

/**
 * The C code of `dtype`, or a clear error naming the operation when it is not a dtype.
 *
 * @example
 * ```ts
 * dtypeCode("zeros", "int64"); // 2
 * ```
 */
export function dtypeCode(op: string, dtype: DType): number {
  const code = CODES[dtype];
  if (code === undefined) {
    throw new TorchError(op, `unknown dtype ${JSON.stringify(dtype)}; expected one of ${DTYPES.join(", ")}`);
  }
  return code;
}
