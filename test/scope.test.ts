// Who frees native memory: tidy() scopes, keep(), dispose() and `using`.
// Every check is a liveTensors() delta, so tensors other tests left for the
// finalizer backstop do not matter (finalizers never run inside a synchronous test).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { keep, liveTensors, ones, type Tensor, tensor, tidy, TorchError, zeros } from "../mod.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("tidy()", () => {
  test("frees every intermediate and keeps the returned tensor", () => {
    const before = liveTensors();
    let inside = 0;
    const intermediates: Tensor[] = [];
    const result = tidy(() => {
      const a = tensor([1, 2, 3]);
      const b = a.mul(2);
      const c = b.add(1);
      intermediates.push(a, b, c);
      inside = liveTensors() - before;
      return c.relu();
    });
    expect(inside).toBe(3);
    expect(liveTensors()).toBe(before + 1);
    expect(result.isDisposed).toBe(false);
    expect(result.toArray()).toEqual([3, 5, 7]);
    for (const t of intermediates) expect(t.isDisposed).toBe(true);
    result.dispose();
    expect(liveTensors()).toBe(before);
  });

  test("keeps tensors inside a returned array or object, frees the rest", () => {
    const before = liveTensors();
    const dropped: Tensor[] = [];
    const { pair, named, deep } = tidy(() => {
      const x = tensor([1, 2]);
      dropped.push(x, x.neg());
      return {
        pair: [x.add(1), x.add(2)],
        named: x.mul(10),
        deep: { inner: [{ t: x.sub(1) }] },
        label: "not a tensor",
      };
    });
    expect(liveTensors()).toBe(before + 4);
    expect(pair[0].toArray()).toEqual([2, 3]);
    expect(pair[1].toArray()).toEqual([3, 4]);
    expect(named.toArray()).toEqual([10, 20]);
    expect(deep.inner[0].t.toArray()).toEqual([0, 1]);
    for (const t of dropped) expect(t.isDisposed).toBe(true);
    for (const t of [...pair, named, deep.inner[0].t]) t.dispose();
    expect(liveTensors()).toBe(before);
  });

  test("returns non-tensor values unchanged and frees everything", () => {
    const before = liveTensors();
    const value = tidy(() => tensor([1, 2, 3]).sum().item());
    expect(value).toBe(6);
    expect(tidy(() => (zeros([2]), undefined))).toBeUndefined();
    expect(liveTensors()).toBe(before);
  });

  test("does not touch tensors created outside it", () => {
    const before = liveTensors();
    const outside = tensor([4, 5]);
    const result = tidy(() => outside.add(1));
    expect(outside.isDisposed).toBe(false);
    // Returning a tensor from outside is fine too: it is neither freed nor adopted.
    const same = tidy(() => {
      outside.mul(3);
      return outside;
    });
    expect(same).toBe(outside);
    expect(outside.toArray()).toEqual([4, 5]);
    expect(liveTensors()).toBe(before + 2);
    outside.dispose();
    result.dispose();
    expect(liveTensors()).toBe(before);
  });

  test("nested tidy moves the returned tensor to the enclosing scope", () => {
    const before = liveTensors();
    let fromInner: Tensor | undefined;
    let afterInner = 0;
    const outerResult = tidy(() => {
      fromInner = tidy(() => ones([2]).mul(3).add(1));
      afterInner = liveTensors() - before;
      expect(fromInner.toArray()).toEqual([4, 4]);
      return fromInner.sum();
    });
    expect(afterInner).toBe(1); // only the inner result survived the inner scope
    expect(fromInner!.isDisposed).toBe(true); // the outer scope freed it: it was not returned
    expect(outerResult.item()).toBe(8);
    expect(liveTensors()).toBe(before + 1);
    outerResult.dispose();
    expect(liveTensors()).toBe(before);
  });

  test("a tensor returned through every level survives them all", () => {
    const before = liveTensors();
    const t = tidy(() => tidy(() => tidy(() => zeros([3]).add(7))));
    expect(t.toArray()).toEqual([7, 7, 7]);
    expect(liveTensors()).toBe(before + 1);
    t.dispose();
    expect(liveTensors()).toBe(before);
  });

  test("dispose() inside tidy frees at once and the scope does not free it again", () => {
    const before = liveTensors();
    tidy(() => {
      const a = zeros([2]);
      const b = zeros([2]);
      expect(liveTensors()).toBe(before + 2);
      a.dispose();
      expect(liveTensors()).toBe(before + 1);
      return b.isDisposed;
    });
    expect(liveTensors()).toBe(before);
    // Had the scope freed `a` twice, the count would now be below `before`.
    const probe = zeros([1]);
    expect(liveTensors()).toBe(before + 1);
    probe.dispose();
  });
});

