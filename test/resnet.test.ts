// MnistResNet (a small residual CNN with BatchNorm) against the same module in
// PyTorch: initial weights, three Adam steps, the eval-mode output
// (fixtures: test/fixtures/make_norm_fixtures.py).
import { expect, test } from "vitest";
import { BasicBlock, crossEntropy, liveTensors, manualSeed, Memory, MnistResNet, predictClasses, randn, tidy } from "../mod.ts";
import { type EncodedTensor, expectTensor, fromEncoded, readFixture } from "./helpers.ts";

interface ResNetFixture {
  seed: number;
  width: number;
  lr: number;
  x: EncodedTensor;
  y: EncodedTensor;
  initial: Record<string, EncodedTensor>;
  losses: number[];
  final: Record<string, EncodedTensor>;
  eval_out: EncodedTensor;
}

const f = readFixture<{ resnet: ResNetFixture }>("norm_layers.json").resnet;
const liveAtStart = liveTensors();

function checkState(mem: Memory, want: Record<string, EncodedTensor>, rtol: number, atol: number): void {
  const names = [...mem.namedParameters(), ...mem.namedBuffers()].map(([n]) => n);
  expect([...names].sort()).toEqual(Object.keys(want).sort());
  for (const name of names) expectTensor(mem.get(name), want[name], rtol, atol);
}

test("MnistResNet: PyTorch's initial weights and names, three Adam steps, eval output", () => {
  using mem = new Memory();
  manualSeed(f.seed);
  const model = new MnistResNet(mem, f.width);
  checkState(mem, f.initial, 0, 0);
  const losses = tidy(() => {
    const x = fromEncoded(f.x), y = fromEncoded(f.y);
    return f.losses.map(() =>
      tidy(() => {
        const loss = crossEntropy(y, model.forward(mem, x));
        loss.backward();
        mem.applyGradsAdam(f.lr);
        return loss.item();
      })
    );
  });
  losses.forEach((l, i) => expect(l).toBeCloseTo(f.losses[i], 5));
  checkState(mem, f.final, 1e-4, 1e-5);
  mem.eval();
  tidy(() => expectTensor(model.forward(mem, fromEncoded(f.x)), f.eval_out, 1e-4, 1e-5));
  mem.train();
  tidy(() => expect(predictClasses(mem, model, fromEncoded(f.x)).toArray()).toEqual(fromEncoded(f.eval_out).argmax(-1).toArray()));
});

test("MnistResNet on 28x28 images: [N, 10] logits; a BasicBlock keeps or halves the size", () => {
  using mem = new Memory();
  const model = new MnistResNet(mem);
  const block = new BasicBlock(mem, 4, 4, 1, "extra");
  tidy(() => {
    expect(model.forward(mem, randn([2, 1, 28, 28])).shape).toEqual([2, 10]);
    expect(block.forward(mem, randn([2, 4, 5, 5])).shape).toEqual([2, 4, 5, 5]);
  });
  expect(block.downsample).toBeNull();
  expect(model.layer2.downsample).not.toBeNull();
  expect(mem.has("layer3.downsample.1.running_var")).toBe(true);
});

test("no tensor leaked", () => {
  expect(liveTensors()).toBe(liveAtStart);
});
