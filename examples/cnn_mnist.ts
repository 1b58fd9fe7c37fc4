/**
 * The seed's Listings 1 and 2 in TypeScript: a small CNN trained on MNIST-format
 * data (Fashion-MNIST by default), then its accuracy on the training and test splits.
 *
 * Run: deno run -A examples/cnn_mnist.ts [data-dir] [epochs]
 *  or: bun examples/cnn_mnist.ts [data-dir] [epochs]
 */
import process from "node:process";
import {
  accuracy,
  type Compute,
  Conv2d,
  crossEntropy,
  Linear,
  loadMnist,
  manualSeed,
  Memory,
  predictClasses,
  type Tensor,
  train,
} from "../mod.ts";

class MyModel implements Compute {
  l1: Conv2d;
  l2: Conv2d;
  l3: Linear;
  l4: Linear;

  constructor(mem: Memory) {
    this.l1 = new Conv2d(mem, 5, 1, 10, 1); // kernelSize, inChannels, outChannels, stride
    this.l2 = new Conv2d(mem, 5, 10, 20, 1);
    this.l3 = new Linear(mem, 320, 64);
    this.l4 = new Linear(mem, 64, 10);
  }

  forward(mem: Memory, input: Tensor): Tensor {
    let o = this.l1.forward(mem, input).maxPool2d(2);
    o = this.l2.forward(mem, o).maxPool2d(2);
    o = this.l3.forward(mem, o.flatView()).relu();
    return this.l4.forward(mem, o);
  }
}

const dir = process.argv[2] || undefined; // default: TORCHFFI_DATA or Debian's Fashion-MNIST
const epochs = Number(process.argv[3] ?? 2);

manualSeed(0);
const { x, y } = loadMnist(dir);
const test = loadMnist(dir, "test");
const images = x.view([-1, 1, 28, 28]);

const mem = new Memory();
const model = new MyModel(mem);
console.log(mem.paramsInfo());

train(mem, images, y, model, {
  epochs,
  batchSize: 128,
  loss: crossEntropy,
  lr: 1e-3,
  optimizer: "adam",
  onEpoch: (epoch, loss) => console.log(`epoch ${epoch + 1}: loss ${loss.toFixed(4)}`),
});

// predictClasses runs the model in batches, without recording gradients.
console.log("Train accuracy:", accuracy(y, predictClasses(mem, model, images)));
console.log("Test accuracy:", accuracy(test.y, predictClasses(mem, model, test.x.view([-1, 1, 28, 28]))));
