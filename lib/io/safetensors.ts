/**
 * The safetensors file format: an 8-byte little-endian header length, a JSON
 * header naming each tensor's dtype, shape and byte range, then the raw
 * little-endian data. Python users read these files with `safetensors` (or
 * with a few lines of `json` + `torch.frombuffer`).
 *
 * @module
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import process from "node:process";
import { BYTES_PER_ELEMENT, type DType } from "../dtype.ts";
import { TorchError } from "../errors.ts";

const TO_FILE_DTYPE: Record<DType, string> = {
  float32: "F32",
  float64: "F64",
  int64: "I64",
  int32: "I32",
  uint8: "U8",
  bool: "BOOL",
};
const FROM_FILE_DTYPE: Record<string, DType> = Object.fromEntries(
  Object.entries(TO_FILE_DTYPE).map(([dtype, name]) => [name, dtype as DType]),
);

/** One tensor's raw data, as written to or read from a file. */
export interface RawTensor {
  dtype: DType;
  shape: number[];
  /** Row-major little-endian bytes; exactly numel * element size of them. */
  bytes: Uint8Array;
}

/**
 * Writes tensors to `path` in the safetensors format, atomically: the file is
 * written beside the target and renamed over it, so a crash mid-save leaves
 * the previous file intact.
 *
 * @example
 * ```ts
 * writeSafetensors("w.safetensors", new Map([["0", { dtype: "float32", shape: [2], bytes: new Uint8Array(8) }]]));
 * ```
 */
export function writeSafetensors(path: string, tensors: Map<string, RawTensor>, metadata: Record<string, string> = {}, op = "save"): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: TO_FILE_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  // The format pads the header with spaces so the data starts 8-byte aligned.
  json += " ".repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);

  const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
  let fd = -1;
  try {
    fd = openSync(temporary, "w");
    writeAll(fd, prefix);
    writeAll(fd, headerBytes);
    for (const t of tensors.values()) writeAll(fd, t.bytes);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(temporary, path);
  } catch (error) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(temporary);
    } catch {
      // Nothing was left behind.
    }
    throw new TorchError(op, `cannot write ${path}: ${(error as Error).message}`);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
}

/**
 * Reads and fully checks a safetensors file: header length and JSON, each
 * entry's dtype, shape, and byte range against the file. Throws a `TorchError`
 * (named `op`) stating the problem; never returns a partly valid result.
 *
 * @example
 * ```ts
 * const { tensors } = readSafetensors("w.safetensors");
 * console.log([...tensors.keys()]);
 * ```
 */
export function readSafetensors(path: string, op = "load"): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  const fail = (why: string): never => {
    throw new TorchError(op, `${path}: ${why}`);
  };
  let file: Uint8Array;
  try {
    file = readFileSync(path);
  } catch (error) {
    return fail(`cannot read the file (${(error as Error).message})`);
  }
  if (file.length < 8) fail("too short to be a safetensors file");
  const headerLength = Number(new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > file.length - 8) fail(`the header claims ${headerLength} bytes but the file has ${file.length - 8} after the length`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(file.subarray(8, 8 + headerLength)));
  } catch {
    return fail("the header is not valid JSON");
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) fail("the header is not a JSON object");
  const dataStart = 8 + headerLength;
  const dataLength = file.length - dataStart;
  const tensors = new Map<string, RawTensor>();
  let metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype: fileDtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    const dtype = FROM_FILE_DTYPE[String(fileDtype)];
    if (!dtype) fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(fileDtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${name}" has a bad shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor "${name}" has bad data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = (shape as number[]).reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[dtype];
    if (end - begin !== expected) fail(`tensor "${name}" needs ${expected} bytes for shape [${shape}] but its range holds ${end - begin}`);
    if (end > dataLength) fail(`tensor "${name}" ends at byte ${end} but the data section has ${dataLength} (truncated file?)`);
    ranges.push([begin, end, name]);
    tensors.set(name, { dtype, shape: shape as number[], bytes: file.subarray(dataStart + begin, dataStart + end) });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let cursor = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== cursor) fail(`tensor "${name}" starts at byte ${begin}, expected ${cursor} (overlapping or gapped data)`);
    cursor = end;
  }
  if (cursor !== dataLength) fail(`the data section has ${dataLength} bytes but the tensors cover ${cursor}`);
  return { tensors, metadata };
}
