// Memory (the parameter store and its optimizer steps) and save/load, checked
// against PyTorch and Python (fixtures: see training_helpers.ts).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { crossEntropy, Linear, liveTensors, manualSeed, Memory, noGrad, randn, type Tensor, tensor, tidy, zeros } from "../mod.ts";
import { type EncodedTensor, expectTensor } from "./helpers.ts";
import { CNN, expectSameSnapshot, expectTorchError, FFN, flat, fx, snapshot, withMemory } from "./training_helpers.ts";

const liveAtStart = liveTensors();

// Helpers for the two-step optimizer test.
const applyTwo = {
  sgd: (mem: Memory) => mem.applyGradsSgd(0.1),
  momentum: (mem: Memory) => mem.applyGradsSgdMomentum(0.1, 0.9),
  adam: (mem: Memory) => mem.applyGradsAdam(0.1),
};

function withGrad(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}

/** Makes `p.grad` equal `g` (d(sum(p * g))/dp = g). */
function setGrad(p: Tensor, g: Tensor): void {
  tidy(() => p.mul(g).sum().backward());
}

// --------------------------------------------------------------------- Memory

describe("Memory", () => {
  test("push, get, size and paramsInfo", () => {
    withMemory((mem) => tidy(() => {
      expect(mem.size).toBe(0);
      const w = tensor([[0.5, -0.5, 1], [2, 3, 4]]);
      w.requiresGrad = true;
      const frozen = tensor([7, 8, 9, 10]);
      expect(mem.push(w)).toBe(0);
      expect(mem.push(frozen)).toBe(1);
      expect(mem.size).toBe(2);
      expect(mem.get(0).toArray()).toEqual([[0.5, -0.5, 1], [2, 3, 4]]);
      expect(mem.get(1).toArray()).toEqual([7, 8, 9, 10]);
      expect(mem.get(0).requiresGrad).toBe(true);
      expect(mem.get(1).requiresGrad).toBe(false);
      const info = mem.paramsInfo();
      const lines = info.split("\n");
      expect(lines.find((l) => /^\s*0\s/.test(l))).toMatch(/\[2, 3\]\s+6\s+yes/);
      expect(lines.find((l) => /^\s*1\s/.test(l))).toMatch(/\[4\]\s+4\s+no/);
      expect(info).toMatch(/2 tensors, 10 elements/);
    }));
  });

  test("push stores the tensor itself, not a copy: a step updates it", () => {
    withMemory((mem) => tidy(() => {
      const w = tensor([1, 2, 3]);
      w.requiresGrad = true;
      const id = mem.push(w);
      w.mul(tensor([1, 10, 100])).sum().backward();
      mem.applyGradsSgd(0.1);
      expect(flat(w)).toEqual(flat(tensor([0.9, 1, -7])));
      expect(flat(mem.get(id))).toEqual(flat(w));
    }));
  });

  test("newPush draws a standard normal tensor that requires grad (or not)", () => {
    withMemory((mem) => tidy(() => {
      manualSeed(21);
      const id = mem.newPush([40, 50], true);
      const other = mem.newPush([3], false);
      const t = mem.get(id);
      expect(t.shape).toEqual([40, 50]);
      expect(t.requiresGrad).toBe(true);
      expect(mem.get(other).requiresGrad).toBe(false);
      manualSeed(21);
      expect(flat(t)).toEqual(flat(randn([40, 50])));
      expect(Math.abs(t.mean().item())).toBeLessThan(0.1);
      expect(Math.abs(t.pow(2).mean().item() - 1)).toBeLessThan(0.1);
      expect(mem.get(mem.newPush([2])).requiresGrad).toBe(true); // the default
    }));
  });

  test("get with a bad id is a TorchError", () => {
    withMemory((mem) => tidy(() => {
      new Linear(mem, 2, 2);
      for (const bad of [-1, 2, 99, 0.5, NaN]) expectTorchError(() => mem.get(bad), /id/);
      expect(mem.get(1).shape).toEqual([2]);
    }));
  });

  test("optimizer state persists across steps (two steps with different gradients match torch.optim)", () => {
    const f = fx.twoSteps;
    const steps: [keyof typeof applyTwo, EncodedTensor][] = [["sgd", f.sgd], ["momentum", f.momentum], ["adam", f.adam]];
    for (const [name, expected] of steps) {
      tidy(() => {
        manualSeed(f.seed);
        const p0 = randn([6]), g1 = randn([6]), g2 = randn([6]);
        const persistent = withMemory((mem) => {
          const id = mem.push(withGrad(p0.clone()));
          for (const g of [g1, g2]) {
            setGrad(mem.get(id), g);
            applyTwo[name](mem);
          }
          expectTensor(mem.get(id), expected, 1e-5, 1e-6);
          return flat(mem.get(id));
        });
        // The seed's bug: a fresh optimizer for every step.
        let p = p0.clone();
        for (const g of [g1, g2]) {
          p = withMemory((mem) => {
            const id = mem.push(withGrad(p.clone()));
            setGrad(mem.get(id), g);
            applyTwo[name](mem);
            return mem.get(id).detach().clone();
          });
        }
        if (name === "sgd") expect(flat(p)).toEqual(persistent); // plain SGD has no state
        else expect(flat(p), `${name} must differ from fresh single steps`).not.toEqual(persistent);
      });
    }
  });

  test("applyGrads* drop the gradients; zeroGrad does too", () => {
    withMemory((mem) => tidy(() => {
      const model = new FFN(mem, [6, 5, 3]);
      const x = randn([4, 6]), y = tensor([0, 1, 2, 1], undefined, "int64");
      for (const apply of [(m: Memory) => m.applyGradsSgd(0.1), (m: Memory) => m.applyGradsSgdMomentum(0.1), (m: Memory) => m.applyGradsAdam(0.1), (m: Memory) => m.zeroGrad()]) {
        crossEntropy(y, model.forward(mem, x)).backward();
        for (let id = 0; id < mem.size; id++) expect(mem.get(id).grad, `grad of ${id} after backward`).not.toBeNull();
        apply(mem);
        for (let id = 0; id < mem.size; id++) expect(mem.get(id).grad, `grad of ${id} after the step`).toBeNull();
      }
    }));
  });

  test("bad lr, momentum and Adam settings are TorchErrors and change nothing", () => {
    const build = (mem: Memory) => {
      manualSeed(17);
      const model = new FFN(mem, [6, 5, 3]);
      crossEntropy(tensor([0, 1], undefined, "int64"), model.forward(mem, randn([2, 6]))).backward();
    };
    // The reference: the same model and gradients, one Adam step, no failed calls before it.
    const reference = withMemory((twin) => tidy(() => {
      build(twin);
      twin.applyGradsAdam(0.01);
      return snapshot(twin);
    }));
    withMemory((mem) => tidy(() => {
      build(mem);
      const before = snapshot(mem);
      for (const lr of [0, -0.1, NaN, Infinity]) {
        expectTorchError(() => mem.applyGradsSgd(lr), /learning rate/);
        expectTorchError(() => mem.applyGradsSgdMomentum(lr), /learning rate/);
        expectTorchError(() => mem.applyGradsAdam(lr), /learning rate/);
      }
      for (const momentum of [-0.5, NaN, Infinity]) expectTorchError(() => mem.applyGradsSgdMomentum(0.1, momentum), /momentum/);
      const badAdam = [{ beta1: 1 }, { beta1: -0.1 }, { beta1: NaN }, { beta2: 1.5 }, { beta2: NaN }, { eps: -1 }, { eps: NaN }, { weightDecay: -1 }];
      for (const options of badAdam) expectTorchError(() => mem.applyGradsAdam(0.1, options), /beta|eps|weight/i);
      expectSameSnapshot(snapshot(mem), before);
      // The gradients were left for a valid step, and the failed calls created no optimizer
      // state: the first real step equals a first step on an untouched twin.
      for (let id = 0; id < mem.size; id++) expect(mem.get(id).grad).not.toBeNull();
      mem.applyGradsAdam(0.01);
      expectSameSnapshot(snapshot(mem), reference);
      expect(Array.from(reference[0])).not.toEqual(Array.from(before[0]));
    }));
  });

  test("disposing a Memory frees its tensors; a disposed Memory refuses work", () => {
    tidy(() => {
      const before = liveTensors();
      const mem = new Memory();
      const model = new CNN(mem);
      const w = mem.get(0);
      expect(liveTensors()).toBeGreaterThan(before);
      tidy(() => noGrad(() => model.forward(mem, zeros([1, 1, 28, 28])).sum().item()));
      mem.dispose();
      expect(liveTensors()).toBe(before);
      expect(w.isDisposed).toBe(true);
      expectTorchError(() => mem.get(0));
      expectTorchError(() => mem.applyGradsSgd(0.1));
      mem.dispose(); // twice is harmless
      expect(liveTensors()).toBe(before);
    });
  });
});

