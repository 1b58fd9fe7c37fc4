/**
 * MNIST-format datasets (MNIST, Fashion-MNIST): the four IDX files of a
 * directory as float images and int64 labels.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { TorchError } from "../errors.ts";
import { tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import { readIdxTensor } from "./idx.ts";

/**
 * Where Debian's `dataset-fashion-mnist` package puts the files.
 *
 * @example
 * ```ts
 * const { x, y } = loadMnist(FASHION_MNIST_DIR, "test");
 * ```
 */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/**
 * Which half of the dataset: the 60,000 training or the 10,000 test images.
 *
 * @example
 * ```ts
 * const split: MnistSplit = "test";
 * const { x, y } = loadMnist(FASHION_MNIST_DIR, split); // x: [10000, 784]
 * ```
 */
export type MnistSplit = "train" | "test";

/**
 * The dataset directory used when none is given: `TORCHFFI_DATA` if set,
 * otherwise Debian's Fashion-MNIST.
 *
 * @example
 * ```ts
 * console.log(defaultDataDir()); // "/usr/share/datasets/fashion-mnist"
 * ```
 */
export function defaultDataDir(): string {
  return process.env.TORCHFFI_DATA || FASHION_MNIST_DIR;
}

function findFile(dir: string, stem: string): string {
  const dotted = stem.replace(/-(idx\d-ubyte)$/, ".$1");
  for (const name of [stem, `${stem}.gz`, dotted, `${dotted}.gz`]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new TorchError("loadMnist", `cannot find ${stem} (or ${stem}.gz) in ${dir}`);
}

/**
 * Loads a split of an MNIST-format dataset: `x` is `[N, rows*cols]` float32 in
 * [0, 1], `y` is `[N]` int64 class labels. Files may be plain or gzipped; the
 * image and label files are checked to agree.
 *
 * @example
 * ```ts
 * import { loadMnist } from "../../mod.ts";
 * const { x, y } = loadMnist();                  // Fashion-MNIST training split
 * const test = loadMnist(undefined, "test");     // 10,000 test images
 * console.log(x.shape, y.shape);                 // [60000, 784] [60000]
 * ```
 */
export function loadMnist(dir: string = defaultDataDir(), split: MnistSplit = "train"): { x: Tensor; y: Tensor } {
  if (split !== "train" && split !== "test") throw new TorchError("loadMnist", `split must be "train" or "test", got ${JSON.stringify(split)}`);
  const prefix = split === "train" ? "train" : "t10k";
  const imagesPath = findFile(dir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = findFile(dir, `${prefix}-labels-idx1-ubyte`);
  return tidy(() => {
    const images = readIdxTensor(imagesPath);
    const labels = readIdxTensor(labelsPath);
    if (images.dtype !== "uint8" || images.ndim !== 3) {
      throw new TorchError("loadMnist", `${imagesPath}: expected uint8 images [N, rows, cols], got ${images.dtype} [${images.shape.join(", ")}]`);
    }
    if (labels.dtype !== "uint8" || labels.ndim !== 1) {
      throw new TorchError("loadMnist", `${labelsPath}: expected uint8 labels [N], got ${labels.dtype} [${labels.shape.join(", ")}]`);
    }
    const [n, rows, cols] = images.shape;
    if (labels.shape[0] !== n) {
      throw new TorchError("loadMnist", `${imagesPath} holds ${n} images but ${labelsPath} holds ${labels.shape[0]} labels`);
    }
    return { x: images.view([n, rows * cols]).to("float32").div(255), y: labels.to("int64") };
  });
}
