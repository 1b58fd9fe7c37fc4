/**
 * Renders tensors the way PyTorch prints them: `tensor([[1., 2.], [3., 4.]])`,
 * four decimals, scientific notation when magnitudes call for it, and `...`
 * summaries past 1000 elements.
 *
 * @module
 */
import type { DType } from "./dtype.ts";

/**
 * A number, a boolean, or arrays of them nested as deep as the tensor's dims.
 *
 * @example
 * ```ts
 * const rows: NestedArray = tensor([[1, 2], [3, 4]]).toArray(); // [[1, 2], [3, 4]]
 * ```
 */
export type NestedArray = number | boolean | NestedArray[];

const SUMMARY_THRESHOLD = 1000;
const EDGE_ITEMS = 3;

// PyTorch omits the dtype when printing its defaults; float32 is ours.
const IMPLIED_DTYPES: readonly DType[] = ["float32", "int64", "bool"];

function floatFormatter(values: number[]): (v: number) => string {
  const finite = values.filter((v) => Number.isFinite(v));
  const nonZero = finite.map(Math.abs).filter((v) => v > 0);
  const allIntegral = finite.every((v) => Number.isInteger(v));
  const max = nonZero.length ? Math.max(...nonZero) : 0;
  const min = nonZero.length ? Math.min(...nonZero) : 0;
  const scientific = nonZero.length > 0 && (max / min > 1000 || max > 1e8 || min < 1e-4);
  let finiteFormat: (v: number) => string;
  if (allIntegral && !scientific) finiteFormat = (v) => `${v.toFixed(0)}.`;
  else if (scientific) finiteFormat = (v) => v.toExponential(4).replace(/e([+-])(\d)$/, "e$10$2");
  else finiteFormat = (v) => v.toFixed(4);
  // toFixed drops the sign of -0; PyTorch keeps it.
  return (v) => (!Number.isFinite(v) ? special(v) : Object.is(v, -0) ? `-${finiteFormat(0)}` : finiteFormat(v));
}

function special(v: number): string {
  return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
}

/**
 * Formats flat row-major values of the given shape and dtype.
 *
 * @example
 * ```ts
 * formatTensor([1, 2.5], [2], "float32"); // "tensor([1.0000, 2.5000])"
 * ```
 */
export function formatTensor(values: number[] | boolean[], shape: readonly number[], dtype: DType): string {
  const summarize = values.length > SUMMARY_THRESHOLD;
  const shown = summarize ? shownValues(values, shape) : values;
  let format: (v: number | boolean) => string;
  if (dtype === "bool") format = (v) => (v ? "True" : "False");
  else if (dtype === "float32" || dtype === "float64") {
    const f = floatFormatter(shown as number[]);
    format = (v) => f(v as number);
  } else format = (v) => String(v);
  // Like PyTorch, nan and inf do not widen the columns of finite floats.
  const sized = (shown as (number | boolean)[]).filter((v) => typeof v !== "number" || Number.isFinite(v) || dtype !== "float32" && dtype !== "float64");
  const width = Math.max(0, ...(sized.length ? sized : shown as (number | boolean)[]).map((v) => format(v).length));
  const cell = (v: number | boolean) => format(v).padStart(width);
  const indent = "tensor(".length;
  const empty = values.length === 0 && shape.length > 0;
  const body = empty ? "[]" : render(values, shape, 0, 0, cell, indent + 1, summarize);
  const suffix: string[] = [];
  if (empty && shape.length > 1) suffix.push(`size=(${shape.join(", ")})`);
  if (!IMPLIED_DTYPES.includes(dtype) || (empty && dtype !== "float32")) suffix.push(`dtype=${dtype}`);
  return `tensor(${body}${suffix.length ? ", " + suffix.join(", ") : ""})`;
}

function render(
  values: number[] | boolean[],
  shape: readonly number[],
  axis: number,
  offset: number,
  cell: (v: number | boolean) => string,
  indent: number,
  summarize: boolean,
): string {
  if (axis === shape.length) return cell(values[offset]);
  const size = shape[axis];
  let stride = 1;
  for (let i = axis + 1; i < shape.length; i++) stride *= shape[i];
  const parts: string[] = [];
  const skip = summarize && size > 2 * EDGE_ITEMS;
  for (let i = 0; i < size; i++) {
    if (skip && i === EDGE_ITEMS) {
      parts.push(axis === shape.length - 1 ? " ..." : "...");
      i = size - EDGE_ITEMS - 1;
      continue;
    }
    parts.push(render(values, shape, axis + 1, offset + i * stride, cell, indent + 1, summarize));
  }
  const last = axis === shape.length - 1;
  const separator = last ? ", " : ",\n".padEnd(2 + (shape.length - axis - 2), "\n") + " ".repeat(indent);
  return `[${parts.join(separator)}]`;
}

// The values a summary shows, so that column widths depend only on them.
function shownValues(values: number[] | boolean[], shape: readonly number[]): (number | boolean)[] {
  const out: (number | boolean)[] = [];
  const walk = (axis: number, offset: number) => {
    if (axis === shape.length) {
      out.push(values[offset]);
      return;
    }
    const size = shape[axis];
    let stride = 1;
    for (let i = axis + 1; i < shape.length; i++) stride *= shape[i];
    for (let i = 0; i < size; i++) {
      if (size > 2 * EDGE_ITEMS && i === EDGE_ITEMS) i = size - EDGE_ITEMS;
      walk(axis + 1, offset + i * stride);
    }
  };
  walk(0, 0);
  return out;
}
