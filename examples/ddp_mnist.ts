/**
 * The seed's CNN trained data-parallel: every rank runs this same script on
 * its share of each epoch, gradients are averaged over the ranks before every
 * step (torch.distributed's Gloo engine), and rank 0 reports.
 *
 * Run 2 ranks on this machine (each at batch 64: the steps of one process at 128):
 *   bun lib/cli.ts run --nproc 2 examples/ddp_mnist.ts [data-dir] [epochs]
 *   deno run -A lib/cli.ts run --nproc 2 examples/ddp_mnist.ts [data-dir] [epochs]
 * Across machines, start the same command on each one with --nnodes, its own
 * --node-rank, and --master-addr/--master-port naming machine 0.
 */
import process from "node:process";
import { accuracy, initProcessGroup, loadMnist, manualSeed, Memory, MnistCnn, predictClasses, train } from "../mod.ts";

const dir = process.argv[2] || undefined; // default: TORCHFFI_DATA or Debian's Fashion-MNIST
const epochs = Number(process.argv[3] ?? 2);

// RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT come from `torchffi run`.
using group = initProcessGroup();
const main = group.rank === 0;

manualSeed(0);
const { x, y } = loadMnist(dir);
const images = x.view([-1, 1, 28, 28]);
const mem = new Memory();
const model = new MnistCnn(mem);

// Every rank calls train() alike; rank 0's weights are broadcast first.
train(mem, images, y, model, {
  epochs,
  batchSize: 64,
  lr: 1e-3,
  optimizer: "adam",
  processGroup: group,
  // The losses are already averaged over the ranks: one of them prints.
  onEpoch: (epoch, loss) => main && console.log(`epoch ${epoch + 1}: loss ${loss.toFixed(4)} (${group.worldSize} ranks)`),
});

if (main) {
  const test = loadMnist(dir, "test");
  console.log("Test accuracy:", accuracy(test.y, predictClasses(mem, model, test.x.view([-1, 1, 28, 28]))));
}
