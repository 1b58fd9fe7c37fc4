// Named parameters and state dicts, both ways between PyTorch and torchffi
// (fixtures and the Python side: test/fixtures/make_state_dict.py).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  Conv2d,
  Linear,
  liveTensors,
  loadSafetensors,
  manualSeed,
  Memory,
  noGrad,
  ones,
  saveSafetensors,
  type Tensor,
  tensor,
  tidy,
  TorchError,
  zeros,
} from "../mod.ts";
import { readSafetensors, writeSafetensors } from "../lib/io/safetensors.ts";
import { type EncodedTensor, expectTensor, fromEncoded, readFixture } from "./helpers.ts";

const liveAtStart = liveTensors();
const python = "/usr/bin/python3";
const fixtureScript = new URL("./fixtures/make_state_dict.py", import.meta.url).pathname;
const fixtureFile = new URL("./fixtures/state_dict.safetensors", import.meta.url).pathname;
const fixture = readFixture<{ input: EncodedTensor; output: EncodedTensor; keys: string[] }>("state_dict.json");
const dir = mkdtempSync(join(tmpdir(), "torchffi-state-dict-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The torchffi twin of make_state_dict.py's Net: the same names, the same forward. */
class Net {
  conv: Conv2d;
  fc: Linear;
  scale: number;
  constructor(mem: Memory) {
    this.conv = new Conv2d(mem, 3, 1, 3, 1, { name: "conv" });
    this.fc = new Linear(mem, 3 * 6 * 6, 5, { name: "fc" });
    this.scale = tidy(() => mem.pushBuffer(ones([5]), "scale"));
  }
  forward(mem: Memory, x: Tensor): Tensor {
    return this.fc.forward(mem, this.conv.forward(mem, x).relu().flatView()).mul(mem.get(this.scale));
  }
}

function snapshot(mem: Memory): number[][] {
  return [...mem.namedParameters(), ...mem.namedBuffers()].map(([, t]) => Array.from(t.toFloat32Array()));
}

function expectTorchError(fn: () => unknown, message: RegExp): TorchError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TorchError);
    expect((e as Error).message).toMatch(message);
    return e as TorchError;
  }
  throw new Error("expected a TorchError");
}

describe("named parameters", () => {
  test("layers register <name>.weight and <name>.bias; defaults are kind + index; ids keep working", () => {
    using mem = new Memory();
    const a = new Linear(mem, 4, 3);
    const b = new Linear(mem, 3, 2, { name: "head" });
    const c = new Conv2d(mem, 3, 1, 2, 1, { bias: false });
    const d = new Linear(mem, 2, 2);
    const id = mem.newPush([2], false, "extra");
    const plain = mem.newPush([1]);
    expect(mem.namedParameters().map(([n]) => n)).toEqual([
      "linear0.weight",
      "linear0.bias",
      "head.weight",
      "head.bias",
      "conv2d0.weight",
      "linear1.weight",
      "linear1.bias",
      "extra",
      String(plain),
    ]);
    expect(mem.get("head.weight")).toBe(mem.get(b.weight));
    expect(mem.get("linear0.bias")).toBe(mem.get(a.bias!));
    expect(mem.get("conv2d0.weight")).toBe(mem.get(c.weight));
    expect(mem.get("linear1.weight")).toBe(mem.get(d.weight));
    expect(mem.get("extra")).toBe(mem.get(id));
    expect(mem.has("head.bias")).toBe(true);
    expect(mem.has("nope")).toBe(false);
    const info = mem.paramsInfo();
    expect(info).toMatch(/2\s+head\.weight\s+\[2, 3\]/);
    expect(mem.namedBuffers()).toEqual([]);
  });

  test("the same model code gives the same names in a new Memory (stable files)", () => {
    const names = () => {
      using mem = new Memory();
      new Conv2d(mem, 3, 1, 2);
      new Linear(mem, 4, 3);
      new Conv2d(mem, 3, 2, 2);
      return mem.namedParameters().map(([n]) => n);
    };
    expect(names()).toEqual(names());
    expect(names()).toEqual(["conv2d0.weight", "conv2d0.bias", "linear0.weight", "linear0.bias", "conv2d1.weight", "conv2d1.bias"]);
  });

  test("duplicate, empty, reserved and non-string names are TorchErrors and store nothing", () => {
    using mem = new Memory();
    new Linear(mem, 2, 2, { name: "l1" });
    const before = liveTensors();
    expectTorchError(() => new Linear(mem, 2, 2, { name: "l1" }), /Linear: the name "l1" is already taken/);
    expectTorchError(() => new Conv2d(mem, 1, 1, 1, 1, { name: "" }), /Conv2d: a name must not be empty/);
    expectTorchError(() => mem.newPush([1], true, "l1.bias"), /newPush: the name "l1.bias" is already taken/);
    tidy(() => {
      expectTorchError(() => mem.push(zeros([1]), "optimizer.x"), /push: "optimizer.x" is reserved/);
      expectTorchError(() => mem.push(zeros([1]), 3 as unknown as string), /push: a name must be a string/);
      expectTorchError(() => mem.pushBuffer(zeros([1]), "rng_state"), /reserved/);
    });
    const w = tensor([1]);
    w.requiresGrad = true;
    expectTorchError(() => mem.pushBuffer(w, "b"), /pushBuffer: a buffer must not require a gradient/);
    w.dispose();
    expectTorchError(() => mem.get("missing"), /get: no tensor named "missing"/);
    expect(mem.size).toBe(2);
    expect(liveTensors()).toBe(before);
  });

  test("buffers are saved and loaded but no optimizer touches them", () => {
    using mem = new Memory();
    const net = new Net(mem);
    tidy(() => {
      const x = fromEncoded(fixture.input);
      net.forward(mem, x).sum().backward();
    });
    const scale = Array.from(mem.get("scale").toFloat32Array());
    const weight = Array.from(mem.get("fc.weight").toFloat32Array());
    mem.applyGradsAdam(0.1);
    expect(Array.from(mem.get("scale").toFloat32Array())).toEqual(scale);
    expect(Array.from(mem.get("fc.weight").toFloat32Array())).not.toEqual(weight);
    expect(mem.namedBuffers().map(([n]) => n)).toEqual(["scale"]);
    expect(mem.paramsInfo()).toMatch(/scale\s+\[5\]\s+5\s+buffer/);
  });
});

