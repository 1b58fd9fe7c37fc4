// The seed's Listing 1/2 CNN, written as in DESIGN.md (test/training_helpers.ts), trained with train() on
// a few thousand Fashion-MNIST images: a sensible accuracy in seconds, and no leaks.
import { describe, expect, test } from "vitest";
import { accuracy, crossEntropy, liveTensors, loadMnist, manualSeed, Memory, predictClasses, tidy, train } from "../mod.ts";
import { CNN as MyModel } from "./training_helpers.ts";

describe("the seed's CNN on Fashion-MNIST", () => {
  test("8,000 images, 3 epochs at lr 2e-3: above 80% on 2,000 test images, nothing leaked", () => {
    const before = liveTensors();
    const mem = new Memory();
    tidy(() => {
      manualSeed(1);
      const train_ = loadMnist();
      const test_ = loadMnist(undefined, "test");
      const x = train_.x.narrow(0, 0, 8000).view([-1, 1, 28, 28]);
      const y = train_.y.narrow(0, 0, 8000);
      const model = new MyModel(mem);
      const history = train(mem, x, y, model, { epochs: 3, batchSize: 32, loss: crossEntropy, lr: 2e-3, optimizer: "adam" });
      expect(history.length).toBe(3);
      expect(history[2]).toBeLessThan(history[0]);
      const testX = test_.x.narrow(0, 0, 2000).view([-1, 1, 28, 28]);
      const testAccuracy = accuracy(test_.y.narrow(0, 0, 2000), predictClasses(mem, model, testX));
      expect(testAccuracy).toBeGreaterThan(0.8);
      // The seed's way: accuracy on logits of the whole (training) set.
      expect(accuracy(y, model.forward(mem, x))).toBeGreaterThan(0.8);
    });
    mem.dispose();
    expect(liveTensors()).toBe(before);
  });
});
