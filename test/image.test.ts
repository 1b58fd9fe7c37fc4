// PNG and JPEG images as [C, H, W] float tensors: exact 8-bit round trips for
// PNG, close ones for JPEG, the seed's grayscale weights, and clear errors.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { arange, loadImage, rand, rgbToGrayscale, saveImage, type Tensor, tensor, tidy, TorchError } from "../mod.ts";

const work = mkdtempSync(join(tmpdir(), "torchffi-image-"));

// Random pixels that 8 bits represent exactly.
function eightBit(shape: number[]): Tensor {
  return rand(shape).mul(255).to("int32").to("float32").div(255);
}

describe("PNG", () => {
  for (const channels of [1, 3, 4]) {
    test(`${channels}-channel images survive a save and load exactly`, () => {
      tidy(() => {
        const image = eightBit([channels, 17, 23]);
        const path = join(work, `c${channels}.png`);
        saveImage(path, image);
        const loaded = loadImage(path);
        expect([...loaded.shape]).toEqual([channels, 17, 23]);
        expect(loaded.dtype).toBe("float32");
        expect(loaded.sub(image).abs().max().item()).toBeLessThan(1e-6);
      });
    });
  }

  test("a [H, W] tensor is saved as a one-channel image; values outside [0, 1] are clamped", () => {
    tidy(() => {
      const path = join(work, "hw.png");
      saveImage(path, tensor([[-0.5, 0, 0.5], [1, 1.5, 0.25]]));
      const loaded = loadImage(path);
      expect([...loaded.shape]).toEqual([1, 2, 3]);
      expect(loaded.mul(255).toArray()).toEqual([[[0, 0, 128], [255, 255, 64]]]);
    });
  });
});

describe("JPEG", () => {
  test("a smooth image comes back close (JPEG is lossy), with three channels", () => {
    tidy(() => {
      const columns = arange(0, 1, 1 / 64, "float32").view([1, 1, 64]);
      const rows = arange(0, 1, 1 / 48, "float32").view([1, 48, 1]);
      const image = columns.mul(rows.add(0.5).div(1.5)).mul(tensor([1, 0.6, 0.3]).view([3, 1, 1]));
      const path = join(work, "ramp.jpg");
      saveImage(path, image, { quality: 95 });
      const loaded = loadImage(path);
      expect([...loaded.shape]).toEqual([3, 48, 64]);
      expect(loaded.sub(image).abs().mean().item()).toBeLessThan(0.01);
    });
  });

  test("a gray image saved as JPEG loads with the same gray in every channel", () => {
    tidy(() => {
      const path = join(work, "gray.jpeg");
      saveImage(path, eightBit([1, 16, 16]));
      const loaded = loadImage(path);
      expect([...loaded.shape]).toEqual([3, 16, 16]);
      expect(loaded.get(0).sub(loaded.get(2)).abs().max().item()).toBeLessThan(0.02);
    });
  });
});

describe("rgbToGrayscale", () => {
  test("0.299 R + 0.587 G + 0.114 B, keeping a channel dim, for one image or a batch", () => {
    tidy(() => {
      const rgb = tensor([[[1, 0]], [[0, 1]], [[0.5, 0.5]]]); // [3, 1, 2]
      const gray = rgbToGrayscale(rgb);
      expect([...gray.shape]).toEqual([1, 1, 2]);
      const [a, b] = gray.toFloat32Array();
      expect(a).toBeCloseTo(0.299 + 0.057, 6);
      expect(b).toBeCloseTo(0.587 + 0.057, 6);
      expect([...rgbToGrayscale(rand([5, 4, 8, 8])).shape]).toEqual([5, 1, 8, 8]);
    });
  });
});

describe("errors", () => {
  test("bad names, shapes and files are TorchErrors that say what is wrong", () => {
    tidy(() => {
      const notAnImage = join(work, "text.png");
      writeFileSync(notAnImage, "this is not a picture");
      const brokenPng = join(work, "broken.png");
      writeFileSync(brokenPng, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
      const cases: [() => unknown, RegExp][] = [
        [() => saveImage(join(work, "x.gif"), rand([3, 4, 4])), /must end in \.png, \.jpg or \.jpeg/],
        [() => saveImage(join(work, "x.png"), rand([2, 4, 4])), /C = 1, 3 or 4/],
        [() => saveImage(join(work, "x.png"), rand([4])), /\[C, H, W\]/],
        [() => saveImage(join(work, "no", "such", "dir.png"), rand([1, 2, 2])), /cannot write/],
        [() => loadImage(join(work, "missing.png")), /cannot read/],
        [() => loadImage(notAnImage), /neither a PNG nor a JPEG/],
        [() => loadImage(brokenPng), /cannot decode/],
        [() => rgbToGrayscale(rand([2, 4, 4])), /expected an RGB image/],
      ];
      for (const [fn, message] of cases) {
        expect(fn).toThrow(TorchError);
        expect(fn).toThrow(message);
      }
    });
  });
});
