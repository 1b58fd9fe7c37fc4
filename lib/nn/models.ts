/**
 * The seed's two MNIST models, ready-made for the command-line tool and the
 * benchmarks. (The examples spell the same models out as a newcomer would.)
 *
 * @module
 */
import type { Memory } from "../memory.ts";
import type { Tensor } from "../tensor.ts";
import { BatchNorm2d } from "./batch_norm.ts";
import type { Compute } from "./compute.ts";
import { Conv2d } from "./conv2d.ts";
import { Linear } from "./linear.ts";
import { BasicBlock } from "./residual.ts";

/**
 * The seed's CNN (its Listing 1): two 5x5 convolutions with 2x2 max pooling,
 * then 320-64-10 fully connected with a ReLU. Input `[N, 1, 28, 28]`.
 *
 * @example
 * ```ts
 * const mem = new Memory();
 * const model = new MnistCnn(mem);
 * const logits = model.forward(mem, images.view([-1, 1, 28, 28])); // [N, 10]
 * ```
 */
export class MnistCnn implements Compute {
  /** 5x5 convolution, 1 to 10 channels. */
  readonly l1: Conv2d;
  /** 5x5 convolution, 10 to 20 channels. */
  readonly l2: Conv2d;
  /** 320 to 64 features. */
  readonly l3: Linear;
  /** 64 features to 10 class scores. */
  readonly l4: Linear;

  /** Registers the four layers in `mem` as `l1`...`l4`. */
  constructor(mem: Memory) {
    // Named after the attributes, as a PyTorch module's state dict would be.
    this.l1 = new Conv2d(mem, 5, 1, 10, 1, { name: "l1" });
    this.l2 = new Conv2d(mem, 5, 10, 20, 1, { name: "l2" });
    this.l3 = new Linear(mem, 320, 64, { name: "l3" });
    this.l4 = new Linear(mem, 64, 10, { name: "l4" });
  }

  /** Class scores `[N, 10]` for images `[N, 1, 28, 28]`. */
  forward(mem: Memory, input: Tensor): Tensor {
    let o = this.l1.forward(mem, input).maxPool2d(2);
    o = this.l2.forward(mem, o).maxPool2d(2);
    o = this.l3.forward(mem, o.flatView()).relu();
    return this.l4.forward(mem, o);
  }
}

/**
 * The seed's feed-forward network: 784-128-10 with a ReLU. Input `[N, 784]`.
 *
 * @example
 * ```ts
 * const mem = new Memory();
 * const model = new MnistFfn(mem);
 * const logits = model.forward(mem, images); // [N, 10]
 * ```
 */
export class MnistFfn implements Compute {
  /** 784 to 128 features. */
  readonly l1: Linear;
  /** 128 features to 10 class scores. */
  readonly l2: Linear;

  /** Registers the two layers in `mem` as `l1` and `l2`. */
  constructor(mem: Memory) {
    this.l1 = new Linear(mem, 784, 128, { name: "l1" });
    this.l2 = new Linear(mem, 128, 10, { name: "l2" });
  }

  /** Class scores `[N, 10]` for images `[N, 784]`. */
  forward(mem: Memory, input: Tensor): Tensor {
    return this.l2.forward(mem, this.l1.forward(mem, input).relu());
  }
}

/**
 * A small residual CNN with BatchNorm for 28x28 images (MNIST, Fashion-MNIST):
 * a 3x3 convolution to `width` channels, three `BasicBlock`s (`width`,
 * `2·width` at stride 2, `4·width` at stride 2), global average pooling and a
 * linear layer to 10 classes. Input `[N, 1, 28, 28]`. Names follow a PyTorch
 * module with attributes `conv1`, `bn1`, `layer1`..`layer3` (torchvision
 * `BasicBlock`s) and `fc`. Train it with `train()` (train mode) and evaluate
 * with `predictClasses` (eval mode: BatchNorm uses its running statistics).
 *
 * @example
 * ```ts
 * const mem = new Memory();
 * const model = new MnistResNet(mem);
 * train(mem, images.view([-1, 1, 28, 28]), labels, model, { epochs: 1, batchSize: 128, lr: 1e-3 });
 * ```
 */
export class MnistResNet implements Compute {
  /** 3x3 stem convolution, 1 to `width` channels. */
  readonly conv1: Conv2d;
  /** BatchNorm after the stem. */
  readonly bn1: BatchNorm2d;
  /** Residual block at full resolution. */
  readonly layer1: BasicBlock;
  /** Residual block halving the resolution, doubling the channels. */
  readonly layer2: BasicBlock;
  /** Residual block halving the resolution again. */
  readonly layer3: BasicBlock;
  /** Pooled features to 10 class scores. */
  readonly fc: Linear;

  /** Registers every layer in `mem` under PyTorch-style names, `width` channels in the first stage. */
  constructor(mem: Memory, width = 16) {
    this.conv1 = new Conv2d(mem, 3, 1, width, 1, { padding: 1, bias: false, name: "conv1" });
    this.bn1 = new BatchNorm2d(mem, width, { name: "bn1" });
    this.layer1 = new BasicBlock(mem, width, width, 1, "layer1");
    this.layer2 = new BasicBlock(mem, width, 2 * width, 2, "layer2");
    this.layer3 = new BasicBlock(mem, 2 * width, 4 * width, 2, "layer3");
    this.fc = new Linear(mem, 4 * width, 10, { name: "fc" });
  }

  forward(mem: Memory, input: Tensor): Tensor {
    let o = this.bn1.forward(mem, this.conv1.forward(mem, input)).relu();
    o = this.layer3.forward(mem, this.layer2.forward(mem, this.layer1.forward(mem, o)));
    return this.fc.forward(mem, o.mean([2, 3]));
  }
}
