/**
 * The seed's two MNIST models, ready-made for the command-line tool and the
 * benchmarks. (The examples spell the same models out as a newcomer would.)
 *
 * @module
 */
import type { Memory } from "../memory.ts";
import type { Tensor } from "../tensor.ts";
import type { Compute } from "./compute.ts";
import { Conv2d } from "./conv2d.ts";
import { Linear } from "./linear.ts";

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
