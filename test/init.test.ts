// Layer initialisation: Linear, Conv2d and the seed's models draw the same
// parameters as PyTorch's nn.Linear / nn.Conv2d (fixtures: see training_helpers.ts).
import { describe, expect, test } from "vitest";
import { Conv2d, Linear, liveTensors, manualSeed, type Memory, MnistCnn, MnistFfn, noGrad, randn, tidy, zeros } from "../mod.ts";
import { expectTensor } from "./helpers.ts";
import { CNN, expectSummary, FFN, flat, fx, withMemory } from "./training_helpers.ts";

const liveAtStart = liveTensors();

describe("layers initialise as PyTorch's nn.Linear / nn.Conv2d", () => {
  test("Linear(3, 4): weight and bias, every value", () => {
    withMemory((mem) => tidy(() => {
      const f = fx.init.linear_3_4;
      manualSeed(f.seed);
      const l = new Linear(mem, 3, 4);
      expectTensor(mem.get(l.weight), f.weight, 0, 0);
      expectTensor(mem.get(l.bias!), f.bias, 0, 0);
      expect(mem.get(l.weight).requiresGrad).toBe(true);
      expect(mem.get(l.bias!).requiresGrad).toBe(true);
    }));
  });

  test("Conv2d(k3, 2 -> 4): weight and bias, every value", () => {
    withMemory((mem) => tidy(() => {
      const f = fx.init.conv_k3_2_4;
      manualSeed(f.seed);
      const conv = new Conv2d(mem, 3, 2, 4, 1);
      expectTensor(mem.get(conv.weight), f.weight, 0, 0);
      expectTensor(mem.get(conv.bias!), f.bias, 0, 0);
    }));
  });

  test("Conv2d(k3, 4 -> 6, stride 2, groups 2): weight [6, 2, 3, 3] and bias", () => {
    withMemory((mem) => tidy(() => {
      const f = fx.init.conv_k3_4_6_groups2;
      manualSeed(f.seed);
      const conv = new Conv2d(mem, 3, 4, 6, 2, { groups: 2 });
      expectTensor(mem.get(conv.weight), f.weight, 0, 0);
      expectTensor(mem.get(conv.bias!), f.bias, 0, 0);
      expect(conv.forward(mem, zeros([1, 4, 9, 9])).shape).toEqual([1, 6, 4, 4]);
    }));
  });

  test("Linear without bias draws no bias (the next draw matches PyTorch's)", () => {
    withMemory((mem) => tidy(() => {
      const f = fx.init.linear_no_bias;
      manualSeed(f.seed);
      const l = new Linear(mem, 5, 3, { bias: false });
      expect(l.bias).toBeNull();
      expect(mem.size).toBe(1);
      expectTensor(mem.get(l.weight), f.weight, 0, 0);
      expectTensor(randn([3]), f.next_randn, 0, 0);
    }));
  });

  test("Linear(784, 128): shape, first/last values, sum and abs-sum", () => {
    withMemory((mem) => tidy(() => {
      const f = fx.init.linear_784_128;
      manualSeed(f.seed);
      const l = new Linear(mem, 784, 128);
      expectSummary(mem.get(l.weight), f.weight, 1e-7, "weight");
      expectSummary(mem.get(l.bias!), f.bias, 1e-7, "bias");
    }));
  });

  for (const [name, make] of [["cnn", (mem: Memory) => new CNN(mem)], ["ffn", (mem: Memory) => new FFN(mem)]] as const) {
    test(`the seed's ${name.toUpperCase()}, parameter by parameter`, () => {
      withMemory((mem) => tidy(() => {
        const f = fx.init[name];
        manualSeed(f.seed);
        make(mem);
        expect(mem.size).toBe(f.params.length);
        f.params.forEach((s, id) => expectSummary(mem.get(id), s, 1e-7, `parameter ${id}`));
      }));
    });
  }

  test("the library's MnistCnn and MnistFfn are the seed's models, initialised as PyTorch's", () => {
    const cases = [
      { f: fx.init.cnn, make: (mem: Memory) => new MnistCnn(mem), spelled: (mem: Memory) => new CNN(mem), input: [2, 1, 28, 28] },
      { f: fx.init.ffn, make: (mem: Memory) => new MnistFfn(mem), spelled: (mem: Memory) => new FFN(mem), input: [2, 784] },
    ];
    for (const { f, make, spelled, input } of cases) {
      withMemory((mem) => withMemory((twin) => tidy(() => {
        manualSeed(f.seed);
        const model = make(mem);
        expect(mem.size).toBe(f.params.length);
        f.params.forEach((s, id) => expectSummary(mem.get(id), s, 1e-7, `parameter ${id}`));
        // The same forward as the models spelled out above, from the same start.
        manualSeed(f.seed);
        const reference = spelled(twin);
        const x = randn(input);
        expect(flat(noGrad(() => model.forward(mem, x)))).toEqual(flat(noGrad(() => reference.forward(twin, x))));
      })));
    }
  });

  test("the CNN maps [N, 1, 28, 28] to [N, 10]", () => {
    withMemory((mem) => tidy(() => {
      const model = new CNN(mem);
      expect(model.forward(mem, zeros([3, 1, 28, 28])).shape).toEqual([3, 10]);
    }));
  });
});

// Runs last (vitest runs a file's tests in order): everything above cleaned up after itself.
describe("the whole file", () => {
  test("leaves no tensor alive", () => {
    expect(liveTensors()).toBe(liveAtStart);
  });
});