// ------------------------------------------------------------------ save/load

describe("save and load", () => {
  const dir = mkdtempSync(join(tmpdir(), "torchffi-training-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const python = "/usr/bin/python3";

  function savedCnn(seed: number, path: string): void {
    withMemory((mem) => {
      manualSeed(seed);
      new CNN(mem);
      mem.save(path);
    });
  }

  test("load into a model built with a different seed gives identical outputs", () => {
    const path = join(dir, "cnn.safetensors");
    tidy(() => {
      manualSeed(99);
      const input = randn([4, 1, 28, 28]);
      const [expected, weights] = withMemory((a) => {
        manualSeed(1);
        const model = new CNN(a);
        a.save(path);
        return [flat(noGrad(() => model.forward(a, input))), snapshot(a)] as const;
      });
      withMemory((b) => {
        manualSeed(2);
        const model = new CNN(b);
        expect(flat(noGrad(() => model.forward(b, input)))).not.toEqual(expected);
        b.load(path);
        expect(flat(noGrad(() => model.forward(b, input)))).toEqual(expected);
        expectSameSnapshot(snapshot(b), weights);
        // Still trainable after loading.
        expect(b.get(0).requiresGrad).toBe(true);
        crossEntropy(tensor([1, 2, 3, 4], undefined, "int64"), model.forward(b, input)).backward();
        b.applyGradsSgd(0.1);
        expect(flat(b.get(0))).not.toEqual(Array.from(weights[0]));
      });
    });
  });

  test("the file is readable from Python (8-byte header + JSON + torch.frombuffer)", () => {
    const path = join(dir, "py.safetensors");
    savedCnn(5, path);
    const script = [
      "import json, struct, sys, torch",
      "raw = open(sys.argv[1], 'rb').read()",
      "(n,) = struct.unpack('<Q', raw[:8])",
      "header = json.loads(raw[8:8 + n])",
      "data = raw[8 + n:]",
      "out = {'metadata': header.pop('__metadata__', None)}",
      "for name, e in header.items():",
      "    b, end = e['data_offsets']",
      "    assert e['dtype'] == 'F32'",
      "    t = torch.frombuffer(bytearray(data[b:end]), dtype=torch.float32).reshape(e['shape'])",
      "    out[name] = {'shape': list(t.shape), 'sum': t.double().sum().item(), 'first': t.reshape(-1)[0].item()}",
      "print(json.dumps(out))",
    ].join("\n");
    const result = spawnSync(python, ["-c", script, path], { encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    const read = JSON.parse(result.stdout) as Record<string, { shape: number[]; sum: number; first: number }>;
    expect(read.metadata).toEqual({ format: "torchffi.Memory" });
    withMemory((mem) => tidy(() => {
      manualSeed(5);
      new CNN(mem);
      const named = mem.namedParameters();
      expect(Object.keys(read).filter((k) => k !== "metadata").sort()).toEqual(named.map(([name]) => name).sort());
      expect(named.length).toBe(8);
      for (const [name, t] of named) {
        expect(read[name].shape).toEqual([...t.shape]);
        expect(read[name].first).toBe(t.toFloat32Array()[0]);
        const sum = flat(t).reduce((a, b) => a + b, 0);
        expect(Math.abs(read[name].sum - sum)).toBeLessThan(1e-9 * flat(t.abs()).reduce((a, b) => a + b, 0) + 1e-12);
      }
    }));
  });

  test("saving where it cannot write is a TorchError and leaves no file behind", () => {
    withMemory((mem) => {
      new Linear(mem, 3, 2);
      const target = join(dir, "no-such-dir", "x.safetensors");
      const e = expectTorchError(() => mem.save(target));
      expect(e.op).toBe("save");
      expect(existsSync(join(dir, "no-such-dir"))).toBe(false);
      expect(readdirSync(dir).filter((name) => name.includes(".tmp-"))).toEqual([]);
    });
  });

  test("a bad file is a TorchError and leaves the store unchanged", () => {
    const good = join(dir, "good.safetensors");
    savedCnn(6, good);
    const bytes = readFileSync(good);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = bytes.subarray(8, 8 + headerLength).toString("utf8");

    const bad: Record<string, string> = {};
    const write = (name: string, data: Uint8Array) => {
      bad[name] = join(dir, `${name}.safetensors`);
      writeFileSync(bad[name], data);
    };
    write("truncated", bytes.subarray(0, bytes.length - 100));
    write("only-header", bytes.subarray(0, 8 + headerLength));
    write("tiny", bytes.subarray(0, 5));
    const notJson = Buffer.from(bytes);
    notJson[8] = "!".charCodeAt(0);
    write("corrupt-header", notJson);
    const hugeLength = Buffer.from(bytes);
    hugeLength.writeBigUInt64LE(BigInt(bytes.length) * 2n, 0);
    write("huge-header-length", hugeLength);
    // Same byte sizes, different dtype: only the dtype check can catch it.
    expect(header).toContain('"F32"');
    write("wrong-dtype", Buffer.concat([bytes.subarray(0, 8), Buffer.from(header.replace('"F32"', '"I32"')), bytes.subarray(8 + headerLength)]));
    withMemory((other) => {
      new FFN(other, [784, 64, 10]); // four tensors; the CNN has eight
      bad["fewer-tensors"] = join(dir, "ffn.safetensors");
      other.save(bad["fewer-tensors"]);
    });
    withMemory((other) => {
      // Eight tensors like the CNN, with other shapes.
      new FFN(other, [784, 64, 10]);
      new FFN(other, [10, 20, 30]);
      bad["wrong-shapes"] = join(dir, "shapes.safetensors");
      other.save(bad["wrong-shapes"]);
    });
    bad["missing"] = join(dir, "does-not-exist.safetensors");

    withMemory((mem) => tidy(() => {
      manualSeed(7);
      new CNN(mem);
      const before = snapshot(mem);
      const live = liveTensors();
      for (const [name, path] of Object.entries(bad)) {
        const e = expectTorchError(() => mem.load(path));
        expect(e.op, name).toBe("load");
        expect(e.message, name).toContain(path);
        expectSameSnapshot(snapshot(mem), before);
        expect(liveTensors(), name).toBe(live);
      }
      // The good file still loads.
      mem.load(good);
      expect(flat(mem.get(0))).not.toEqual(Array.from(before[0]));
    }));
  });
});

// Runs last (vitest runs a file's tests in order): everything above cleaned up after itself.
describe("the whole file", () => {
  test("leaves no tensor alive", () => {
    expect(liveTensors()).toBe(liveAtStart);
  });
});
