/**
 * A model from PyTorch, used and fine-tuned from TypeScript, and taken back:
 *
 *   /usr/bin/python3 examples/pytorch_model.py train models/   # PyTorch trains the seed's CNN: cnn.pt, cnn.safetensors
 *   bun examples/pytorch_model.ts models/                      # or: deno run -A examples/pytorch_model.ts models/
 *   /usr/bin/python3 examples/pytorch_model.py eval models/cnn_tuned.pt
 *
 * Run: bun examples/pytorch_model.ts <model-dir> [data-dir] [train-images]
 */
import { join } from "node:path";
import process from "node:process";
import { accuracy, loadMnist, loadScriptModule, Memory, MnistCnn, predictClasses, type Tensor, train } from "../mod.ts";

const [modelDir, dataDir, limit] = process.argv.slice(2);
if (!modelDir) {
  console.error("usage: pytorch_model.ts <model-dir> [data-dir] [train-images]");
  process.exit(2);
}
const { x, y } = loadMnist(dataDir);
const test = loadMnist(dataDir, "test");
const images = (t: Tensor) => t.view([-1, 1, 28, 28]);
const trainX = images(x).narrow(0, 0, Number(limit ?? x.shape[0]));
const trainY = y.narrow(0, 0, trainX.shape[0]);

// 1. The TorchScript file: forward runs PyTorch's own graph.
using cnn = loadScriptModule(join(modelDir, "cnn.pt"));
const asCompute = { forward: (_mem: Memory, input: Tensor) => cnn.forward(input) as Tensor };
cnn.eval();
console.log(`TorchScript model: test accuracy ${accuracy(test.y, predictClasses(cnn.memory, asCompute, images(test.x))).toFixed(4)}`);

// 2. The state dict: the same weights in torchffi's own MnistCnn, whose layers are named l1..l4 like the Python module's.
using mem = new Memory();
const native = new MnistCnn(mem);
mem.load(join(modelDir, "cnn.safetensors"));
console.log(`state dict in MnistCnn: test accuracy ${accuracy(test.y, predictClasses(mem, native, images(test.x))).toFixed(4)}`);

// 3. Fine-tune the TorchScript model in place with torchffi's Adam, then save it for Python.
cnn.train();
train(cnn.memory, trainX, trainY, asCompute, {
  epochs: 1,
  batchSize: 32,
  lr: 5e-4,
  optimizer: "adam",
  onEpoch: (epoch, loss) => console.log(`fine-tuning epoch ${epoch + 1}: loss ${loss.toFixed(4)}`),
});
cnn.eval();
console.log(`fine-tuned: test accuracy ${accuracy(test.y, predictClasses(cnn.memory, asCompute, images(test.x))).toFixed(4)}`);
cnn.save(join(modelDir, "cnn_tuned.pt"));
cnn.memory.save(join(modelDir, "cnn_tuned.safetensors"));
console.log(`saved ${join(modelDir, "cnn_tuned.pt")} (torch.jit.load) and cnn_tuned.safetensors (load_state_dict)`);