describe("state dicts between PyTorch and torchffi", () => {
  test("a state dict written by PyTorch loads (strict) and gives PyTorch's outputs", () => {
    using mem = new Memory();
    manualSeed(1);
    const net = new Net(mem);
    mem.load(fixtureFile);
    tidy(() => expectTensor(noGrad(() => net.forward(mem, fromEncoded(fixture.input))), fixture.output, 1e-5, 1e-6));
    expect([...mem.namedParameters(), ...mem.namedBuffers()].map(([n]) => n).sort()).toEqual([...fixture.keys].sort());
  });

  test("mem.save loads in PyTorch with strict=True and gives the same outputs", () => {
    using mem = new Memory();
    manualSeed(3);
    const net = new Net(mem);
    const path = join(dir, "from-ts.safetensors");
    mem.save(path);
    const ours = tidy(() => Array.from(noGrad(() => net.forward(mem, fromEncoded(fixture.input))).toFloat32Array()));
    const run = spawnSync(python, [fixtureScript, "check", path], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const theirs = JSON.parse(run.stdout) as EncodedTensor;
    expect(theirs.shape).toEqual([2, 5]);
    theirs.data.forEach((v, i) => expect(Math.abs((v as number) - ours[i])).toBeLessThan(1e-5));
  });

  test("strict loading lists missing and unexpected keys and size mismatches; nothing changes", () => {
    using mem = new Memory();
    const net = new Net(mem);
    new Linear(mem, 5, 2, { name: "head" });
    const before = snapshot(mem);
    expectTorchError(() => mem.load(fixtureFile), /load: .*missing key\(s\) in the file: "head\.weight", "head\.bias"$/);
    expect(snapshot(mem)).toEqual(before);

    // strict: false loads what matches and leaves the rest.
    mem.load(fixtureFile, { strict: false });
    const head = mem.get("head.weight").toFloat32Array();
    expect(Array.from(head)).toEqual(before[4]);
    tidy(() => expectTensor(noGrad(() => net.forward(mem, fromEncoded(fixture.input))), fixture.output, 1e-5, 1e-6));

    const extra = join(dir, "extra.safetensors");
    const wrongShape = join(dir, "wrong-shape.safetensors");
    tidy(() => {
      const theirs = loadSafetensors(fixtureFile);
      theirs.set("bn.running_mean", zeros([3]));
      saveSafetensors(extra, theirs);
      theirs.set("fc.bias", zeros([6]));
      saveSafetensors(wrongShape, theirs);
    });
    using small = new Memory();
    new Net(small);
    const smallBefore = snapshot(small);
    expectTorchError(() => small.load(extra), /unexpected key\(s\) in the file: "bn\.running_mean"/);
    expectTorchError(() => small.load(wrongShape), /size mismatch for fc\.bias: the file has shape \[6\], this Memory \[5\]/);
    // PyTorch refuses a size mismatch even when not strict.
    expectTorchError(() => small.load(wrongShape, { strict: false }), /size mismatch for fc\.bias/);
    expect(snapshot(small)).toEqual(smallBefore);
    small.load(extra, { strict: false });
    expect(snapshot(small)).not.toEqual(smallBefore);
    expectTorchError(() => small.load(extra, { strict: "yes" as unknown as boolean }), /strict must be a boolean/);
  });

  test("files from before names existed (keys 0, 1, ...) still load, by id", () => {
    using mem = new Memory();
    const net = new Net(mem);
    const legacy = join(dir, "legacy.safetensors");
    tidy(() => {
      const theirs = loadSafetensors(fixtureFile);
      // Ids follow the order of construction: the parameters, then the buffer "scale".
      const byId: Record<string, Tensor> = {};
      mem.namedParameters().forEach(([name], id) => (byId[String(id)] = theirs.get(name)!));
      byId[String(mem.namedParameters().length)] = theirs.get("scale")!;
      saveSafetensors(legacy, byId);
    });
    mem.load(legacy);
    tidy(() => expectTensor(noGrad(() => net.forward(mem, fromEncoded(fixture.input))), fixture.output, 1e-5, 1e-6));
  });

  test("checkpoints are keyed by name; checkpoints from before names existed still resume exactly", () => {
    const named = join(dir, "named.ckpt"), legacy = join(dir, "legacy.ckpt");
    const step = (mem: Memory, net: Net) =>
      tidy(() => {
        net.forward(mem, fromEncoded(fixture.input)).pow(2).sum().backward();
        mem.applyGradsAdam(0.01);
      });
    using mem = new Memory();
    const net = new Net(mem);
    step(mem, net);
    mem.saveCheckpoint(named, { epoch: 0, history: [1.5] });
    const { tensors, metadata } = readSafetensors(named);
    expect([...tensors.keys()]).toContain("optimizer.exp_avg_sq.fc.weight");
    expect(JSON.parse(metadata.adam_steps)).toEqual({ "conv.weight": 1, "conv.bias": 1, "fc.weight": 1, "fc.bias": 1, scale: 0 });
    // The same checkpoint as torchffi wrote it before names: ids for names, an array of step counts.
    const names = [...mem.namedParameters(), ...mem.namedBuffers()].map(([n]) => n);
    const ids = new Map(names.map((n, id) => [n, String(id)]));
    const old = new Map([...tensors].map(([key, t]) => {
      const state = /^optimizer\.(momentum|exp_avg_sq|exp_avg)\.(.+)$/.exec(key);
      return [state ? `optimizer.${state[1]}.${ids.get(state[2])}` : (ids.get(key) ?? key), t];
    }));
    writeSafetensors(legacy, old, { ...metadata, adam_steps: JSON.stringify(names.map((n) => JSON.parse(metadata.adam_steps)[n])) });
    step(mem, net);
    const expected = snapshot(mem);
    for (const path of [named, legacy]) {
      using again = new Memory();
      const twin = new Net(again);
      expect(again.loadCheckpoint(path)).toEqual({ epoch: 0, history: [1.5] });
      step(again, twin);
      expect(snapshot(again)).toEqual(expected);
    }
  });

  test("loadSafetensors / saveSafetensors round-trip records and Maps of any dtype", () => {
    const path = join(dir, "any.safetensors");
    tidy(() => {
      const a = tensor([[1.5, -2], [3, 4]]), b = tensor([1, 2, 3], undefined, "int64"), c = tensor([true, false], undefined, "bool");
      saveSafetensors(path, { a, "x.b": b, c });
      const back = loadSafetensors(path);
      expect([...back.keys()]).toEqual(["a", "x.b", "c"]);
      expect(back.get("a")!.toArray()).toEqual(a.toArray());
      expect(back.get("x.b")!.dtype).toBe("int64");
      expect(back.get("x.b")!.toArray()).toEqual(b.toArray());
      expect(back.get("c")!.toArray()).toEqual([true, false]);
      saveSafetensors(path, new Map([["only", a]]));
      expect([...loadSafetensors(path).keys()]).toEqual(["only"]);
      expectTorchError(() => saveSafetensors(path, { "": a }), /saveSafetensors: bad tensor name ""/);
      expectTorchError(() => saveSafetensors(path, { w: [1, 2] as unknown as Tensor }), /saveSafetensors: "w" is not a live Tensor/);
      expect([...loadSafetensors(path).keys()]).toEqual(["only"]); // the failed saves left the file alone
    });
  });

  test("corrupt and truncated files are clear TorchErrors and change nothing", () => {
    const bytes = readFileSync(fixtureFile);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const cases: [string, Uint8Array, RegExp][] = [
      ["truncated", bytes.subarray(0, bytes.length - 10), /truncated|cover/],
      ["short", bytes.subarray(0, 4), /too short/],
      ["header-cut", bytes.subarray(0, 8 + headerLength - 3), /header claims|not valid JSON/],
      ["garbage", Buffer.from("not a safetensors file at all, really"), /header claims|not valid JSON/],
    ];
    using mem = new Memory();
    new Net(mem);
    const before = snapshot(mem);
    const live = liveTensors();
    for (const [name, data, message] of cases) {
      const path = join(dir, `${name}.safetensors`);
      writeFileSync(path, data);
      expectTorchError(() => mem.load(path), message);
      expectTorchError(() => loadSafetensors(path), new RegExp(`loadSafetensors: .*${name}\\.safetensors: `));
    }
    expectTorchError(() => loadSafetensors(join(dir, "missing.safetensors")), /cannot read the file/);
    expect(snapshot(mem)).toEqual(before);
    expect(liveTensors()).toBe(live);
  });
});

test("leaves no tensor alive", () => {
  expect(liveTensors()).toBe(liveAtStart);
});
