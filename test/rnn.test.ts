// LSTM and GRU against PyTorch's nn.LSTM / nn.GRU (fixtures: test/fixtures/make_rnn_fixtures.py):
// parameters after manualSeed, outputs, final states and every gradient, in
// each layout; a few Adam steps of a small model; a PyTorch state dict.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { crossEntropy, Embedding, GRU, Linear, liveTensors, LSTM, manualSeed, type Memory, randn, type Tensor, tidy, zeros } from "../mod.ts";
import { expectTensor, fromEncoded } from "./helpers.ts";
import { type RnnCase, rfx } from "./rnn_fixtures.ts";
import { expectTorchError, withMemory } from "./training_helpers.ts";

const liveAtStart = liveTensors();

function build(mem: Memory, f: RnnCase): LSTM | GRU {
  const options = { numLayers: f.num_layers, bidirectional: f.bidirectional, batchFirst: f.batch_first, bias: f.bias, dropout: f.dropout };
  return f.kind === "lstm" ? new LSTM(mem, f.input_size, f.hidden_size, options) : new GRU(mem, f.input_size, f.hidden_size, options);
}

// The layers of Stack in make_rnn_fixtures.py, under its attribute names.
function buildStack(mem: Memory) {
  return {
    emb: new Embedding(mem, 9, 4, { paddingIdx: 0, name: "emb" }),
    lstm: new LSTM(mem, 4, 5, { numLayers: 2, bidirectional: true, name: "lstm" }),
    gru: new GRU(mem, 10, 3, { batchFirst: true, name: "gru" }),
    fc: new Linear(mem, 3, 2, { name: "fc" }),
  };
}

function describeCase(f: RnnCase): string {
  const parts = [`${f.num_layers} layer${f.num_layers > 1 ? "s" : ""}`, f.bidirectional ? "bidirectional" : "one way"];
  parts.push(f.batch_first ? "batch first" : "seq first", f.state ? "initial state" : "zero state");
  if (!f.bias) parts.push("no bias");
  if (f.dropout > 0) parts.push(`dropout ${f.dropout} (${f.train ? "train" : "eval"})`);
  if (!f.train) parts.push("eval mode");
  return `${f.kind.toUpperCase()}(${f.input_size}, ${f.hidden_size}), ${parts.join(", ")}`;
}

describe("LSTM and GRU match nn.LSTM / nn.GRU", () => {
  for (const f of rfx.rnn) {
    test(describeCase(f), () => {
      withMemory((mem) => tidy(() => {
        manualSeed(f.seed);
        const layer = build(mem, f);
        // PyTorch's names in PyTorch's order, every value drawn the same.
        const named = mem.namedParameters();
        expect(named.map(([n]) => n)).toEqual(f.params.map((p) => `${f.kind}0.${p.name}`));
        f.params.forEach((p, i) => expectTensor(named[i][1], p.value, 0, 0));
        if (f.train) mem.train();
        else mem.eval();
        // The input and state come from the generator too, so dropout draws PyTorch's masks.
        const x = randn(f.input.shape);
        expectTensor(x, f.input, 0, 0);
        x.requiresGrad = true;
        let h0: Tensor | undefined, c0: Tensor | undefined;
        if (f.state) {
          h0 = randn(f.state.h.shape);
          expectTensor(h0, f.state.h, 0, 0);
          if (f.state.c) {
            c0 = randn(f.state.c.shape);
            expectTensor(c0, f.state.c, 0, 0);
          }
        }
        let output: Tensor, h: Tensor, c: Tensor | null = null;
        if (layer instanceof LSTM) {
          const r = layer.forwardWithState(mem, x, h0 && c0 ? { h: h0, c: c0 } : undefined);
          ({ output } = r);
          ({ h, c } = r.state);
        } else {
          const r = layer.forwardWithState(mem, x, h0);
          ({ output, state: h } = r);
        }
        expectTensor(output, f.output, 1e-5, 1e-6);
        expectTensor(h, f.h, 1e-5, 1e-6);
        if (f.c) expectTensor(c!, f.c, 1e-5, 1e-6);
        else expect(c).toBeNull();
        let loss = output.pow(2).sum().add(h.mul(0.5).sum());
        if (c) loss = loss.add(c.sum().mul(0.25));
        loss.backward();
        f.grads.forEach((g, i) => {
          const [name, p] = named[i];
          expect(name).toBe(`${f.kind}0.${g.name}`);
          expectTensor(p.grad!, g.value, 1e-4, 1e-5);
        });
        expectTensor(x.grad!, f.input_grad, 1e-4, 1e-5);
        mem.train();
      }));
    });
  }

  test("forward gives the output of forwardWithState from a zero state", () => {
    for (const make of [(mem: Memory) => new LSTM(mem, 3, 4, { numLayers: 2 }), (mem: Memory) => new GRU(mem, 3, 4, { bidirectional: true })]) {
      withMemory((mem) => tidy(() => {
        const layer = make(mem);
        const x = randn([5, 2, 3]);
        const live = liveTensors();
        const out = layer.forward(mem, x);
        // Only the output is left: the final state was freed at once.
        expect(liveTensors()).toBe(live + 1);
        expect(out.toArray()).toEqual(layer.forwardWithState(mem, x).output.toArray());
      }));
    }
  });

  test("dropout is active in train mode only", () => {
    withMemory((mem) => tidy(() => {
      const lstm = new LSTM(mem, 3, 8, { numLayers: 2, dropout: 0.5 });
      const x = randn([4, 2, 3]);
      mem.eval();
      expect(lstm.forward(mem, x).toArray()).toEqual(lstm.forward(mem, x).toArray());
      mem.train();
      expect(lstm.forward(mem, x).toArray()).not.toEqual(lstm.forward(mem, x).toArray());
    }));
  });

  test("a state carries a sequence on: two halves give the whole", () => {
    withMemory((mem) => tidy(() => {
      const lstm = new LSTM(mem, 3, 4, { batchFirst: true, numLayers: 2 });
      const x = randn([2, 6, 3]);
      const whole = lstm.forwardWithState(mem, x);
      const first = lstm.forwardWithState(mem, x.narrow(1, 0, 4));
      const second = lstm.forwardWithState(mem, x.narrow(1, 4, 2), first.state);
      const close = (a: Tensor, b: Tensor) => expect(a.sub(b).abs().max().item()).toBeLessThan(1e-6);
      close(second.output, whole.output.narrow(1, 4, 2));
      close(second.state.h, whole.state.h);
      close(second.state.c, whole.state.c);
    }));
  });
});

