/**
 * A small residual CNN with BatchNorm (`MnistResNet`) trained on Fashion-MNIST
 * with Adam: `train()` puts the model in train mode (BatchNorm normalises each
 * batch and updates its running statistics), `predictClasses` evaluates it in
 * eval mode (BatchNorm uses those running statistics).
 *
 * Run: deno run -A examples/resnet_fashion.ts [data-dir] [--epochs 12] [--decay 3] [--batch 128] [--limit N] [--width 16] [--lr 0.001]
 *  or: bun examples/resnet_fashion.ts [data-dir] [--epochs 12] [--decay 3] [--batch 128] [--limit N] [--width 16] [--lr 0.001]
 *
 * The last `--decay` of the `--epochs` run at a tenth of the learning rate (a
 * second `train()` call: Adam's state lives in `mem`, so it carries on).
 * `--limit N` trains on the first N training images only (a quick look);
 * the test split is always used whole.
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { accuracy, crossEntropy, loadMnist, manualSeed, Memory, MnistResNet, predictClasses, tidy, train } from "../mod.ts";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: {
    epochs: { type: "string", default: "12" },
    decay: { type: "string", default: "3" },
    batch: { type: "string", default: "128" },
    limit: { type: "string" },
    width: { type: "string", default: "16" },
    lr: { type: "string", default: "0.001" },
  },
  allowPositionals: true,
  strict: true,
});
const dir = positionals[0] || undefined; // default: TORCHFFI_DATA or Debian's Fashion-MNIST
const epochs = Number(values.epochs);
const decay = Math.min(Number(values.decay), epochs);
const batchSize = Number(values.batch);
const width = Number(values.width);
const lr = Number(values.lr);

manualSeed(0);
const full = loadMnist(dir);
const limit = values.limit === undefined ? full.x.shape[0] : Math.min(Number(values.limit), full.x.shape[0]);
const x = full.x.narrow(0, 0, limit).view([-1, 1, 28, 28]);
const y = full.y.narrow(0, 0, limit);
const test = loadMnist(dir, "test");
const testImages = test.x.view([-1, 1, 28, 28]);

const mem = new Memory();
const model = new MnistResNet(mem, width);
console.log(`${limit} training images, ${epochs} epochs (the last ${decay} at lr/10), batch ${batchSize}, width ${width}, lr ${lr}`);
console.log(mem.paramsInfo());

const started = performance.now();
const fit = (firstEpoch: number, count: number, rate: number) => {
  if (count === 0) return;
  train(mem, x, y, model, {
    epochs: count,
    batchSize,
    loss: crossEntropy,
    lr: rate,
    optimizer: "adam",
    onEpoch: (epoch, loss) => {
      // predictClasses switches to eval mode and back, so training goes on unchanged.
      const testAccuracy = tidy(() => accuracy(test.y, predictClasses(mem, model, testImages)));
      const seconds = (performance.now() - started) / 1000;
      console.log(`epoch ${firstEpoch + epoch + 1}: loss ${loss.toFixed(4)}, test accuracy ${testAccuracy.toFixed(4)} (${seconds.toFixed(0)} s)`);
    },
  });
};
fit(0, epochs - decay, lr);
fit(epochs - decay, decay, lr / 10);

console.log("Train accuracy:", accuracy(y, predictClasses(mem, model, x)));
console.log("Test accuracy:", accuracy(test.y, predictClasses(mem, model, testImages)));
console.log(`Wall time: ${((performance.now() - started) / 1000).toFixed(0)} s`);
