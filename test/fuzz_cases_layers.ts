// The fuzz battery's cases for the layers of issue 12 part A (BatchNorm1d/2d,
// LayerNorm, Dropout, Flatten, the activation layers, Sequential), kept out of
// test/fuzz_cases.ts, which appends them at the end of CASES. As there: every
// input a case builds is valid; only the calls under test get the bad
// arguments. A refused forward must also leave every stored tensor as it was.
import {
  BatchNorm1d,
  BatchNorm2d,
  type BatchNormOptions,
  type Compute,
  Dropout,
  Flatten,
  GELU,
  LayerNorm,
  type LayerNormOptions,
  Memory,
  ReLU,
  Sequential,
  Tanh,
  type Tensor,
} from "../mod.ts";
import type { Case } from "./fuzz_cases.ts";
import type { Generators } from "./fuzz_cases_select.ts";
import { describe, type Recorder, type Rng } from "./fuzz_record.ts";

const WILD_COUNTS: readonly number[] = [0, -1, 2.5, NaN, Infinity, 2 ** 53];
const WILD_NUMBERS: readonly unknown[] = [0, -1e-5, NaN, Infinity, 1.5, -0.1, "0.1", null];
const NAMES: readonly unknown[] = ["bn", "norm", "", "rng_state", "optimizer.x", 3, null];

/** Every stored value, to prove a refused call changed nothing. */
function snapshot(mem: Memory): string {
  return JSON.stringify([...mem.namedParameters(), ...mem.namedBuffers()].map(([n, t]) => [n, Array.from(t.toTypedArray(), Number)]));
}

/** Runs a forward through the recorder; when it is refused, the store must be unchanged. */
function forwardUnchanged(rec: Recorder, mem: Memory, kind: string, what: string, ops: string[], fn: () => Tensor): void {
  const before = snapshot(mem);
  const index = rec.calls;
  const result = rec.call(kind, what, ops, fn);
  if (result === undefined && snapshot(mem) !== before) {
    rec.violations.push({ call: index, kind, what, problem: "a refused call changed the store" });
  }
}

