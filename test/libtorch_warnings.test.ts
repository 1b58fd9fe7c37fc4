// LibTorch's warnings (TORCH_WARN) become the runtime's: each distinct message
// once, through console.warn, named after the op; never glog lines on stderr.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test, vi } from "vitest";
import { randn, tidy } from "../mod.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const runtime = "Deno" in globalThis ? "deno" : "bun";
const NON_LEAF = "torchffi: LibTorch warning in grad: The .grad attribute of a Tensor that is not a leaf Tensor is being accessed.";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("LibTorch's warnings", () => {
  test("reach console.warn once per distinct message, named after the op", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    tidy(() => {
      const w = randn([3]).requiresGrad_();
      expect(w.mul(2).grad).toBeNull(); // LibTorch warns on every such read
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(new RegExp(`^${NON_LEAF.replace(/[.()]/g, "\\$&")}`));
      expect(w.add(1).grad).toBeNull();
      expect(w.mul(3).grad).toBeNull();
      w.sum().backward();
      expect(w.grad).not.toBeNull(); // a leaf: no warning
    });
    expect(warn).toHaveBeenCalledTimes(1);
  });

  test(`in a child process (${runtime}): one line per thread on stderr, no glog output, no InitGoogleLogging banner`, () => {
    const script = join("test", "fixtures", "libtorch_warning.ts");
    const child = spawnSync(join(root, "node_modules", ".bin", runtime), runtime === "deno" ? ["run", "-A", script] : [script], {
      cwd: root,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout.trim()).toBe("done");
    const lines = child.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2); // the main thread's and the Worker's
    for (const line of lines) expect(line.startsWith(NON_LEAF)).toBe(true);
    expect(child.stderr).not.toMatch(/InitGoogleLogging/);
    expect(child.stderr).not.toMatch(/^[IWEF]\d{8} /m); // glog's line format
  });
});
