// Shared by the tests: building tensors from PyTorch fixtures and comparing results.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { expect } from "vitest";
import { type Compute, crossEntropy, type DType, liveTensors, type Memory, type Tensor, tensor, tidy, TorchError } from "../mod.ts";

/** A tensor as the fixture scripts encode it: flat data, shape, dtype. */
export interface EncodedTensor {
  data: (number | boolean | "nan" | "inf" | "-inf")[];
  shape: number[];
  dtype: DType;
}

/** Reads a JSON fixture written by a script in test/fixtures. */
export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")) as T;
}

function decode(v: EncodedTensor["data"][number]): number | boolean {
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return v;
}

/** The tensor a fixture describes. */
export function fromEncoded(encoded: EncodedTensor): Tensor {
  return tensor(encoded.data.map(decode) as number[], encoded.shape, encoded.dtype);
}

/** Asserts dtype, shape and values (floats within rtol/atol, everything else exactly). */
export function expectTensor(actual: Tensor, expected: EncodedTensor, rtol = 1e-6, atol = 1e-7): void {
  expect(actual.dtype).toBe(expected.dtype);
  expect([...actual.shape]).toEqual(expected.shape);
  const want = expected.data.map(decode);
  const got = (actual.toArray() as unknown as unknown[]);
  const flat = actual.shape.length === 0 ? [got] : (got as unknown[]).flat(Infinity);
  expect(flat.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i], g = flat[i];
    if (typeof w === "number" && (expected.dtype === "float32" || expected.dtype === "float64")) {
      if (Number.isNaN(w)) expect(g, `element ${i}`).toBeNaN();
      else if (!Number.isFinite(w)) expect(g, `element ${i}`).toBe(w);
      else expect(Math.abs((g as number) - w), `element ${i}: ${g} vs ${w}`).toBeLessThanOrEqual(atol + rtol * Math.abs(w));
    } else {
      expect(g, `element ${i}`).toBe(w);
    }
  }
}

/** The TorchError fn throws, after checking that the failed call left no handle behind. */
export function torchErrorFrom(fn: () => unknown): TorchError {
  const before = liveTensors();
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(liveTensors(), "the failed call leaked a handle").toBe(before);
  expect(caught, "expected a TorchError, nothing was thrown").toBeInstanceOf(TorchError);
  return caught as TorchError;
}

/** The message of the TorchError fn throws. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TorchError);
    return (error as TorchError).message;
  }
  throw new Error("expected an error, nothing was thrown");
}

/** A copy of t that needs a gradient, so ops on it take the dispatcher's route. */
export function needingGrad(t: Tensor): Tensor {
  const copy = t.clone();
  copy.requiresGrad = true;
  return copy;
}

/** The data, dtype and shape of a result, read without its autograd history. */
export function contents(t: Tensor): { dtype: DType; shape: number[]; data: unknown } {
  const plain = t.detach();
  return { dtype: plain.dtype, shape: [...plain.shape], data: plain.toArray() };
}

// A small MNIST-format directory cut from Fashion-MNIST, so the training
// examples run in seconds.
export function smallMnistDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "torchffi-small-mnist-"));
  const source = "/usr/share/datasets/fashion-mnist";
  for (const [split, count] of [["train", 600], ["t10k", 200]] as const) {
    for (const [kind, itemBytes] of [["images-idx3", 784], ["labels-idx1", 1]] as const) {
      const bytes = gunzipSync(readFileSync(`${source}/${split}-${kind}-ubyte.gz`));
      const header = Buffer.from(bytes.subarray(0, kind === "images-idx3" ? 16 : 8));
      header.writeUInt32BE(count, 4);
      const body = bytes.subarray(header.length, header.length + count * itemBytes);
      writeFileSync(join(dir, `${split}-${kind}-ubyte`), Buffer.concat([header, body]));
    }
  }
  return dir;
}

/** Asserts that a Memory holds exactly the named parameters and buffers of a fixture, with its values. */
export function expectState(mem: Memory, want: Record<string, EncodedTensor>, rtol: number, atol: number): void {
  const names = [...mem.namedParameters(), ...mem.namedBuffers()].map(([n]) => n);
  expect([...names].sort()).toEqual(Object.keys(want).sort());
  for (const name of names) expectTensor(mem.get(name), want[name], rtol, atol);
}

/** Runs `steps` Adam steps of cross-entropy on one fixture batch; returns the losses. */
export function adamSteps(mem: Memory, model: Compute, x: EncodedTensor, y: EncodedTensor, lr: number, steps: number): number[] {
  return tidy(() => {
    const input = fromEncoded(x), target = fromEncoded(y);
    return Array.from({ length: steps }, () =>
      tidy(() => {
        const loss = crossEntropy(target, model.forward(mem, input));
        loss.backward();
        mem.applyGradsAdam(lr);
        return loss.item();
      }));
  });
}
