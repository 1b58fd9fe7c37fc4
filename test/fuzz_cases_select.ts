// The fuzz battery's cases for comparison, selection, sorting and shape ops
// (issue 11), kept out of test/fuzz_cases.ts, which is long enough. That file
// hands its input generators in and appends these cases at the end of CASES.
// As there: every input a case builds is valid; only the calls under test get
// the bad arguments.
import { type DType, type Tensor, tensor, where } from "../mod.ts";
import type { Case } from "./fuzz_cases.ts";
import { describe, type Rng, tensorProblems, type Validate } from "./fuzz_record.ts";

/** The input generators of test/fuzz_cases.ts that these cases draw on. */
export interface Generators {
  makeTensor(rng: Rng, spec?: { shape?: readonly number[]; dtype?: DType; grad?: number; transposed?: number }): Tensor;
  smallShape(rng: Rng, maxDims?: number, maxSize?: number): number[];
  partnerShape(rng: Rng, shape: readonly number[]): number[];
  wildInt(rng: Rng, lo?: number, hi?: number): number;
  wildNumber(rng: Rng): number;
  wildSize(rng: Rng): number;
}

const INDEX_DTYPES: readonly DType[] = ["int64", "int64", "int64", "int32", "float32", "bool"];
const NOT_A_TENSOR: readonly unknown[] = [null, undefined, "2", [1, 2], { shape: [1] }, true];

/** A pair result must hold two valid tensors, the second of int64 positions. */
const validPair: Validate = (r) => {
  const pair = r as { values?: unknown; indices?: unknown } | undefined;
  if (!pair || typeof pair !== "object") return [`expected { values, indices }, got ${describe(r)}`];
  const problems = [...tensorProblems(pair.values), ...tensorProblems(pair.indices)];
  if (problems.length === 0 && (pair.indices as Tensor).dtype !== "int64") problems.push(`indices of dtype ${(pair.indices as Tensor).dtype}`);
  return problems;
};

/** A list result must hold valid tensors only. */
const validList: Validate = (r) => (Array.isArray(r) ? r.flatMap((t) => tensorProblems(t)) : [`expected an array, got ${describe(r)}`]);

/** The size of dim `d` of `t` when `d` is a valid dim, else undefined. */
function dimSize(t: Tensor, d: number): number | undefined {
  const nd = t.ndim;
  return nd >= 1 && Number.isSafeInteger(d) && d >= -nd && d < nd ? t.shape[(d + nd) % nd] : undefined;
}

