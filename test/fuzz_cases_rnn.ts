// The fuzz battery's cases for Embedding, LSTM and GRU (issue 12), kept out of
// test/fuzz_cases.ts, which hands its generators in and appends these cases at
// the end of CASES. Layers get random, often wrong, sizes and options; forward
// gets inputs and states of random shapes and dtypes. A refused call must leave
// the layer's parameters as they were.
import { type DType, Embedding, GRU, LSTM, Memory, type Tensor, tensor } from "../mod.ts";
import type { Case } from "./fuzz_cases.ts";
import { describe, type Rng, tensorProblems, type Validate } from "./fuzz_record.ts";

/** The input generators of test/fuzz_cases.ts that these cases draw on. */
export interface RnnGenerators {
  makeTensor(rng: Rng, spec?: { shape?: readonly number[]; dtype?: DType; grad?: number; transposed?: number }): Tensor;
  smallShape(rng: Rng, maxDims?: number, maxSize?: number): number[];
  wildSize(rng: Rng): number;
}

const INDEX_DTYPES: readonly DType[] = ["int64", "int64", "int64", "int32", "float32", "bool", "uint8"];

/** The parameters' contents, to prove a refused call changed nothing. */
function parameters(mem: Memory): string {
  return JSON.stringify(mem.namedParameters().map(([name, t]) => [name, t.numel <= 512 ? t.toArray() : t.shape]));
}

/** `{ output, state }` with valid tensors (state: a tensor, or `{ h, c }`). */
const validWithState: Validate = (r) => {
  const res = r as { output?: unknown; state?: unknown } | undefined;
  if (!res || typeof res !== "object") return [`expected { output, state }, got ${describe(r)}`];
  const state = res.state as { h?: unknown; c?: unknown } | Tensor;
  const states = state && typeof state === "object" && "h" in state ? [state.h, state.c] : [state];
  return [...tensorProblems(res.output), ...states.flatMap((s) => tensorProblems(s))];
};

/** Builds the cases from the generators of test/fuzz_cases.ts. */
export function rnnCases(g: RnnGenerators): [Case, number][] {
  const size = (rng: Rng) => (rng.chance(0.85) ? rng.int(1, 4) : g.wildSize(rng));

  const embedding: Case = (rng, rec) => {
    const mem = new Memory();
    try {
      const count = size(rng), dim = size(rng);
      const paddingIdx = rng.chance(0.6) ? null : rng.pick([0, 1, -1, 3, 9, -9, 1.5, NaN]);
      const options = { paddingIdx, name: rng.chance(0.9) ? undefined : rng.pick(["", "emb", "optimizer.x"]) };
      const emb = rec.call("Embedding", `new Embedding(mem, ${describe(count)}, ${describe(dim)}, ${describe(options)})`, ["Embedding"], () =>
        new Embedding(mem, count, dim, options), (r) => (r instanceof Embedding ? [] : ["not an Embedding"]));
      if (!emb) return;
      const before = parameters(mem);
      for (let i = 0; i < 2; i++) {
        const shape = g.smallShape(rng, 3, 4);
        const n = shape.reduce((a, b) => a * b, 1);
        const r = rng.float();
        const indices = r < 0.5
          ? tensor(Array.from({ length: n }, () => rng.int(0, emb.count - 1)), shape, rng.chance(0.8) ? "int64" : "int32")
          : r < 0.8
          ? g.makeTensor(rng, { shape, dtype: rng.pick(INDEX_DTYPES) })
          : g.makeTensor(rng, { shape, dtype: "int64" }).add(rng.pick([emb.count, -emb.count, 2 ** 40, 0]));
        rec.call("Embedding.forward", `emb(${emb.count}, ${emb.dim}).forward(mem, ${describe(indices)})`, ["Embedding"], () =>
          emb.forward(mem, indices));
      }
      if (parameters(mem) !== before) rec.violations.push({ call: rec.calls - 1, kind: "Embedding.forward", what: "forward", problem: "changed the table" });
    } finally {
      mem.dispose();
    }
  };

  const recurrent: Case = (rng, rec) => {
    const mem = new Memory();
    try {
      const kind = rng.pick(["LSTM", "GRU"] as const);
      const inputSize = size(rng), hiddenSize = size(rng);
      const options = {
        numLayers: rng.chance(0.85) ? rng.int(1, 2) : rng.pick([0, -1, 1.5, NaN, 3]),
        bidirectional: rng.chance(0.9) ? rng.chance(0.5) : (rng.pick<unknown>([1, "yes", null]) as boolean),
        batchFirst: rng.chance(0.5),
        dropout: rng.chance(0.8) ? rng.pick([0, 0.3]) : rng.pick([-0.1, 1, 1.5, NaN, Infinity]),
        bias: rng.chance(0.85),
      };
      const make = () => (kind === "LSTM" ? new LSTM(mem, inputSize, hiddenSize, options) : new GRU(mem, inputSize, hiddenSize, options));
      const layer = rec.call(kind, `new ${kind}(mem, ${describe(inputSize)}, ${describe(hiddenSize)}, ${describe(options)})`, [kind], make, (r) =>
        r instanceof LSTM || r instanceof GRU ? [] : [`not an ${kind}`]);
      if (!layer) {
        if (mem.size !== 0) rec.violations.push({ call: rec.calls - 1, kind, what: "constructor", problem: "a refused layer stored parameters" });
        return;
      }
      if (rng.chance(0.3)) mem.eval();
      const before = parameters(mem);
      const dirs = layer.bidirectional ? 2 : 1;
      for (let i = 0; i < 2; i++) {
        const seq = rng.chance(0.9) ? rng.int(1, 3) : 0, batch = rng.chance(0.9) ? rng.int(1, 3) : 0;
        const good = layer.batchFirst ? [batch, seq, layer.inputSize] : [seq, batch, layer.inputSize];
        const shape = rng.chance(0.6) ? good : g.smallShape(rng, 4, 4);
        const x = g.makeTensor(rng, { shape, dtype: rng.chance(0.8) ? "float32" : undefined, grad: 0.3 });
        const stateShape = () => (rng.chance(0.85) ? [layer.numLayers * dirs, batch, layer.hiddenSize] : g.smallShape(rng, 4, 4));
        const state = () => g.makeTensor(rng, { shape: stateShape(), dtype: rng.chance(0.92) ? "float32" : undefined });
        const r = rng.float();
        if (r < 0.35) {
          rec.call(`${kind}.forward`, `${kind}.forward(mem, ${describe(x)})`, [kind], () => layer.forward(mem, x));
        } else if (layer instanceof LSTM) {
          const given = rng.chance(0.2) ? undefined : rng.chance(0.1) ? (state() as never) : { h: state(), c: state() };
          rec.call(`${kind}.forwardWithState`, `${kind}.forwardWithState(mem, ${describe(x)}, ${describe(given)})`, [kind], () => {
            const out = layer.forwardWithState(mem, x, given);
            if (rng.chance(0.3) && out.output.requiresGrad) out.output.sum().backward();
            return out;
          }, validWithState);
        } else {
          const given = rng.chance(0.2) ? undefined : state();
          rec.call(`${kind}.forwardWithState`, `${kind}.forwardWithState(mem, ${describe(x)}, ${describe(given)})`, [kind], () =>
            layer.forwardWithState(mem, x, given), validWithState);
        }
      }
      if (parameters(mem) !== before) rec.violations.push({ call: rec.calls - 1, kind, what: "forward", problem: "changed the parameters" });
    } finally {
      mem.dispose();
    }
  };

  return [[embedding, 4], [recurrent, 6]];
}