/** Builds the cases from the generators of test/fuzz_cases.ts. */
export function layerCases(g: Generators): [Case, number][] {
  const count = (rng: Rng, good: () => number) => (rng.chance(0.85) ? good() : rng.pick(WILD_COUNTS));

  const batchNorm: Case = (rng, rec) => {
    const mem = new Memory();
    try {
      const twoD = rng.chance(0.5);
      const kind = twoD ? "BatchNorm2d" : "BatchNorm1d";
      const features = count(rng, () => rng.int(1, 4));
      const options: Record<string, unknown> = {};
      if (rng.chance(0.3)) options.eps = rng.pick(WILD_NUMBERS);
      if (rng.chance(0.3)) options.momentum = rng.pick([...WILD_NUMBERS, undefined, 0.5]);
      if (rng.chance(0.2)) options.affine = false;
      if (rng.chance(0.2)) options.trackRunningStats = false;
      if (rng.chance(0.2)) options.name = rng.pick(NAMES);
      if (rng.chance(0.1)) new BatchNorm1d(mem, 2, { name: "bn" });
      const make = () => (twoD ? new BatchNorm2d(mem, features, options as BatchNormOptions) : new BatchNorm1d(mem, features, options as BatchNormOptions));
      const what = `new ${kind}(mem, ${describe(features)}, ${describe(options)})`;
      const layer = rec.call(kind, what, [kind], make, (r) => (r instanceof BatchNorm1d || r instanceof BatchNorm2d ? [] : [`not a ${kind}`]));
      if (!layer) return;
      if (rng.chance(0.4)) mem.eval();
      const f = Number.isSafeInteger(features) ? features : 2;
      const c = rng.chance(0.8) ? f : rng.pick([f + 1, f - 1, 0]);
      const n = rng.chance(0.7) ? rng.int(2, 4) : rng.pick([0, 1]);
      const shape = rng.chance(0.1)
        ? g.smallShape(rng)
        : twoD
        ? [n, c, rng.int(1, 3), rng.int(1, 3)]
        : rng.chance(0.5)
        ? [n, c]
        : [n, c, rng.int(1, 3)];
      const input = g.makeTensor(rng, { shape, dtype: rng.chance(0.85) ? "float32" : undefined });
      const op = `${kind}(${layer.name})`;
      const mode = mem.training ? "train" : "eval";
      forwardUnchanged(rec, mem, `${kind}.forward`, `${op}.forward(mem.${mode}(), ${describe(input)})`, [op], () => layer.forward(mem, input));
    } finally {
      mem.dispose();
    }
  };

  const layerNorm: Case = (rng, rec) => {
    const mem = new Memory();
    try {
      const shape = rng.chance(0.85)
        ? Array.from({ length: rng.int(1, 2) }, () => rng.int(1, 4))
        : rng.pick<unknown>([[], [0], [-1], [2.5], 3, NaN, "4", null]);
      const options: Record<string, unknown> = {};
      if (rng.chance(0.3)) options.eps = rng.pick(WILD_NUMBERS);
      if (rng.chance(0.2)) options.elementwiseAffine = false;
      if (rng.chance(0.2)) options.name = rng.pick(NAMES);
      const what = `new LayerNorm(mem, ${describe(shape)}, ${describe(options)})`;
      const layer = rec.call("LayerNorm", what, ["LayerNorm"], () => new LayerNorm(mem, shape as number[], options as LayerNormOptions), (r) =>
        r instanceof LayerNorm ? [] : ["not a LayerNorm"]);
      if (!layer) return;
      const want = layer.normalizedShape;
      const inputShape = rng.chance(0.7)
        ? [...Array.from({ length: rng.int(0, 2) }, () => rng.int(0, 3)), ...want]
        : rng.chance(0.5)
        ? [rng.int(1, 3), ...want.map((d) => d + rng.pick([1, -1]))]
        : g.smallShape(rng);
      const input = g.makeTensor(rng, { shape: inputShape, dtype: rng.chance(0.85) ? "float32" : undefined });
      const op = `LayerNorm(${layer.name})`;
      forwardUnchanged(rec, mem, "LayerNorm.forward", `${op}.forward(mem, ${describe(input)})`, [op], () => layer.forward(mem, input));
    } finally {
      mem.dispose();
    }
  };

  const plainLayers: Case = (rng, rec) => {
    const mem = new Memory();
    try {
      if (rng.chance(0.3)) mem.eval();
      const which = rng.int(0, 4);
      const input = g.makeTensor(rng);
      if (which === 0) {
        const p = rng.chance(0.7) ? rng.float() : rng.pick<unknown>([-0.1, 1.5, NaN, "0.5", null]);
        const layer = rec.call("Dropout", `new Dropout(${describe(p)})`, ["Dropout"], () => new Dropout(p as number), (r) => (r instanceof Dropout ? [] : ["not a Dropout"]));
        if (layer) rec.call("Dropout.forward", `Dropout(${describe(p)}).forward(mem, ${describe(input)})`, ["Dropout", "dropout"], () => layer.forward(mem, input));
      } else if (which === 1) {
        const start = rng.chance(0.7) ? rng.int(-2, 2) : g.wildInt(rng);
        const end = rng.chance(0.7) ? rng.int(-1, 3) : g.wildInt(rng);
        const layer = new Flatten(start, end);
        rec.call("Flatten.forward", `Flatten(${describe(start)}, ${describe(end)}).forward(mem, ${describe(input)})`, ["Flatten", "flatten"], () =>
          layer.forward(mem, input));
      } else if (which === 2) {
        const approximate = rng.chance(0.8) ? rng.pick(["none", "tanh"] as const) : rng.pick<unknown>(["fast", null, 1]);
        const layer = rec.call("GELU", `new GELU(${describe(approximate)})`, ["GELU"], () => new GELU(approximate as "none"), (r) => (r instanceof GELU ? [] : ["not a GELU"]));
        if (layer) rec.call("GELU.forward", `GELU.forward(mem, ${describe(input)})`, ["GELU", "gelu"], () => layer.forward(mem, input));
      } else {
        const layers: unknown[] = [new ReLU(), new Tanh(), new Flatten(rng.int(0, 1))];
        if (rng.chance(0.2)) layers.splice(rng.int(0, 3), 0, rng.pick<unknown>([null, {}, 3, { forward: 1 }]));
        const seq = rec.call("Sequential", `new Sequential(mem, ${describe(layers)})`, ["Sequential"], () => new Sequential(mem, ...(layers as Compute[])), (r) =>
          r instanceof Sequential ? [] : ["not a Sequential"]);
        if (seq) rec.call("Sequential.forward", `Sequential.forward(mem, ${describe(input)})`, ["ReLU", "relu", "Tanh", "tanh", "Flatten", "flatten"], () => seq.forward(mem, input));
      }
    } finally {
      mem.dispose();
    }
  };

  return [[batchNorm, 6], [layerNorm, 4], [plainLayers, 4]];
}
