// Embedding against PyTorch's nn.Embedding (fixtures: test/fixtures/make_rnn_fixtures.py).
import { describe, expect, test } from "vitest";
import { Embedding, liveTensors, manualSeed, randn, tensor, tidy } from "../mod.ts";
import { expectTensor, fromEncoded } from "./helpers.ts";
import { rfx } from "./rnn_fixtures.ts";
import { expectTorchError, withMemory } from "./training_helpers.ts";

const liveAtStart = liveTensors();

describe("Embedding matches nn.Embedding", () => {
  for (const f of rfx.embedding) {
    test(`Embedding(${f.count}, ${f.dim}, paddingIdx ${f.padding_idx}): weight, output, gradient`, () => {
      withMemory((mem) => tidy(() => {
        manualSeed(f.seed);
        const emb = new Embedding(mem, f.count, f.dim, { paddingIdx: f.padding_idx });
        expect(mem.namedParameters().map(([n]) => n)).toEqual(["embedding0.weight"]);
        expectTensor(mem.get(emb.weight), f.weight, 0, 0);
        // The next draw is PyTorch's next draw: the table took exactly as many numbers.
        const weights = randn(f.weights.shape);
        expectTensor(weights, f.weights, 0, 0);
        const out = emb.forward(mem, fromEncoded(f.indices));
        expectTensor(out, f.output, 0, 0);
        out.mul(weights).sum().backward();
        const grad = mem.get(emb.weight).grad!;
        expectTensor(grad, f.grad, 1e-6, 1e-6);
        if (emb.paddingIdx !== null) {
          // The padding row was looked up (index 2 or the last) and still has no gradient.
          expect(grad.get(emb.paddingIdx).abs().sum().item()).toBe(0);
        }
      }));
    });
  }

  test("int32 indices of any shape give [..., dim]", () => {
    withMemory((mem) => tidy(() => {
      const emb = new Embedding(mem, 5, 3, { name: "tok" });
      expect(mem.has("tok.weight")).toBe(true);
      const out = emb.forward(mem, tensor([[[0, 4]], [[1, 1]]], undefined, "int32"));
      expect(out.shape).toEqual([2, 1, 2, 3]);
      expect(out.get(1).get(0).get(0).toArray()).toEqual(mem.get(emb.weight).get(1).toArray());
    }));
  });
});

describe("Embedding refuses bad input", () => {
  test("an index out of range names the layer and the valid range; nothing leaks or changes", () => {
    withMemory((mem) => {
      const emb = new Embedding(mem, 10, 4, { name: "words" });
      const before = mem.get(emb.weight).toArray();
      const idx = tensor([3, 10], undefined, "int64");
      const neg = tensor([-1], undefined, "int64");
      const live = liveTensors();
      for (const bad of [idx, neg]) {
        const e = expectTorchError(() => emb.forward(mem, bad), /index out of range/);
        expect(e.op).toBe("Embedding");
        expect(e.message).toContain('layer "words"');
        expect(e.message).toContain("[0, 9]");
      }
      expect(liveTensors()).toBe(live);
      expect(mem.get(emb.weight).toArray()).toEqual(before);
      idx.dispose();
      neg.dispose();
    });
  });

  test("float indices, a bad paddingIdx, a taken name, a bad count", () => {
    withMemory((mem) => {
      const emb = new Embedding(mem, 4, 2);
      tidy(() => expectTorchError(() => emb.forward(mem, tensor([1, 2])), /Long, Int|scalar type/));
      expectTorchError(() => new Embedding(mem, 4, 2, { paddingIdx: 4 }), /paddingIdx .*\[-4, 3\]/);
      expectTorchError(() => new Embedding(mem, 4, 2, { paddingIdx: 1.5 }), /paddingIdx/);
      expectTorchError(() => new Embedding(mem, 4, 2, { name: "embedding0" }), /already taken/);
      expectTorchError(() => new Embedding(mem, 0, 2), /count must be a positive integer/);
      expect(mem.size).toBe(1);
      // A layer used with a Memory it was not built in.
      withMemory((other) => tidy(() => expectTorchError(() => emb.forward(other, tensor([0], undefined, "int64")), /no tensor with id/)));
    });
  });

  test("a long loop keeps liveTensors flat", () => {
    withMemory((mem) => {
      const emb = new Embedding(mem, 50, 8);
      const idx = tensor([1, 2, 3, 4], undefined, "int64");
      const live = liveTensors();
      for (let i = 0; i < 200; i++) tidy(() => emb.forward(mem, idx).sum().backward());
      mem.zeroGrad();
      expect(liveTensors()).toBe(live);
      idx.dispose();
    });
  });
});

describe("the whole file", () => {
  test("leaves no tensor alive", () => {
    expect(liveTensors()).toBe(liveAtStart);
  });
});
