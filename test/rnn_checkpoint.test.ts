// A recurrent model resumes exactly from a checkpoint: the LSTM's and GRU's
// parameters, Adam's moments and the generator (which draws the dropout masks
// between layers) all come back, so the steps after a reload repeat the steps
// of a run that never stopped.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { crossEntropy, Embedding, GRU, Linear, liveTensors, LSTM, manualSeed, type Memory, randint, type Tensor, tidy } from "../mod.ts";
import { withMemory } from "./training_helpers.ts";

class Tagger {
  emb: Embedding;
  lstm: LSTM;
  gru: GRU;
  head: Linear;
  constructor(mem: Memory) {
    this.emb = new Embedding(mem, 11, 6, { paddingIdx: 0 });
    this.lstm = new LSTM(mem, 6, 8, { numLayers: 2, dropout: 0.4, batchFirst: true });
    this.gru = new GRU(mem, 8, 5, { bidirectional: true, batchFirst: true });
    this.head = new Linear(mem, 10, 11);
  }
  forward(mem: Memory, tokens: Tensor): Tensor {
    return this.head.forward(mem, this.gru.forward(mem, this.lstm.forward(mem, this.emb.forward(mem, tokens))));
  }
}

function steps(mem: Memory, model: Tagger, tokens: Tensor, targets: Tensor, n: number): number[] {
  const losses: number[] = [];
  for (let i = 0; i < n; i++) {
    tidy(() => {
      const loss = crossEntropy(targets.reshape([-1]), model.forward(mem, tokens).reshape([-1, 11]));
      loss.backward();
      mem.applyGradsAdam(0.01);
      losses.push(loss.item());
    });
  }
  return losses;
}

describe("recurrent layers in checkpoints", () => {
  test("a run resumed from a checkpoint repeats the run that went on (dropout masks included)", () => {
    const dir = mkdtempSync(join(tmpdir(), "torchffi-rnn-ckpt-"));
    const live = liveTensors();
    try {
      const path = join(dir, "tagger.ckpt.safetensors");
      const [tokens, targets] = [randint(0, 11, [4, 7]), randint(0, 11, [4, 7])];
      const straight = withMemory((mem) => {
        manualSeed(5);
        const model = new Tagger(mem);
        steps(mem, model, tokens, targets, 3);
        mem.saveCheckpoint(path, { epoch: 3, history: [] });
        const after = steps(mem, model, tokens, targets, 3);
        return { after, weights: mem.namedParameters().map(([n, t]) => [n, t.toArray()]) };
      });
      const resumed = withMemory((mem) => {
        manualSeed(99); // a different start: everything must come from the file
        const model = new Tagger(mem);
        expect(mem.loadCheckpoint(path).epoch).toBe(3);
        const after = steps(mem, model, tokens, targets, 3);
        return { after, weights: mem.namedParameters().map(([n, t]) => [n, t.toArray()]) };
      });
      expect(resumed.after).toEqual(straight.after);
      expect(resumed.weights).toEqual(straight.weights);
      // Dropout really drew from the generator: a second run without the restore differs.
      const fresh = withMemory((mem) => {
        manualSeed(5);
        const model = new Tagger(mem);
        steps(mem, model, tokens, targets, 3);
        manualSeed(1);
        return steps(mem, model, tokens, targets, 3);
      });
      expect(fresh).not.toEqual(straight.after);
      tokens.dispose();
      targets.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(liveTensors()).toBe(live);
  });
});
