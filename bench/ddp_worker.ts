/**
 * One process of bench/ddp.ts: the seed's CNN trained with `train()` and Adam
 * on the first Fashion-MNIST images, one thread. With RANK set it is one rank
 * of a process group (each at --batch); alone it is the single-process
 * baseline. Rank 0 prints the median step time and the final loss as JSON.
 *
 * Run: bun bench/ddp_worker.ts --batch 128 --warmup 5 --steps 40
 *
 * @module
 */
import process from "node:process";
import { initProcessGroup, loadMnist, manualSeed, Memory, MnistCnn, setNumThreads, train } from "../mod.ts";

const SEED = 1; // as bench/workloads.ts
const LR = 1e-3;

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

const batch = flag("batch", 128), warmup = flag("warmup", 5), steps = flag("steps", 40);
setNumThreads(1);
using group = process.env.RANK === undefined ? undefined : initProcessGroup({ timeout: 120_000 });
const world = group?.worldSize ?? 1;
const { x, y } = loadMnist(process.env.TORCHFFI_DATA || undefined);
// Exactly warmup + steps full steps of batch * world samples.
const n = (warmup + steps) * batch * world;
const images = x.narrow(0, 0, n).view([-1, 1, 28, 28]);
const labels = y.narrow(0, 0, n);
using mem = new Memory();
manualSeed(SEED);
const model = new MnistCnn(mem);
const times: number[] = [];
let last = performance.now(), loss = NaN;
train(mem, images, labels, model, {
  epochs: 1,
  batchSize: batch,
  lr: LR,
  optimizer: "adam",
  processGroup: group,
  onBatch: (progress) => {
    const now = performance.now();
    times.push(now - last);
    last = now;
    loss = progress.loss;
  },
});
const measured = times.slice(warmup).sort((a, b) => a - b);
const median = measured[measured.length >> 1];
if ((group?.rank ?? 0) === 0) console.log(JSON.stringify({ median_ms: median, loss, steps: times.length, world }));