describe("keep()", () => {
  test("a kept tensor survives its scope; the rest is freed", () => {
    const before = liveTensors();
    let kept: Tensor | undefined;
    let dropped: Tensor | undefined;
    tidy(() => {
      const x = tensor([1, 2, 3, 4]);
      kept = keep(x.mean());
      dropped = x.sub(kept);
    });
    expect(kept!.isDisposed).toBe(false);
    expect(dropped!.isDisposed).toBe(true);
    expect(kept!.item()).toBe(2.5);
    expect(liveTensors()).toBe(before + 1);
    kept!.dispose();
    expect(liveTensors()).toBe(before);
  });

  test("a kept tensor survives every enclosing scope", () => {
    const before = liveTensors();
    let kept: Tensor | undefined;
    tidy(() => {
      tidy(() => {
        kept = keep(ones([2]).add(1));
      });
      expect(kept!.isDisposed).toBe(false);
    });
    expect(kept!.toArray()).toEqual([2, 2]);
    expect(liveTensors()).toBe(before + 1);
    kept!.dispose();
    expect(liveTensors()).toBe(before);
  });

  test("keep() returns its argument and refuses non-tensors", () => {
    const t = zeros([1]);
    expect(keep(t)).toBe(t);
    t.dispose();
    expect(() => keep([1, 2] as never)).toThrow(TorchError);
  });
});

