/**
 * The basics of torchffi: make tensors, compute inside `tidy()` so that the
 * intermediates are freed, read results back, and watch the live-tensor count.
 *
 * Run it with either runtime from the repository root:
 *
 *     deno run -A examples/basics.ts
 *     bun examples/basics.ts
 *
 * It prints strings only (never raw arrays or objects), so both runtimes print
 * exactly the same text.
 *
 * @module
 */
import { arange, liveTensors, ones, tensor, tidy, TorchError } from "../mod.ts";

const start = liveTensors();

// Creating tensors: from nested arrays (float32 unless told otherwise), typed
// arrays, or filled.
const a = tensor([[1, 2], [3, 4]]);
const b = tensor(new Float64Array([0.5, -1.5, 2.25]));
const labels = tensor([3, 1, 4], undefined, "int64");
const bias = ones([2]);
console.log("a =", String(a));
console.log(`a: shape [${a.shape.join(", ")}], dtype ${a.dtype}, ${a.numel} elements`);
console.log("b =", String(b));
console.log("labels =", String(labels));

// A few ops inside tidy(): everything made inside is freed at the end except
// what the function returns.
const { product, scores } = tidy(() => {
  const product = a.matmul(a).add(bias);                     // [[8, 11], [16, 23]]
  const logits = arange(6).to("float32").view([2, 3]).div(2);
  const scores = logits.softmax(1).mul(100).sum(1);          // each row sums to 100
  return { product, scores };
});
console.log("a @ a + 1 =", String(product));
console.log("softmax rows sum to", JSON.stringify(Array.from(scores.toFloat32Array(), (v) => Math.round(v))));

// Reading one number or a nested array back also makes a tensor; tidy() frees it.
tidy(() => {
  console.log("mean of a =", a.mean().item());
  console.log("argmax of each row of a @ a + 1 =", JSON.stringify(product.argmax(1).toArray()));
});

// Errors are TorchErrors naming the operation; the program goes on.
try {
  a.view([3]);
} catch (e) {
  if (!(e instanceof TorchError)) throw e;
  console.log(`caught TorchError from ${e.op}: ${e.detail}`);
}

console.log("live tensors we hold:", liveTensors() - start); // a, b, labels, bias, product, scores
for (const t of [a, b, labels, bias, product, scores]) t.dispose();
console.log("live tensors after dispose():", liveTensors() - start);
