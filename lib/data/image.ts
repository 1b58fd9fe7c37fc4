/**
 * PNG and JPEG images as `[C, H, W]` float tensors in [0, 1], through pure-JS
 * codecs (`fast-png`, `jpeg-js`) that run the same on Deno and Bun.
 *
 * @module
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import process from "node:process";
// npm: specifiers, so that Deno resolves the codecs on its own even when a
// script elsewhere imports this file by path (bare names would resolve only
// from the entry script's project). Bun maps them through tsconfig.json's
// "paths"; the compiled npm package imports them by their bare names.
import { convertIndexedToRgb, decode as decodePng, encode as encodePng } from "npm:fast-png@8.0.0";
import jpeg from "npm:jpeg-js@0.4.4";
import { tensor } from "../creation.ts";
import { TorchError } from "../errors.ts";
import { tidy } from "../scope.ts";
import { operand, type Tensor } from "../tensor.ts";

/**
 * Options of `saveImage`.
 *
 * @example
 * ```ts
 * saveImage("edges.jpg", edges, { quality: 75 });
 * ```
 */
export interface SaveImageOptions {
  /** JPEG quality, 1 to 100 (default 90). */
  quality?: number;
}

function isPng(bytes: Uint8Array): boolean {
  return bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8;
}

// Interleaved HWC samples to a [C, H, W] float tensor in [0, 1].
function planar(samples: Uint8Array | Uint16Array, height: number, width: number, channels: number, max: number): Tensor {
  return tidy(() => {
    const hwc = samples instanceof Uint16Array ? tensor(Int32Array.from(samples), [height, width, channels]) : tensor(samples, [height, width, channels]);
    return hwc.permute([2, 0, 1]).to("float32").div(max).contiguous();
  });
}

/**
 * Loads a PNG or JPEG file (recognised by its bytes, not its name) as a
 * float32 `[C, H, W]` tensor in [0, 1], with the file's channels: 1 (gray),
 * 2 (gray + alpha), 3 (RGB) or 4 (RGBA). Palette PNGs become RGB(A).
 *
 * @example
 * ```ts
 * import { loadImage } from "../../mod.ts";
 * const img = loadImage("examples/sample.png"); // [3, 120, 160]
 * ```
 */
export function loadImage(path: string): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new TorchError("loadImage", `cannot read ${path} (${(error as Error).message})`);
  }
  try {
    if (isPng(bytes)) {
      const png = decodePng(bytes);
      if (png.palette) {
        const rgb = convertIndexedToRgb(png);
        const channels = rgb.length / (png.width * png.height);
        return planar(rgb, png.height, png.width, channels, 255);
      }
      const max = png.depth === 16 ? 65535 : (2 ** png.depth) - 1;
      const samples = png.data instanceof Uint16Array ? png.data : new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length);
      return planar(samples, png.height, png.width, png.channels, max);
    }
    if (isJpeg(bytes)) {
      const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
      const channels = decoded.data.length / (decoded.width * decoded.height);
      return planar(decoded.data, decoded.height, decoded.width, channels, 255);
    }
  } catch (error) {
    if (error instanceof TorchError) throw error;
    throw new TorchError("loadImage", `cannot decode ${path}: ${(error as Error).message ?? String(error)}`);
  }
  throw new TorchError("loadImage", `${path} is neither a PNG nor a JPEG file`);
}

/**
 * Saves a `[C, H, W]` (C = 1, 3 or 4) or `[H, W]` tensor with values in [0, 1]
 * as PNG or JPEG, chosen by the file extension. Values are clamped to [0, 1]
 * and rounded to 8 bits. The write is atomic.
 *
 * @example
 * ```ts
 * import { rand, saveImage } from "../../mod.ts";
 * saveImage("noise.png", rand([3, 64, 64]));
 * ```
 */
export function saveImage(path: string, image: Tensor, options: SaveImageOptions = {}): void {
  operand(image, "saveImage");
  const format = /\.png$/i.test(path) ? "png" : /\.jpe?g$/i.test(path) ? "jpeg" : null;
  if (!format) throw new TorchError("saveImage", `${path}: the name must end in .png, .jpg or .jpeg`);
  const shape = image.ndim === 2 ? [1, ...image.shape] : [...image.shape];
  const [channels, height, width] = shape;
  if (shape.length !== 3 || ![1, 3, 4].includes(channels)) {
    throw new TorchError("saveImage", `expected an image [C, H, W] with C = 1, 3 or 4, or [H, W]; got [${image.shape.join(", ")}]`);
  }
  const pixels = tidy(() =>
    image.reshape(shape).mul(255).add(0.5).clamp(0, 255).to("uint8").permute([1, 2, 0]).contiguous().toTypedArray() as Uint8Array
  );
  let encoded: Uint8Array;
  if (format === "png") {
    encoded = encodePng({ width, height, data: pixels, channels, depth: 8 });
  } else {
    const rgba = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) {
      for (let c = 0; c < 3; c++) rgba[4 * p + c] = pixels[p * channels + (channels === 1 ? 0 : c)];
      rgba[4 * p + 3] = 255;
    }
    const quality = options.quality ?? 90;
    if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new TorchError("saveImage", `quality must be 1..100, got ${quality}`);
    encoded = new Uint8Array(jpeg.encode({ width, height, data: rgba }, quality).data);
  }
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, encoded);
    renameSync(temporary, path);
  } catch (error) {
    throw new TorchError("saveImage", `cannot write ${path} (${(error as Error).message})`);
  }
}

/**
 * Converts RGB (or RGBA, alpha ignored) images `[..., C, H, W]` to grayscale
 * `[..., 1, H, W]` with the luminance weights 0.299 R + 0.587 G + 0.114 B.
 *
 * @example
 * ```ts
 * const gray = rgbToGrayscale(loadImage("examples/sample.png")); // [1, H, W]
 * ```
 */
export function rgbToGrayscale(image: Tensor): Tensor {
  operand(image, "rgbToGrayscale");
  const channels = image.ndim >= 3 ? image.shape[image.ndim - 3] : 0;
  if (channels !== 3 && channels !== 4) {
    throw new TorchError("rgbToGrayscale", `expected an RGB image [..., 3, H, W], got [${image.shape.join(", ")}]`);
  }
  return tidy(() => {
    const channel = (c: number) => image.narrow(-3, c, 1);
    return channel(0).mul(0.299).add(channel(1).mul(0.587)).add(channel(2).mul(0.114));
  });
}
