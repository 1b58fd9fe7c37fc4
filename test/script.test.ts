// TorchScript modules from PyTorch: outputs, fine-tuning with Adam, saving back
// for Python, errors and forwardAsync (fixtures and the Python side:
// test/fixtures/make_script_modules.py).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  crossEntropy,
  liveTensors,
  loadScriptModule,
  manualSeed,
  noGrad,
  randn,
  ScriptModule,
  type Tensor,
  tidy,
  TorchError,
  train,
} from "../mod.ts";
import { type EncodedTensor, expectTensor, fromEncoded, readFixture } from "./helpers.ts";

interface Fixture {
  cnn_input: EncodedTensor;
  labels: EncodedTensor;
  seq_input: EncodedTensor;
  cnn_eval: EncodedTensor;
  cnn_train: EncodedTensor;
  cnn_parameters: string[];
  cnn_buffers: string[];
  adam_losses: number[];
  adam_state: Record<string, EncodedTensor>;
  adam_eval: EncodedTensor;
  lstm_outputs: EncodedTensor[];
  slow_output: { head: number[]; sum: number };
}

const liveAtStart = liveTensors();
const fx = readFixture<Fixture>("script_modules.json");
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const script = fixture("make_script_modules.py");
const dir = mkdtempSync(join(tmpdir(), "torchffi-script-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectTorchError(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TorchError);
    expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error("expected a TorchError");
}

describe("ScriptModule", () => {
  test("a scripted CNN with BatchNorm gives PyTorch's outputs in eval and train mode; names as in PyTorch", () => {
    using cnn = loadScriptModule(fixture("script_cnn.pt"));
    expect(cnn).toBeInstanceOf(ScriptModule);
    expect(cnn.namedParameters().map(([n]) => n)).toEqual(fx.cnn_parameters);
    expect(cnn.namedBuffers().map(([n]) => n)).toEqual(fx.cnn_buffers);
    tidy(() => {
      const x = fromEncoded(fx.cnn_input);
      expectTensor(noGrad(() => cnn.eval().forward(x)) as Tensor, fx.cnn_eval, 1e-5, 1e-6);
      expectTensor(noGrad(() => cnn.train().forward(x)) as Tensor, fx.cnn_train, 1e-5, 1e-6);
    });
  });

  test("a traced LSTM returns its output and state as an array of tensors equal to PyTorch's", () => {
    using lstm = loadScriptModule(fixture("script_lstm.pt"));
    tidy(() => {
      const outs = noGrad(() => lstm.forward(fromEncoded(fx.seq_input)));
      expect(Array.isArray(outs)).toBe(true);
      expect((outs as Tensor[]).length).toBe(3);
      (outs as Tensor[]).forEach((t, i) => expectTensor(t, fx.lstm_outputs[i], 1e-5, 1e-6));
    });
    expect(lstm.namedParameters().map(([n]) => n)).toEqual(["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0"]);
  });

  test("Adam steps through module.memory equal torch.optim.Adam on the same module; the saved module and state dict load in Python", () => {
    using cnn = loadScriptModule(fixture("script_cnn.pt"));
    cnn.train();
    const losses = tidy(() => {
      const x = fromEncoded(fx.cnn_input), y = fromEncoded(fx.labels);
      return [0, 1, 2].map(() =>
        tidy(() => {
          const loss = crossEntropy(y, cnn.forward(x) as Tensor);
          loss.backward();
          cnn.memory.applyGradsAdam(1e-2);
          return loss.item();
        })
      );
    });
    losses.forEach((loss, i) => expect(Math.abs(loss - fx.adam_losses[i])).toBeLessThan(1e-5));
    for (const [name, t] of [...cnn.namedParameters(), ...cnn.namedBuffers()]) {
      expectTensor(t, fx.adam_state[name], 1e-4, 1e-6);
    }
    const ours = tidy(() => {
      const out = noGrad(() => cnn.eval().forward(fromEncoded(fx.cnn_input))) as Tensor;
      expectTensor(out, fx.adam_eval, 1e-4, 1e-5);
      return Array.from(out.toFloat32Array());
    });
    const saved = join(dir, "tuned.pt");
    cnn.save(saved);
    const run = spawnSync("/usr/bin/python3", [script, "check", saved], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const theirs = JSON.parse(run.stdout) as EncodedTensor;
    expect(theirs.shape).toEqual([4, 3]);
    theirs.data.forEach((v, i) => expect(Math.abs((v as number) - ours[i])).toBeLessThan(1e-6));
    // Its state dict loads into the Python module with strict=True, with the same outputs.
    const stateDict = join(dir, "tuned.safetensors");
    cnn.memory.save(stateDict);
    const viaStateDict = spawnSync("/usr/bin/python3", [script, "check", stateDict], { encoding: "utf8" });
    expect(viaStateDict.status, viaStateDict.stderr).toBe(0);
    (JSON.parse(viaStateDict.stdout) as EncodedTensor).data.forEach((v, i) => expect(Math.abs((v as number) - ours[i])).toBeLessThan(1e-6));
    // And back in TypeScript, from either file.
    using again = loadScriptModule(saved);
    tidy(() => expect(Array.from((noGrad(() => again.eval().forward(fromEncoded(fx.cnn_input))) as Tensor).toFloat32Array())).toEqual(ours));
    using fresh = loadScriptModule(fixture("script_cnn.pt"));
    fresh.memory.load(stateDict);
    tidy(() => expect(Array.from((noGrad(() => fresh.eval().forward(fromEncoded(fx.cnn_input))) as Tensor).toFloat32Array())).toEqual(ours));
  });

  test("a module with hundreds of tensors and long names lists them all, in PyTorch's order", () => {
    const path = join(dir, "wide.pt");
    const make = [
      "import json, sys, torch",
      "m = torch.nn.Sequential(*[torch.nn.Linear(1, 1) for _ in range(150)])",
      "m.add_module('a' * 20000, torch.nn.BatchNorm1d(1))",
      "torch.jit.save(torch.jit.script(m), sys.argv[1])",
      "print(json.dumps([[n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()]]))",
    ].join("\n");
    const run = spawnSync("/usr/bin/python3", ["-c", make, path], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const [parameters, buffers] = JSON.parse(run.stdout) as [string[], string[]];
    expect(parameters.length).toBe(302);
    using wide = loadScriptModule(path);
    expect(wide.namedParameters().map(([n]) => n)).toEqual(parameters);
    expect(wide.namedBuffers().map(([n]) => n)).toEqual(buffers);
  });

  test("train() fine-tunes a ScriptModule through its memory, as torch.optim.Adam does", () => {
    using cnn = loadScriptModule(fixture("script_cnn.pt"));
    cnn.train();
    const model = { forward: (_mem: unknown, input: Tensor) => cnn.forward(input) as Tensor };
    const losses: number[] = [];
    tidy(() => {
      // Three epochs of one full batch, unshuffled: the fixture's three Adam steps.
      train(cnn.memory, fromEncoded(fx.cnn_input), fromEncoded(fx.labels), model, {
        epochs: 3,
        batchSize: 4,
        lr: 1e-2,
        optimizer: "adam",
        shuffle: false,
        onBatch: ({ loss }) => losses.push(loss),
      });
    });
    losses.forEach((loss, i) => expect(Math.abs(loss - fx.adam_losses[i])).toBeLessThan(1e-5));
    for (const [name, t] of cnn.namedParameters()) expectTensor(t, fx.adam_state[name], 1e-4, 1e-6);
  });

  test("TorchScript's errors (input count, shape, raise in scripted code) are TorchErrors with its message", () => {
    using cnn = loadScriptModule(fixture("script_cnn.pt"));
    const before = liveTensors();
    tidy(() => {
      expectTorchError(() => cnn.forward(randn([2, 1, 8, 8]), randn([1])), /forward: Expected at most 2 argument\(s\) for operator 'forward', but received 3/);
      expectTorchError(() => cnn.forward(), /forward: .*argument 'x'/);
      expectTorchError(() => cnn.forward(randn([2, 3, 8, 8])), /forward: RuntimeError: Given groups=1, .* to have 1 channels, but got 3 channels instead/);
      expectTorchError(() => cnn.forward(randn([8, 8])), /forward: builtins\.ValueError: expected a batch of images \[N, 1, 8, 8\] \(TorchScript, File .*make_script_modules\.py/);
      expectTorchError(() => cnn.forward([1, 2] as unknown as Tensor), /forward: input 0: expected a Tensor/);
    });
    expect(liveTensors()).toBe(before);
  });

  test("missing, corrupt and truncated .pt files are clear TorchErrors, never a crash", () => {
    const bytes = readFileSync(fixture("script_cnn.pt"));
    const before = liveTensors();
    expectTorchError(() => loadScriptModule(join(dir, "missing.pt")), /loadScriptModule: open file failed .*missing\.pt/);
    expectTorchError(() => loadScriptModule(""), /loadScriptModule: path must be a non-empty string/);
    const cases: [string, Uint8Array][] = [
      ["empty", new Uint8Array(0)],
      ["text", new TextEncoder().encode("not a zip file")],
      ["half", bytes.subarray(0, bytes.length >> 1)],
      ["no-end", bytes.subarray(0, bytes.length - 30)],
    ];
    // Flipping bytes across the archive reaches the zip directory, the code and the pickles.
    for (let k = 0; k < 24; k++) {
      const flipped = Uint8Array.from(bytes);
      const at = Math.floor(((k + 0.5) / 24) * bytes.length);
      for (let j = 0; j < 16; j++) flipped[at + j] ^= 0x5a;
      cases.push([`flipped-${k}`, flipped]);
    }
    let refused = 0;
    for (const [name, data] of cases) {
      const path = join(dir, `${name}.pt`);
      writeFileSync(path, data);
      try {
        using m = loadScriptModule(path);
        // Some flips land in bytes the loader never checks (padding, debug info): then it must still run or refuse cleanly.
        try {
          tidy(() => {
            m.forward(randn([1, 1, 8, 8]));
          });
        } catch (e) {
          expect(e).toBeInstanceOf(TorchError);
        }
      } catch (e) {
        expect(e, name).toBeInstanceOf(TorchError);
        expect((e as TorchError).op).toBe("loadScriptModule");
        refused++;
      }
    }
    expect(refused).toBeGreaterThanOrEqual(4 + 12);
    expect(liveTensors()).toBe(before);
  });

  test("a disposed module refuses work; disposing twice is harmless", () => {
    const cnn = loadScriptModule(fixture("script_cnn.pt"));
    cnn.dispose();
    cnn.dispose();
    tidy(() => expectTorchError(() => cnn.forward(randn([1, 1, 8, 8])), /forward: this ScriptModule was disposed/));
    expectTorchError(() => cnn.namedParameters(), /this ScriptModule was disposed/);
    expectTorchError(() => cnn.save(join(dir, "x.pt")), /this ScriptModule was disposed/);
  });
});

describe("forwardAsync", () => {
  test("timers keep firing during a long forwardAsync, and its result equals PyTorch's and forward's", async () => {
    using slow = loadScriptModule(fixture("script_slow.pt"));
    manualSeed(5);
    const x = randn([64, 256]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    const pending = slow.forwardAsync(x);
    x.dispose(); // the call holds its own reference
    const result = (await pending) as Tensor;
    const elapsed = performance.now() - started;
    clearInterval(timer);
    // A blocked event loop would have fired the timer at most once.
    expect(elapsed).toBeGreaterThan(50);
    expect(ticks).toBeGreaterThanOrEqual(Math.min(5, Math.floor(elapsed / 20)));
    const flat = result.toFloat32Array();
    fx.slow_output.head.forEach((v, i) => expect(Math.abs(flat[i] - v)).toBeLessThan(1e-5));
    expect(Math.abs(flat.reduce((a, b) => a + b, 0) - fx.slow_output.sum)).toBeLessThan(1e-2);
    result.dispose();
  });

  test("many concurrent calls give what sequential forward calls give; errors reject with TorchScript's message", async () => {
    using cnn = loadScriptModule(fixture("script_cnn.pt"));
    using lstm = loadScriptModule(fixture("script_lstm.pt"));
    cnn.eval();
    const before = liveTensors();
    manualSeed(8);
    const inputs = Array.from({ length: 8 }, () => randn([4, 1, 8, 8]));
    const sequential = inputs.map((x) => tidy(() => Array.from((noGrad(() => cnn.forward(x)) as Tensor).toFloat32Array())));
    const concurrent = await Promise.all(inputs.map((x) => cnn.forwardAsync(x)));
    expect(concurrent.map((t) => Array.from((t as Tensor).toFloat32Array()))).toEqual(sequential);
    for (const t of concurrent) (t as Tensor).dispose();

    const seq = fromEncoded(fx.seq_input);
    const outs = (await lstm.forwardAsync(seq)) as Tensor[];
    outs.forEach((t, i) => expectTensor(t, fx.lstm_outputs[i], 1e-5, 1e-6));
    for (const t of [...outs, seq]) t.dispose();

    const bad = randn([2, 3, 8, 8]);
    await expect(cnn.forwardAsync(bad)).rejects.toThrow(/forwardAsync: RuntimeError: Given groups=1/);
    await expect(cnn.forwardAsync(bad)).rejects.toBeInstanceOf(TorchError);
    for (const t of [...inputs, bad]) t.dispose();
    expect(liveTensors()).toBe(before);
  });
});

test("leaves no tensor alive", () => {
  expect(liveTensors()).toBe(liveAtStart);
});
