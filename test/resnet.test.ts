// MnistResNet (a small residual CNN with BatchNorm) against the same module in
// PyTorch: initial weights, three Adam steps, the eval-mode output
// (fixtures: test/fixtures/make_norm_fixtures.py).
import { expect, test } from "vitest";
import { BasicBlock, liveTensors, manualSeed, Memory, MnistResNet, predictClasses, randn, tidy } from "../mod.ts";
import { adamSteps, type EncodedTensor, expectState, expectTensor, fromEncoded, readFixture } from "./helpers.ts";

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


test("MnistResNet: PyTorch's initial weights and names, three Adam steps, eval output", () => {
  using mem = new Memory();
  manualSeed(f.seed);
  const model = new MnistResNet(mem, f.width);
  expectState(mem, f.initial, 0, 0);
  const losses = adamSteps(mem, model, f.x, f.y, f.lr, f.losses.length);
  losses.forEach((l, i) => expect(l).toBeCloseTo(f.losses[i], 5));
  expectState(mem, f.final, 1e-4, 1e-5);
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
