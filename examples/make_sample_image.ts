/**
 * Draws examples/sample.png, the picture the kernels example works on: a sky
 * gradient, a sun, two hills and a house, with edges for the kernels to find.
 * The image is generated here so the project ships nothing it did not make.
 *
 * Run: deno run -A examples/make_sample_image.ts   (or: bun examples/make_sample_image.ts)
 */
import { fileURLToPath } from "node:url";
import { saveImage, tensor } from "../mod.ts";

const width = 160, height = 120;
const rgb = new Float32Array(3 * width * height);

function paint(x: number, y: number, color: readonly number[]): void {
  for (let c = 0; c < 3; c++) rgb[c * width * height + y * width + x] = color[c];
}

for (let y = 0; y < height; y++) {
  for (let x = 0; x < width; x++) {
    const t = y / height;
    let color = [0.35 + 0.4 * t, 0.6 + 0.3 * t, 0.95];                         // sky, lighter toward the horizon
    if ((x - 125) ** 2 + (y - 25) ** 2 < 14 ** 2) color = [1.0, 0.85, 0.2];    // sun
    if (y > 85 - 18 * Math.sin((x / width) * Math.PI)) color = [0.3, 0.65, 0.25]; // far hill
    if (y > 100 - 10 * Math.cos((x / width) * 2 * Math.PI)) color = [0.2, 0.5, 0.15]; // near hill
    const inWalls = x >= 40 && x < 85 && y >= 62 && y < 98;
    const inRoof = y >= 40 && y < 62 && Math.abs(x - 62.5) < (y - 40) * 1.2;
    if (inWalls) color = [0.85, 0.75, 0.6];
    if (inRoof) color = [0.7, 0.2, 0.15];
    if (x >= 55 && x < 68 && y >= 76 && y < 98) color = [0.4, 0.25, 0.1];     // door
    if (x >= 72 && x < 81 && y >= 68 && y < 77) color = [0.55, 0.8, 0.95];    // window
    paint(x, y, color);
  }
}

const out = fileURLToPath(new URL("./sample.png", import.meta.url));
saveImage(out, tensor(rgb, [3, height, width]));
console.log(`wrote ${out} (${width}x${height})`);
