/**
 * A character-level language model: Embedding -> LSTM -> Linear, trained to
 * predict the next character of a text every Debian system ships (the GNU GPL,
 * version 3), with Adam and gradient clipping. Every few hundred steps it
 * writes a sample, one character at a time, carrying the LSTM's state along:
 * noise at first, then words, then licence-like sentences.
 *
 * Run: deno run -A examples/char_rnn.ts [text-file] [steps] [hidden-size]
 *  or: bun examples/char_rnn.ts [text-file] [steps] [hidden-size]
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { clipGradNorm, crossEntropy, Embedding, Linear, LSTM, type LSTMState, manualSeed, Memory, noGrad, type Tensor, tensor, tidy } from "../mod.ts";

const path = process.argv[2] || "/usr/share/common-licenses/GPL-3";
const steps = Number(process.argv[3] ?? 1000);
const hidden = Number(process.argv[4] ?? 256);
const seqLength = 64, batchSize = 32, sampleLength = 160;

const text = readFileSync(path, "utf8");
const chars = [...new Set(text)].sort();
const indexOf = new Map(chars.map((c, i) => [c, i]));
const codes = Array.from(text, (c) => indexOf.get(c)!);
console.log(`${path}: ${text.length} characters, ${chars.length} distinct; LSTM of ${hidden}, ${steps} steps`);

/** The model: each character's vector, an LSTM over the sequence, scores for the next character. */
class CharModel {
  readonly emb: Embedding;
  readonly lstm: LSTM;
  readonly head: Linear;

  constructor(mem: Memory, vocab: number) {
    this.emb = new Embedding(mem, vocab, 64, { name: "emb" });
    this.lstm = new LSTM(mem, 64, hidden, { batchFirst: true, name: "lstm" });
    this.head = new Linear(mem, hidden, vocab, { name: "head" });
  }

  /** `tokens [batch, seq]` to next-character scores `[batch, seq, vocab]`, and the state after the last step. */
  step(mem: Memory, tokens: Tensor, state?: LSTMState): { logits: Tensor; state: LSTMState } {
    const { output, state: next } = this.lstm.forwardWithState(mem, this.emb.forward(mem, tokens), state);
    return { logits: this.head.forward(mem, output), state: next };
  }
}

// A small, seeded generator for the batch positions and the sampling, so a run repeats exactly.
let seed = 1234;
function random(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A batch of random windows: inputs and the same windows shifted by one character. */
function batch(): { input: Tensor; target: Tensor } {
  const input: number[] = [], target: number[] = [];
  for (let b = 0; b < batchSize; b++) {
    const start = Math.floor(random() * (codes.length - seqLength - 1));
    input.push(...codes.slice(start, start + seqLength));
    target.push(...codes.slice(start + 1, start + seqLength + 1));
  }
  return { input: tensor(input, [batchSize, seqLength], "int64"), target: tensor(target, [batchSize * seqLength], "int64") };
}

/** Writes `length` characters after `prompt`, feeding each one back in (temperature 0.8). */
function sample(mem: Memory, model: CharModel, prompt: string, length: number): string {
  mem.eval();
  let out = prompt;
  noGrad(() => {
    let { logits, state } = model.step(mem, tensor([Array.from(prompt, (c) => indexOf.get(c)!)], undefined, "int64"));
    for (let i = 0; i < length; i++) {
      const scores = logits.select(1, logits.shape[1] - 1).div(0.8).softmax(-1).toFloat32Array();
      let r = random(), next = scores.length - 1;
      for (let k = 0; k < scores.length; k++) {
        if ((r -= scores[k]) < 0) {
          next = k;
          break;
        }
      }
      out += chars[next];
      ({ logits, state } = tidy(() => model.step(mem, tensor([[next]], undefined, "int64"), state)));
    }
  });
  mem.train();
  return out;
}

manualSeed(0);
const mem = new Memory();
const model = new CharModel(mem, chars.length);
const every = Math.max(1, Math.floor(steps / 4));
const show = (step: number) => console.log(`--- sample after ${step} steps ---\n${tidy(() => sample(mem, model, "The ", sampleLength))}\n`);

show(0);
let running = 0;
for (let step = 1; step <= steps; step++) {
  const loss = tidy(() => {
    const { input, target } = batch();
    const { logits } = model.step(mem, input);
    const loss = crossEntropy(target, logits.reshape([-1, chars.length]));
    loss.backward();
    clipGradNorm(mem, 1.0);
    mem.applyGradsAdam(2e-3);
    return loss.item();
  });
  running = step === 1 ? loss : 0.9 * running + 0.1 * loss;
  if (step % every === 0 || step === steps) {
    console.log(`step ${step}: loss ${running.toFixed(4)}`);
    show(step);
  }
}
mem.dispose();
