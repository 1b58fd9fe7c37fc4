/**
 * The seed's feed-forward network: 784-128-10 with a ReLU, trained on
 * MNIST-format data (Fashion-MNIST by default) with plain SGD.
 *
 * Run: deno run -A examples/ffn_mnist.ts [data-dir] [epochs]
 *  or: bun examples/ffn_mnist.ts [data-dir] [epochs]
 */
import process from "node:process";
import { accuracy, type Compute, Linear, loadMnist, manualSeed, Memory, predictClasses, type Tensor, train } from "../mod.ts";

class MyModel implements Compute {
  l1: Linear;
  l2: Linear;

  constructor(mem: Memory) {
    this.l1 = new Linear(mem, 784, 128);
    this.l2 = new Linear(mem, 128, 10);
  }

  forward(mem: Memory, input: Tensor): Tensor {
    return this.l2.forward(mem, this.l1.forward(mem, input).relu());
  }
}

const dir = process.argv[2] || undefined; // default: TORCHFFI_DATA or Debian's Fashion-MNIST
const epochs = Number(process.argv[3] ?? 5);

manualSeed(0);
const { x, y } = loadMnist(dir);
const test = loadMnist(dir, "test");

const mem = new Memory();
const model = new MyModel(mem);
train(mem, x, y, model, {
  epochs,
  batchSize: 64,
  lr: 0.1,
  optimizer: "sgd",
  onEpoch: (epoch, loss) => console.log(`epoch ${epoch + 1}: loss ${loss.toFixed(4)}`),
});
console.log("Test accuracy:", accuracy(test.y, predictClasses(mem, model, test.x)));