/** Builds the cases from the generators of test/fuzz_cases.ts. */
export function selectCases(g: Generators): [Case, number][] {
  const comparisons: Case = (rng, rec) => {
    const a = g.makeTensor(rng);
    const r = rng.float();
    const operand = (): Tensor | number =>
      rng.chance(0.05)
        ? rng.pick(NOT_A_TENSOR) as number
        : rng.chance(0.6)
        ? g.makeTensor(rng, { shape: g.partnerShape(rng, a.shape), dtype: rng.chance(0.6) ? a.dtype : undefined })
        : g.wildNumber(rng);
    if (r < 0.4) {
      const op = rng.pick(["ge", "le", "ne"] as const);
      const other = operand();
      rec.call(op, `${describe(a)}.${op}(${describe(other)})`, [op], () => a[op](other));
    } else if (r < 0.7) {
      const cond = g.makeTensor(rng, { shape: g.partnerShape(rng, a.shape), dtype: rng.chance(0.75) ? "bool" : undefined });
      const x = rng.chance(0.7) ? a : operand(), y = operand();
      rec.call("where", `where(${describe(cond)}, ${describe(x)}, ${describe(y)})`, ["where"], () => where(cond, x, y));
    } else {
      const mask = g.makeTensor(rng, { shape: g.partnerShape(rng, a.shape), dtype: rng.chance(0.75) ? "bool" : undefined });
      const value = rng.chance(0.75) ? g.wildNumber(rng) : rng.chance(0.8) ? g.makeTensor(rng, { shape: rng.pick([[], [], [1], [2]]) }) : rng.pick(NOT_A_TENSOR);
      rec.call("maskedFill", `${describe(a)}.maskedFill(${describe(mask)}, ${describe(value)})`, ["maskedFill"], () =>
        a.maskedFill(mask, value as number));
    }
  };

  const gatherScatter: Case = (rng, rec) => {
    const a = g.makeTensor(rng);
    const nd = a.ndim;
    const d = g.wildInt(rng, -nd - 1, nd);
    const indexDtype = rng.pick(INDEX_DTYPES);
    // Mostly the rank and at most the sizes gather and scatter accept; sometimes anything.
    const indexShape = rng.chance(0.7) ? a.shape.map((s) => rng.int(0, s)) : g.smallShape(rng, 4, 4);
    const values = Array.from({ length: indexShape.reduce((p, s) => p * s, 1) }, () => rng.int(-2, 6));
    const index = tensor(values.map((v) => (indexDtype === "bool" ? v & 1 : v)), indexShape, indexDtype);
    // A position outside the dim must be refused, never read or written out of bounds.
    const size = dimSize(a, d);
    const outside = indexDtype === "int64" && size !== undefined && values.some((v) => v < 0 || v >= size);
    const mustFail = outside ? /./ : undefined;
    const which = rng.int(0, 3);
    const what = (op: string, extra = "") => `${describe(a)}.${op}(${describe(d)}, ${describe(index)} ${describe(values)}${extra})`;
    if (which === 0) {
      rec.call("gather", what("gather"), ["gather"], () => a.gather(d, index), undefined, mustFail);
    } else if (which === 1 && rng.chance(0.4)) {
      const value = g.wildNumber(rng);
      rec.call("scatter", what("scatter", `, ${describe(value)}`), ["scatter"], () => a.scatter(d, index, value), undefined, mustFail);
    } else {
      const op = which === 1 ? "scatter" : "scatterAdd";
      const src = rng.chance(0.05)
        ? rng.pick(NOT_A_TENSOR) as Tensor
        : g.makeTensor(rng, { shape: rng.chance(0.7) ? indexShape : g.smallShape(rng, 4, 4), dtype: rng.chance(0.7) ? a.dtype : undefined });
      rec.call(op, what(op, `, ${describe(src)}`), [op], () => a[op](d, index, src), undefined, mustFail);
    }
  };

  const ordering: Case = (rng, rec) => {
    const a = g.makeTensor(rng);
    const nd = a.ndim;
    const d = g.wildInt(rng, -nd - 1, nd);
    const flag = () => (rng.chance(0.9) ? rng.chance(0.5) : rng.pick<unknown>([0, 1, "yes", null])) as boolean;
    const which = rng.int(0, 5);
    if (which === 0) {
      const k = g.wildInt(rng, -1, 6);
      const options = rng.chance(0.05) ? rng.pick<unknown>([null, 3]) as object : { dim: d, largest: flag(), sorted: flag() };
      // More entries than the dim has (or fewer than none) can never be chosen.
      const size = dimSize(a, typeof options === "object" && options !== null ? d : -1);
      const mustFail = size !== undefined && Number.isSafeInteger(k) && (k > size || k < 0) ? /./ : undefined;
      rec.call("topk", `${describe(a)}.topk(${describe(k)}, ${describe(options)})`, ["topk"], () => a.topk(k, options), validPair, mustFail);
    } else if (which <= 2) {
      const op = which === 1 ? "sort" : "argsort";
      const options = rng.chance(0.05) ? rng.pick<unknown>([null, 3]) as object : { dim: d, descending: flag(), stable: flag() };
      if (op === "sort") rec.call(op, `${describe(a)}.sort(${describe(options)})`, [op], () => a.sort(options), validPair);
      else rec.call(op, `${describe(a)}.argsort(${describe(options)})`, [op], () => a.argsort(options));
    } else if (which === 3) {
      const dim = rng.chance(0.3) ? undefined : d, keepdim = rng.chance(0.3);
      rec.call("argmin", `${describe(a)}.argmin(${describe(dim)}, ${keepdim})`, ["argmin"], () => a.argmin(dim, keepdim));
    } else {
      const op = which === 4 ? "maxAlong" : "minAlong", keepdim = rng.chance(0.3);
      rec.call(op, `${describe(a)}.${op}(${describe(d)}, ${keepdim})`, [op], () => a[op](d, keepdim), validPair);
    }
  };

  const rearranging: Case = (rng, rec) => {
    const a = g.makeTensor(rng);
    const nd = a.ndim;
    const d = g.wildInt(rng, -nd - 1, nd);
    const which = rng.int(0, 9);
    const bound = () => (rng.chance(0.25) ? rng.pick([undefined, null]) : g.wildInt(rng, -8, 8));
    switch (which) {
      case 0: {
        const start = bound(), end = bound(), step = rng.chance(0.8) ? rng.int(1, 4) : g.wildInt(rng, -2, 3);
        rec.call("slice", `${describe(a)}.slice(${describe(d)}, ${describe(start)}, ${describe(end)}, ${describe(step)})`, ["slice"], () =>
          a.slice(d, start, end, step));
        break;
      }
      case 1: {
        // Sizes from wildSize are either small or at least 1e11 each: a view, never a real allocation.
        const shape = rng.chance(0.5) ? [...(rng.chance(0.3) ? [rng.int(0, 3)] : []), ...a.shape.map((s) => (s === 1 ? rng.int(0, 4) : rng.chance(0.2) ? -1 : s))]
          : Array.from({ length: rng.int(0, 4) }, () => (rng.chance(0.15) ? -1 : g.wildSize(rng)));
        rec.call("expand", `${describe(a)}.expand(${describe(shape)})`, ["expand"], () => a.expand(shape));
        break;
      }
      case 2: {
        const other = rng.chance(0.05) ? rng.pick(NOT_A_TENSOR) as Tensor : g.makeTensor(rng, { shape: g.partnerShape(rng, a.shape) });
        rec.call("expandAs", `${describe(a)}.expandAs(${describe(other)})`, ["expandAs"], () => a.expandAs(other));
        break;
      }
      case 3: {
        // Counts from wildSize: small, or so large (1e11 and up) that no allocation of the result can succeed.
        const reps = Array.from({ length: Math.max(0, nd + rng.int(-1, 2)) }, () => (rng.chance(0.85) ? rng.int(0, 3) : g.wildSize(rng)));
        rec.call("repeat", `${describe(a)}.repeat(${describe(reps)})`, ["repeat"], () => a.repeat(reps));
        break;
      }
      case 4: {
        const size = dimSize(a, d);
        const sizes = rng.chance(0.5)
          ? g.wildInt(rng, -1, 6)
          : size !== undefined && rng.chance(0.5)
          ? partition(rng, size)
          : Array.from({ length: rng.int(0, 4) }, () => g.wildInt(rng, -1, 4));
        rec.call("split", `${describe(a)}.split(${describe(sizes)}, ${describe(d)})`, ["split"], () => a.split(sizes, d), validList);
        break;
      }
      case 5: {
        const n = g.wildInt(rng, -1, 6);
        rec.call("chunk", `${describe(a)}.chunk(${describe(n)}, ${describe(d)})`, ["chunk"], () => a.chunk(n, d), validList);
        break;
      }
      case 6: {
        const dims = Array.from({ length: rng.int(0, 3) }, () => g.wildInt(rng, -nd - 1, nd));
        rec.call("flip", `${describe(a)}.flip(${describe(dims)})`, ["flip"], () => a.flip(dims));
        break;
      }
      case 7: {
        const count = rng.int(0, 3);
        const shifts = rng.chance(0.3) ? g.wildInt(rng, -6, 6) : Array.from({ length: count }, () => g.wildInt(rng, -6, 6));
        const dims = rng.chance(0.3) ? undefined : Array.from({ length: rng.chance(0.8) ? count : rng.int(0, 3) }, () => g.wildInt(rng, -nd - 1, nd));
        rec.call("roll", `${describe(a)}.roll(${describe(shifts)}, ${describe(dims)})`, ["roll"], () => a.roll(shifts, dims));
        break;
      }
      case 8: {
        const op = rng.chance(0.5) ? "tril" : "triu", k = g.wildInt(rng, -6, 6);
        rec.call(op, `${describe(a)}.${op}(${describe(k)})`, [op], () => a[op](k));
        break;
      }
      default:
        rec.call("toJSON", `JSON.stringify(${describe(a)})`, null, () => JSON.stringify(a), (r) =>
          typeof r === "string" && JSON.stringify(JSON.parse(r)) === JSON.stringify(a.toArray()) ? [] : [`JSON.stringify gave ${String(r).slice(0, 80)}`]);
    }
  };

  return [
    [comparisons, 8],
    [gatherScatter, 8],
    [ordering, 8],
    [rearranging, 10],
  ];
}

/** Sizes that add up to `total`, as split needs (now and then one off). */
function partition(rng: Rng, total: number): number[] {
  const sizes: number[] = [];
  let left = total;
  while (left > 0 && sizes.length < 6) {
    const s = rng.int(1, left);
    sizes.push(s);
    left -= s;
  }
  if (left > 0) sizes.push(left);
  if (rng.chance(0.2)) sizes.push(rng.int(0, 2));
  return sizes;
}
