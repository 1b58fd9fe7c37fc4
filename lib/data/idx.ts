/**
 * MNIST's IDX file format, in full: two zero bytes, a type byte, a dimension
 * count, big-endian uint32 sizes, then big-endian data. Files may be gzipped.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { tensor } from "../creation.ts";
import { TorchError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";

/**
 * The element types an IDX file can hold, named after their JavaScript arrays.
 *
 * @example
 * ```ts
 * const type: IdxType = readIdx("train-labels-idx1-ubyte").type; // "uint8"
 * ```
 */
export type IdxType = "uint8" | "int8" | "int16" | "int32" | "float32" | "float64";

const TYPES: Record<number, { type: IdxType; bytes: number }> = {
  0x08: { type: "uint8", bytes: 1 },
  0x09: { type: "int8", bytes: 1 },
  0x0b: { type: "int16", bytes: 2 },
  0x0c: { type: "int32", bytes: 4 },
  0x0d: { type: "float32", bytes: 4 },
  0x0e: { type: "float64", bytes: 8 },
};

/**
 * The contents of an IDX file, in native byte order.
 *
 * @example
 * ```ts
 * const { type, shape, data }: IdxArray = readIdx("t10k-images-idx3-ubyte");
 * console.log(type, shape, data.length); // "uint8" [10000, 28, 28] 7840000
 * ```
 */
export interface IdxArray {
  /** The element type the file declares. */
  type: IdxType;
  /** The dimensions the file declares, outermost first. */
  shape: number[];
  /** Every element in row-major order, in the typed array that matches `type`. */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/**
 * Reads an IDX file (plain, or gzip-compressed: detected by its magic bytes),
 * checking the magic, the type byte and that the sizes match the file length.
 *
 * @example
 * ```ts
 * const labels = readIdx("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
 * console.log(labels.type, labels.shape); // "uint8" [10000]
 * ```
 */
export function readIdx(path: string): IdxArray {
  const fail = (why: string): never => {
    throw new TorchError("readIdx", `${path}: ${why}`);
  };
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return fail(`cannot read the file (${(error as Error).message})`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      return fail(`cannot decompress it (${(error as Error).message})`);
    }
  }
  return parseIdx(bytes, fail);
}

/**
 * Parses IDX bytes already in memory; `fail` turns a problem into an error.
 *
 * @example
 * ```ts
 * const array = parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]), (why) => { throw new Error(why); });
 * ```
 */
export function parseIdx(bytes: Uint8Array, fail: (why: string) => never): IdxArray {
  if (bytes.length < 4) fail(`too short for an IDX header (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail("not an IDX file (the magic number must start with two zero bytes)");
  const kind = TYPES[bytes[2]] ?? fail(`unknown IDX type byte 0x${bytes[2].toString(16).padStart(2, "0")}`);
  const ndim = bytes[3];
  const headerLength = 4 + 4 * ndim;
  if (bytes.length < headerLength) fail(`truncated header: ${ndim} dims need ${headerLength} bytes, the file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerLength + count * kind.bytes;
  if (bytes.length !== expected) {
    fail(`shape [${shape.join(", ")}] of ${kind.type} needs ${expected} bytes but the file has ${bytes.length}` +
      (bytes.length < expected ? " (truncated?)" : ""));
  }
  const body = bytes.subarray(headerLength);
  let data: IdxArray["data"];
  switch (kind.type) {
    // A copy, not a view: readFileSync may hand out a slice of a shared pool.
    case "uint8": data = new Uint8Array(body); break;
    case "int8": data = new Int8Array(body.buffer, body.byteOffset, body.length).slice(); break;
    case "int16": data = Int16Array.from({ length: count }, (_, i) => view.getInt16(headerLength + 2 * i, false)); break;
    case "int32": data = Int32Array.from({ length: count }, (_, i) => view.getInt32(headerLength + 4 * i, false)); break;
    case "float32": data = Float32Array.from({ length: count }, (_, i) => view.getFloat32(headerLength + 4 * i, false)); break;
    default: data = Float64Array.from({ length: count }, (_, i) => view.getFloat64(headerLength + 8 * i, false));
  }
  return { type: kind.type, shape, data };
}

/**
 * An IDX file as a tensor of its shape: uint8 stays uint8, int8 and int16
 * widen to int32, int32/float32/float64 keep their type.
 *
 * @example
 * ```ts
 * const images = readIdxTensor("train-images-idx3-ubyte.gz"); // uint8 [60000, 28, 28]
 * ```
 */
export function readIdxTensor(path: string): Tensor {
  const { type, shape, data } = readIdx(path);
  switch (type) {
    case "int8":
    case "int16":
      return tensor(Int32Array.from(data), shape);
    default:
      return tensor(data as Uint8Array | Int32Array | Float32Array | Float64Array, shape);
  }
}
