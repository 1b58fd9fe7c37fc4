/**
 * The seed's toy program: run classic image kernels over a picture with conv2d.
 * Load a colour image, make it grayscale, smooth it with the Sobel smoothing
 * kernel ([1,2,1]ᵀ[1,2,1] / 16), then find edges with the Laplacian, and save
 * the edge map next to the input.
 *
 * Run: deno run -A examples/kernels.ts [input.png] [output.png]
 *  or: bun examples/kernels.ts [input.png] [output.png]
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import { loadImage, rgbToGrayscale, saveImage, type Tensor, tensor, tidy } from "../mod.ts";

/** The 3x3 smoothing kernel of the Sobel operator, divided by 16 so it sums to 1. */
export const SMOOTH = [[1, 2, 1], [2, 4, 2], [1, 2, 1]];
/** The 4-neighbour Laplacian: responds where brightness changes. */
export const LAPLACIAN = [[0, 1, 0], [1, -4, 1], [0, 1, 0]];

/**
 * RGB image [3, H, W] in, edge map [1, H-4, W-4] in [0, 1] out: grayscale,
 * smoothing, Laplacian, then absolute values scaled so the strongest edge is 1.
 */
export function edgeMap(image: Tensor): Tensor {
  return tidy(() => {
    const gray = rgbToGrayscale(image).unsqueeze(0);                 // [1, 1, H, W]
    const smooth = tensor(SMOOTH).div(16).view([1, 1, 3, 3]);
    const laplacian = tensor(LAPLACIAN).view([1, 1, 3, 3]);
    const edges = gray.conv2d(smooth).conv2d(laplacian).abs();       // [1, 1, H-4, W-4]
    return edges.div(edges.max()).squeeze(0);
  });
}

if (import.meta.main) {
  const input = process.argv[2] ?? fileURLToPath(new URL("./sample.png", import.meta.url));
  const output = process.argv[3] ?? input.replace(/(\.\w+)?$/, "_edges.png");
  const image = loadImage(input);
  console.log(`loaded ${input}: [${image.shape.join(", ")}]`);
  const edges = edgeMap(image);
  saveImage(output, edges);
  console.log(`saved ${output}: [${edges.shape.join(", ")}]`);
}