describe("tidy() when things go wrong", () => {
  test("rethrows the same error and still frees what fn made", () => {
    const before = liveTensors();
    const boom = new Error("boom");
    let made: Tensor[] = [];
    let thrown: unknown;
    try {
      tidy(() => {
        made = [zeros([2]), ones([3]).add(1)];
        throw boom;
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(boom);
    for (const t of made) expect(t.isDisposed).toBe(true);
    expect(liveTensors()).toBe(before);
  });

  test("a TorchError from an op inside tidy frees the earlier tensors", () => {
    const before = liveTensors();
    expect(() =>
      tidy(() => {
        const a = zeros([2, 3]);
        return a.matmul(a);
      })
    ).toThrow(/cannot be multiplied/);
    expect(liveTensors()).toBe(before);
  });

  test("kept tensors survive even when fn throws", () => {
    const before = liveTensors();
    let kept: Tensor | undefined;
    expect(() =>
      tidy(() => {
        kept = keep(tensor([9]));
        zeros([5]);
        throw new Error("after keep");
      })
    ).toThrow("after keep");
    expect(kept!.item()).toBe(9);
    expect(liveTensors()).toBe(before + 1);
    kept!.dispose();
    expect(liveTensors()).toBe(before);
  });

  test("an inner scope that throws leaves the outer scope working", () => {
    const before = liveTensors();
    const result = tidy(() => {
      const base = tensor([1, 2]);
      expect(() => tidy(() => base.add(tensor([1, 2, 3])))).toThrow(TorchError);
      return base.mul(2); // base and the outer scope are intact
    });
    expect(result.toArray()).toEqual([2, 4]);
    result.dispose();
    expect(liveTensors()).toBe(before);
  });

  test("an async function throws a TorchError and leaks nothing", () => {
    const before = liveTensors();
    let made: Tensor | undefined;
    let thrown: unknown;
    try {
      tidy((async () => {
        made = zeros([4]);
        return made.add(1);
      }) as () => unknown);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TorchError);
    expect((thrown as TorchError).op).toBe("tidy");
    expect((thrown as TorchError).detail).toMatch(/Promise/);
    expect((thrown as TorchError).detail).toMatch(/synchronous/);
    expect(made!.isDisposed).toBe(true);
    expect(liveTensors()).toBe(before);
    // The scope stack is balanced again: a following tidy frees as usual.
    const next = tidy(() => ones([2]).add(1));
    expect(liveTensors()).toBe(before + 1);
    next.dispose();
  });

  // Regression: tidy() must handle the Promise it refuses; otherwise, when the async
  // function later rejects (it threw, or used a tensor tidy() had just freed), the
  // runtime ends the process over an unhandled rejection although the caller caught
  // tidy()'s TorchError. Run in a child process so a crash cannot take the runner down.
  for (const runtime of ["deno", "bun"] as const) {
    test(`${runtime}: the refused Promise's rejection does not end the process`, () => {
      const script = "test/fixtures/tidy_async_rejection.ts";
      const args = runtime === "deno" ? ["run", "-A", script] : [script];
      const child = spawnSync(`node_modules/.bin/${runtime}`, args, {
        cwd: root,
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, NO_COLOR: "1" },
      });
      expect(child.stdout).toContain("caught: tidy: the function returned a Promise");
      expect(child.stdout).toContain("leaked: 0");
      expect(child.status, `exit code ${child.status}; stderr:\n${child.stderr}`).toBe(0);
      expect(child.stdout).toContain("still running");
    });
  }
});

describe("using and dispose()", () => {
  // `using` compiles under vitest's transform on both runtimes, so it is tested as written.
  test("`using` frees the tensor at the end of the block", () => {
    const before = liveTensors();
    let escaped: Tensor | undefined;
    {
      using t = zeros([2]);
      escaped = t;
      expect(liveTensors()).toBe(before + 1);
      expect(tidy(() => t.add(1).toArray())).toEqual([1, 1]);
    }
    expect(escaped.isDisposed).toBe(true);
    expect(liveTensors()).toBe(before);
  });

  test("`using` frees the tensor when the block throws", () => {
    const before = liveTensors();
    let escaped: Tensor | undefined;
    expect(() => {
      using t = ones([3]);
      escaped = t;
      throw new Error("inside using");
    }).toThrow("inside using");
    expect(escaped!.isDisposed).toBe(true);
    expect(liveTensors()).toBe(before);
  });

  test("Symbol.dispose is dispose()", () => {
    const before = liveTensors();
    const t = zeros([2]);
    t[Symbol.dispose]();
    expect(t.isDisposed).toBe(true);
    expect(liveTensors()).toBe(before);
  });

  test("disposed tensors throw when used, whichever way they were freed", () => {
    const viaDispose = zeros([2]);
    viaDispose.dispose();
    let viaScope: Tensor | undefined;
    tidy(() => {
      viaScope = zeros([2]);
    });
    let viaUsing: Tensor | undefined;
    {
      using t = zeros([2]);
      viaUsing = t;
    }
    for (const t of [viaDispose, viaScope!, viaUsing]) {
      expect(t.isDisposed).toBe(true);
      expect(() => t.add(1)).toThrow(/disposed/);
      expect(() => t.item()).toThrow(TorchError);
      expect(() => tidy(() => ones([2]).mul(t))).toThrow(/disposed/);
    }
  });
});

describe("loops leak nothing", () => {
  test("10,000 op calls inside one tidy() leave liveTensors() where it started", () => {
    const before = liveTensors();
    let peak = 0;
    const total = tidy(() => {
      let x = zeros([4]);
      for (let i = 0; i < 10_000; i++) x = x.add(1);
      peak = liveTensors() - before;
      return x.sum().item();
    });
    expect(total).toBe(40_000);
    expect(peak).toBe(10_001); // everything was alive until the scope closed
    expect(liveTensors()).toBe(before);
  });

  test("10,000 tidy() calls in a loop, each keeping a running result", () => {
    const before = liveTensors();
    let acc = zeros([2, 2]);
    const weight = tensor([[1, 0], [0, 1]]);
    for (let i = 0; i < 10_000; i++) {
      const next = tidy(() => acc.matmul(weight).add(1).relu());
      acc.dispose();
      acc = next;
    }
    expect(acc.toArray()).toEqual([[10_000, 10_000], [10_000, 10_000]]);
    expect(liveTensors()).toBe(before + 2);
    acc.dispose();
    weight.dispose();
    expect(liveTensors()).toBe(before);
  });
});

describe("finalizer backstop", () => {
  // Finalizers only run between jobs, after garbage collection, so this runs
  // in a child process that can force both.
  for (const runtime of ["deno", "bun"] as const) {
    test(`tensors that escape every scope are freed after garbage collection (${runtime})`, () => {
      const args = runtime === "deno" ? ["run", "-A", "--v8-flags=--expose-gc"] : [];
      const run = spawnSync(join(root, "node_modules", ".bin", runtime), [...args, "test/fixtures/finalizer_backstop.ts"], {
        cwd: root,
        encoding: "utf8",
      });
      expect(run.stderr).toBe("");
      const result = JSON.parse(run.stdout);
      expect(result.made).toBe(2001);
      expect(result.left).toBeLessThanOrEqual(1);
      expect(result.keptAlive).toBe(true);
    });
  }
});
