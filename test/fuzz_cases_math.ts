// Fuzz cases (test/fuzz_cases.ts lists them) for the in-place ops, gradient
// clipping, the newer maths and pooling, and the newer creation functions. A
// refused in-place call must also leave its receiver exactly as it was.
import {
  clipGradNorm,
  clipGradValue,
  type DType,
  einsum,
  eye,
  linspace,
  Memory,
  noGrad,
  onesLike,
  randint,
  randLike,
  randnLike,
  type Tensor,
  zerosLike,
} from "../mod.ts";
import { type Case, DTYPES, imageShape, makeTensor, partnerShape, smallShape, wildInt, wildNumber, wildShape, wildSize } from "./fuzz_cases.ts";
import { describe, type Recorder, type Rng, tensorProblems, type Validate } from "./fuzz_record.ts";

const INPLACE_BINARY = ["add_", "sub_", "mul_", "div_"] as const;
const INPLACE_OTHER = ["zero_", "fill_", "copy_", "clamp_", "uniform_", "normal_"] as const;

/** The receiver's contents, to prove a refused in-place call changed nothing. */
function snapshot(t: Tensor): string {
  return JSON.stringify(noGrad(() => t.detach().toArray()), (_, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
}

/** Runs an in-place call: it must return its receiver, and a refused one must leave it unchanged. */
function inPlace(rec: Recorder, op: string, what: string, receiver: Tensor, fn: () => unknown): void {
  const small = receiver.numel <= 256;
  const before = small ? snapshot(receiver) : "";
  const returnsReceiver: Validate = (r) => (r === receiver ? tensorProblems(r) : [`${op} did not return its receiver`]);
  const result = rec.call(op, what, [op], fn, returnsReceiver);
  if (result === undefined && small && snapshot(receiver) !== before) {
    rec.violations.push({ call: rec.calls - 1, kind: op, what, problem: "the refused call changed its receiver" });
  }
}

export const inplaceOps: Case = (rng, rec) => {
  const receiver = makeTensor(rng, { grad: 0.25 });
  const guarded = rng.chance(0.5);
  const run = <T>(fn: () => T) => () => (guarded ? noGrad(fn) : fn());
  const where = guarded ? "noGrad: " : "";
  if (rng.chance(0.55)) {
    const op = rng.pick(INPLACE_BINARY);
    const other: Tensor | number = rng.chance(0.65)
      ? makeTensor(rng, { shape: partnerShape(rng, receiver.shape), dtype: rng.chance(0.6) ? receiver.dtype : undefined })
      : wildNumber(rng);
    const alpha = (op === "add_" || op === "sub_") && rng.chance(0.3) ? wildNumber(rng) : undefined;
    const what = `${where}${describe(receiver)}.${op}(${describe(other)}${alpha === undefined ? "" : `, ${describe(alpha)}`})`;
    inPlace(rec, op, what, receiver, run(() =>
      alpha === undefined ? receiver[op](other) : (receiver as Tensor)[op as "add_"](other as Tensor, alpha)));
    return;
  }
  const op = rng.pick(INPLACE_OTHER);
  const a = wildNumber(rng), b = wildNumber(rng);
  switch (op) {
    case "zero_":
      return inPlace(rec, op, `${where}${describe(receiver)}.zero_()`, receiver, run(() => receiver.zero_()));
    case "fill_":
      return inPlace(rec, op, `${where}${describe(receiver)}.fill_(${describe(a)})`, receiver, run(() => receiver.fill_(a)));
    case "copy_": {
      const src = rng.chance(0.9) ? makeTensor(rng, { shape: partnerShape(rng, receiver.shape) }) : receiver;
      return inPlace(rec, op, `${where}${describe(receiver)}.copy_(${describe(src)})`, receiver, run(() => receiver.copy_(src)));
    }
    case "clamp_":
      return inPlace(rec, op, `${where}${describe(receiver)}.clamp_(${describe(a)}, ${describe(b)})`, receiver, run(() => receiver.clamp_(a, b)));
    default:
      return inPlace(rec, op, `${where}${describe(receiver)}.${op}(${describe(a)}, ${describe(b)})`, receiver, run(() => receiver[op](a, b)));
  }
};

export const clipping: Case = (rng, rec) => {
  const mem = new Memory();
  try {
    for (let i = rng.int(0, 3); i > 0; i--) {
      const p = makeTensor(rng, { dtype: rng.chance(0.8) ? "float32" : "float64", grad: 1, transposed: 0 });
      const id = mem.push(p);
      if (rng.chance(0.7)) mem.get(id).mul(mem.get(id)).sum().backward();
    }
    const normType = rng.chance(0.7) ? rng.pick([2, 1, Infinity, 3]) : wildNumber(rng);
    const max = rng.chance(0.8) ? rng.pick([0.1, 1, 10]) : wildNumber(rng);
    const isNumber: Validate = (r) => (typeof r === "number" ? [] : [`expected a number, got ${describe(r)}`]);
    if (rng.chance(0.6)) {
      rec.call("clipGradNorm", `clipGradNorm(mem of ${mem.size}, ${describe(max)}, ${describe(normType)})`, ["clipGradNorm"], () =>
        clipGradNorm(mem, max, normType), isNumber);
    } else {
      rec.call("clipGradValue", `clipGradValue(mem of ${mem.size}, ${describe(max)})`, ["clipGradValue"], () => clipGradValue(mem, max));
    }
  } finally {
    mem.dispose();
  }
};

const UNARY = ["silu", "sin", "cos", "floor", "ceil", "round", "sign", "reciprocal", "rsqrt"] as const;

export const moreMath: Case = (rng, rec) => {
  // Mostly floating point: the activations refuse integers, and a refusal tests less than a result.
  const a = makeTensor(rng, { dtype: rng.chance(0.5) ? rng.pick(["float32", "float64"] as const) : undefined });
  const r = rng.float();
  if (r < 0.35) {
    const op = rng.pick(UNARY);
    rec.call(op, `${describe(a)}.${op}()`, [op], () => a[op]());
  } else if (r < 0.5) {
    const which = rng.int(0, 2);
    if (which === 0) {
      const mode = rng.chance(0.8) ? rng.pick(["none", "tanh"]) : rng.pick<unknown>(["fast", "", null, 1]);
      rec.call("gelu", `${describe(a)}.gelu(${describe(mode)})`, ["gelu"], () => a.gelu(mode as "none"));
    } else if (which === 1) {
      const slope = wildNumber(rng);
      rec.call("leakyRelu", `${describe(a)}.leakyRelu(${describe(slope)})`, ["leakyRelu"], () => a.leakyRelu(slope));
    } else {
      const beta = wildNumber(rng), threshold = wildNumber(rng);
      rec.call("softplus", `${describe(a)}.softplus(${describe(beta)}, ${describe(threshold)})`, ["softplus"], () => a.softplus(beta, threshold));
    }
  } else if (r < 0.6) {
    const op = rng.pick(["minimum", "maximum"] as const);
    const b = makeTensor(rng, { shape: partnerShape(rng, a.shape), dtype: rng.chance(0.7) ? a.dtype : undefined });
    rec.call(op, `${describe(a)}.${op}(${describe(b)})`, [op], () => a[op](b));
  } else if (r < 0.75) {
    // Batches that agree about half of the time.
    const [batch, n, m, p] = [rng.int(0, 3), rng.int(0, 3), rng.int(0, 3), rng.int(0, 3)];
    const x = rng.chance(0.7) ? makeTensor(rng, { shape: [batch, n, m], dtype: a.dtype }) : a;
    const y = makeTensor(rng, { shape: rng.chance(0.6) ? [batch, m, p] : smallShape(rng, 4, 3), dtype: rng.chance(0.8) ? x.dtype : undefined });
    rec.call("bmm", `${describe(x)}.bmm(${describe(y)})`, ["bmm"], () => x.bmm(y));
  } else {
    const [i, j, k] = [rng.int(0, 3), rng.int(1, 3), rng.int(0, 3)];
    const dtype = rng.chance(0.7) ? "float32" : undefined;
    const [equation, operands] = rng.chance(0.5)
      ? rng.pick<[string, () => Tensor[]]>([
        ["ij,jk->ik", () => [makeTensor(rng, { shape: [i, j], dtype }), makeTensor(rng, { shape: [j, k], dtype })]],
        ["bii->b", () => [makeTensor(rng, { shape: [k, j, j], dtype })]],
        ["...k,kn->...n", () => [makeTensor(rng, { shape: [...smallShape(rng, 2, 3), j], dtype }), makeTensor(rng, { shape: [j, i], dtype })]],
      ])
      : [
        rng.pick(["ij,jk->ik", "i,i->", "bii->b", "ij", "ij->ji", "i,j->ij", "ij,", "->", "iij", "a-b", "ij,jk,kl->il", "😀"]),
        () => Array.from({ length: rng.int(0, 3) }, () => makeTensor(rng, { shape: smallShape(rng, 3, 3) })),
      ];
    const list = operands();
    rec.call("einsum", `einsum(${describe(equation)}, ${list.map(describe).join(", ")})`, ["einsum"], () => einsum(equation, ...list));
  }
};

/** Dims for a reduction: none, one, or a list, sometimes out of range or not integers. */
function wildDims(rng: Rng, nd: number): number | number[] | undefined {
  const r = rng.float();
  if (r < 0.25) return undefined;
  if (r < 0.7) return wildInt(rng, -nd - 1, nd);
  return Array.from({ length: rng.int(0, 3) }, () => wildInt(rng, -nd - 1, nd));
}

export const moreReductions: Case = (rng, rec) => {
  const a = makeTensor(rng);
  const nd = a.ndim;
  const keepdim = rng.chance(0.8) ? rng.chance(0.3) : rng.pick<unknown>([1, "yes", null]) as boolean;
  const which = rng.int(0, 6);
  if (which <= 1) {
    const op = which === 0 ? "cumsum" : "cumprod";
    const dim = wildInt(rng, -nd - 1, nd);
    rec.call(op, `${describe(a)}.${op}(${describe(dim)})`, [op], () => a[op](dim));
  } else if (which === 2) {
    const dim = rng.chance(0.3) ? undefined : wildInt(rng, -nd - 1, nd);
    rec.call("prod", `${describe(a)}.prod(${describe(dim)}, ${describe(keepdim)})`, ["prod"], () => a.prod(dim, keepdim));
  } else if (which <= 4) {
    const op = which === 3 ? "std" : "var";
    const dims = wildDims(rng, nd);
    const options = { unbiased: rng.chance(0.9) ? rng.chance(0.5) : ("no" as unknown as boolean), keepdim };
    rec.call(op, `${describe(a)}.${op}(${describe(dims)}, ${describe(options)})`, [op], () => a[op](dims, options));
  } else if (which === 5) {
    const p = rng.chance(0.6) ? rng.pick([2, 1, Infinity, -Infinity, 0, 3]) : wildNumber(rng);
    const dims = wildDims(rng, nd);
    rec.call("norm", `${describe(a)}.norm(${describe(p)}, ${describe(dims)}, ${describe(keepdim)})`, ["norm"], () => a.norm(p, dims, keepdim));
  } else {
    const dims = wildDims(rng, nd);
    rec.call("logsumexp", `${describe(a)}.logsumexp(${describe(dims)}, ${describe(keepdim)})`, ["logsumexp"], () => a.logsumexp(dims!, keepdim));
  }
};

/** A kernel, stride or padding: a number or a pair, mostly plausible, sometimes absurd. */
function wildWindow(rng: Rng, valid: readonly number[]): number | [number, number] {
  const r = rng.float();
  if (r < 0.6) return rng.pick(valid);
  if (r < 0.75) return [rng.pick(valid), rng.pick(valid)];
  return rng.pick<unknown>([0, -1, 1.5, NaN, 1e9, 2 ** 40, [1], [1, 2, 3], [1, -1], "2", null]) as number;
}

export const averagePooling: Case = (rng, rec) => {
  const input = makeTensor(rng, { shape: imageShape(rng), dtype: rng.chance(0.85) ? "float32" : undefined, transposed: 0.05 });
  if (rng.chance(0.6)) {
    const kernel = wildWindow(rng, [1, 2, 2, 3]);
    const options = {
      stride: rng.chance(0.4) ? undefined : wildWindow(rng, [1, 2, 3]),
      padding: wildWindow(rng, [0, 0, 1]),
      ceilMode: rng.chance(0.2),
      countIncludePad: rng.chance(0.95) ? rng.chance(0.7) : ("no" as unknown as boolean),
    };
    rec.call("avgPool2d", `${describe(input)}.avgPool2d(${describe(kernel)}, ${describe(options)})`, ["avgPool2d"], () =>
      input.avgPool2d(kernel, options));
  } else {
    const size = wildWindow(rng, [1, 2, 3, 5]);
    rec.call("adaptiveAvgPool2d", `${describe(input)}.adaptiveAvgPool2d(${describe(size)})`, ["adaptiveAvgPool2d"], () =>
      input.adaptiveAvgPool2d(size));
  }
};

export const moreCreation: Case = (rng, rec) => {
  const dtype = rng.chance(0.9) ? rng.pick(DTYPES) : rng.pick(["float16", "", "Float"]) as DType;
  const which = rng.int(0, 3);
  if (which === 0) {
    const n = wildSize(rng), m = rng.chance(0.5) ? undefined : wildSize(rng);
    rec.call("eye", `eye(${describe(n)}, ${describe(m)}, ${describe(dtype)})`, ["eye"], () => eye(n, m, dtype));
  } else if (which === 1) {
    const start = wildNumber(rng), end = wildNumber(rng), steps = wildSize(rng);
    rec.call("linspace", `linspace(${describe(start)}, ${describe(end)}, ${describe(steps)}, ${describe(dtype)})`, ["linspace"], () =>
      linspace(start, end, steps, dtype));
  } else if (which === 2) {
    const low = wildInt(rng, -5, 5), high = wildInt(rng, -5, 10), shape = rng.chance(0.7) ? smallShape(rng) : wildShape(rng);
    rec.call("randint", `randint(${describe(low)}, ${describe(high)}, ${describe(shape)}, ${describe(dtype)})`, ["randint"], () =>
      randint(low, high, shape, dtype));
  } else {
    const source = rng.chance(0.95) ? makeTensor(rng) : rng.pick<unknown>([null, [1, 2], 3]) as Tensor;
    const fn = rng.pick([["zerosLike", zerosLike], ["onesLike", onesLike], ["randLike", randLike], ["randnLike", randnLike]] as const);
    const given = rng.chance(0.5) ? undefined : dtype;
    rec.call(fn[0], `${fn[0]}(${describe(source)}, ${describe(given)})`, [fn[0]], () => fn[1](source, given));
  }
};