describe("training and loading as in PyTorch", () => {
  test("Embedding -> LSTM -> Linear: four Adam steps equal torch.optim.Adam", () => {
    const f = rfx.adam;
    withMemory((mem) => {
      manualSeed(f.seed);
      const emb = new Embedding(mem, f.vocab, f.dim, { name: "emb" });
      const lstm = new LSTM(mem, f.dim, f.hidden, { batchFirst: true, name: "lstm" });
      const fc = new Linear(mem, f.hidden, f.vocab, { name: "fc" });
      const tokens = fromEncoded(f.tokens);
      const steps = tokens.shape[1] - 1;
      const losses: number[] = [];
      const live = liveTensors();
      for (let i = 0; i < f.losses.length; i++) {
        tidy(() => {
          const logits = fc.forward(mem, lstm.forward(mem, emb.forward(mem, tokens.narrow(1, 0, steps))));
          const loss = crossEntropy(tokens.narrow(1, 1, steps).reshape([-1]), logits.reshape([-1, f.vocab]));
          loss.backward();
          mem.applyGradsAdam(f.lr);
          losses.push(loss.item());
        });
      }
      expect(liveTensors()).toBe(live);
      losses.forEach((l, i) => expect(Math.abs(l - f.losses[i]), `loss ${i}: ${l} vs ${f.losses[i]}`).toBeLessThan(1e-5));
      const named = mem.namedParameters();
      expect(named.map(([n]) => n)).toEqual(f.params.map((p) => p.name));
      f.params.forEach((p, i) => expectTensor(named[i][1], p.value, 1e-4, 1e-5));
      tokens.dispose();
    });
  });

  test("a PyTorch state dict (Embedding, 2-layer bidirectional LSTM, GRU, Linear) loads and gives PyTorch's output", () => {
    const f = rfx.state_dict;
    withMemory((mem) => tidy(() => {
      const { emb, lstm, gru, fc } = buildStack(mem);
      expect(mem.namedParameters().map(([n]) => n)).toEqual(f.keys);
      mem.load(fileURLToPath(new URL("./fixtures/rnn_state_dict.safetensors", import.meta.url)));
      mem.eval();
      const seqFirst = lstm.forward(mem, emb.forward(mem, fromEncoded(f.tokens)));
      const out = fc.forward(mem, gru.forward(mem, seqFirst.transpose(0, 1)));
      expectTensor(out, f.output, 1e-5, 1e-6);
      mem.train();
    }));
  });

  test("a state dict torchffi saves loads into PyTorch's module and gives the same output", () => {
    const dir = mkdtempSync(join(tmpdir(), "torchffi-rnn-"));
    try {
      withMemory((mem) => tidy(() => {
        const { emb, lstm, gru, fc } = buildStack(mem);
        const out = fc.forward(mem, gru.forward(mem, lstm.forward(mem, emb.forward(mem, fromEncoded(rfx.state_dict.tokens))).transpose(0, 1)));
        const file = join(dir, "stack.safetensors");
        mem.save(file);
        const script = fileURLToPath(new URL("./fixtures/make_rnn_fixtures.py", import.meta.url));
        const python = spawnSync("/usr/bin/python3", [script, "check", file], { encoding: "utf8", timeout: 120_000 });
        expect(python.status, python.stderr).toBe(0);
        expectTensor(out, JSON.parse(python.stdout), 1e-5, 1e-6);
      }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("LSTM and GRU refuse bad input", () => {
  test("each mistake is a TorchError naming the layer and the expected shape; nothing leaks or changes", () => {
    withMemory((mem) => {
      const lstm = new LSTM(mem, 3, 4, { numLayers: 2, name: "enc" });
      const gru = new GRU(mem, 3, 4, { batchFirst: true, bidirectional: true });
      const before = mem.namedParameters().map(([, t]) => t.toArray());
      const x2d = randn([5, 3]), wide = randn([5, 2, 7]), x = randn([5, 2, 3]), empty = randn([0, 2, 3]);
      const h1 = zeros([1, 2, 4]), h2 = zeros([2, 2, 4]), h3 = zeros([2, 3, 4]), h64 = zeros([2, 2, 4], "float64");
      const x64 = randn([5, 2, 3], "float64"), xb = randn([2, 5, 3]);
      const live = liveTensors();
      const cases: [() => unknown, string, RegExp][] = [
        [() => lstm.forward(mem, x2d), "LSTM", /layer "enc": expected a 3-D input \[seq, batch, 3\], got 2-D \[5, 3\]/],
        [() => lstm.forward(mem, wide), "LSTM", /layer "enc": input.size\(-1\) must be equal to input_size. Expected 3, got 7/],
        [() => lstm.forwardWithState(mem, x, { h: h1, c: h2 }), "LSTM", /Expected hidden\[0\] size \[2, 2, 4\].*got \[1, 2, 4\]/],
        [() => lstm.forwardWithState(mem, x, { h: h2, c: h3 }), "LSTM", /Expected hidden\[1\] size \[2, 2, 4\].*got \[2, 3, 4\]/],
        [() => lstm.forwardWithState(mem, x, { h: h64, c: h2 }), "LSTM", /hidden\[0\] must have the type float32, got type float64/],
        [() => lstm.forwardWithState(mem, x, h2 as never), "LSTM", /the state must be \{ h, c \}/],
        [() => lstm.forward(mem, x64), "LSTM", /input must have the type float32, got type float64/],
        [() => lstm.forward(mem, empty), "LSTM", /layer "enc": Expected sequence length to be larger than 0/],
        [() => gru.forward(mem, x2d), "GRU", /layer "gru0": expected a 3-D input \[batch, seq, 3\] \(batchFirst\)/],
        [() => gru.forwardWithState(mem, xb, h1), "GRU", /Expected hidden size \[2, 2, 4\].*got \[1, 2, 4\]/],
        [() => gru.forwardWithState(mem, xb, h3), "GRU", /Expected hidden size \[2, 2, 4\] \(\[numLayers \* directions, batch, hiddenSize\]\), got \[2, 3, 4\]/],
        [() => gru.forward(mem, [1, 2] as never), "GRU", /expected a Tensor/],
      ];
      for (const [fn, op, pattern] of cases) {
        const e = expectTorchError(fn, pattern);
        expect(e.op).toBe(op);
      }
      expect(liveTensors()).toBe(live);
      expect(mem.namedParameters().map(([, t]) => t.toArray())).toEqual(before);
      for (const t of [x2d, wide, x, empty, h1, h2, h3, h64, x64, xb]) t.dispose();
    });
  });

  test("bad options and a taken name are refused before anything is stored", () => {
    withMemory((mem) => {
      new LSTM(mem, 3, 4, { name: "rnn" });
      const size = mem.size;
      expectTorchError(() => new LSTM(mem, 3, 4, { name: "rnn" }), /"rnn.weight_ih_l0" is already taken/);
      expectTorchError(() => new GRU(mem, 3, 4, { name: "rnn" }), /already taken/);
      expectTorchError(() => new GRU(mem, 0, 4), /inputSize must be a positive integer/);
      expectTorchError(() => new GRU(mem, 3, 4, { numLayers: 1.5 }), /numLayers must be a positive integer/);
      expectTorchError(() => new LSTM(mem, 3, 4, { dropout: 1.5 }), /dropout should be a number in range \[0, 1\]/);
      expectTorchError(() => new LSTM(mem, 3, 4, { batchFirst: "yes" as never }), /batchFirst must be true or false/);
      expect(mem.size).toBe(size);
      // The default names skip what is taken: the next LSTM is lstm0, then lstm1.
      new LSTM(mem, 3, 4);
      new LSTM(mem, 3, 4, { bias: false });
      expect(mem.has("lstm0.bias_hh_l0") && mem.has("lstm1.weight_hh_l0") && !mem.has("lstm1.bias_ih_l0")).toBe(true);
    });
  });

  test("a long training loop keeps liveTensors flat", () => {
    withMemory((mem) => {
      const gru = new GRU(mem, 3, 4, { numLayers: 2, bidirectional: true, dropout: 0.2 });
      const x = randn([6, 2, 3]);
      const live = liveTensors();
      for (let i = 0; i < 100; i++) {
        tidy(() => {
          const { output, state } = gru.forwardWithState(mem, x);
          output.sum().add(state.sum()).backward();
          mem.applyGradsSgd(0.01);
        });
      }
      expect(liveTensors()).toBe(live);
      x.dispose();
    });
  });
});

describe("the whole file", () => {
  test("leaves no tensor alive", () => {
    expect(liveTensors()).toBe(liveAtStart);
  });
});
