// Finding the native library: beside the package in build/, or where
// TORCHFFI_LIB points; when it is missing the error says how to build it.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const runtimes = ["deno", "bun"] as const;

function run(runtime: (typeof runtimes)[number], script: string, env: Record<string, string> = {}) {
  const args = runtime === "deno" ? ["run", "-A", script] : [script];
  return spawnSync(join(root, "node_modules", ".bin", runtime), args, { encoding: "utf8", env: { ...process.env, ...env } });
}

// A copy of the package without build/, as a fresh checkout looks before setup.
function unbuiltCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "torchffi-unbuilt-"));
  cpSync(join(root, "lib"), join(dir, "lib"), { recursive: true });
  cpSync(join(root, "mod.ts"), join(dir, "mod.ts"));
  cpSync(join(root, "package.json"), join(dir, "package.json"));
  cpSync(join(root, "deno.json"), join(dir, "deno.json"));
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "use.ts"), 'import { tensor } from "./mod.ts";\nconsole.log(tensor([1, 2]).sum().item());\n');
  return dir;
}

describe("opening the native library", () => {
  const unbuilt = unbuiltCopy();
  for (const runtime of runtimes) {
    test(`${runtime}: a missing build says how to build it; TORCHFFI_LIB points elsewhere`, () => {
      const missing = run(runtime, join(unbuilt, "use.ts"));
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain("the native library is not built");
      expect(missing.stderr).toContain("bash scripts/setup.sh");

      const pointed = run(runtime, join(unbuilt, "use.ts"), { TORCHFFI_LIB: join(root, "build", "libtorchffi.so") });
      expect(pointed.stderr).toBe("");
      expect(pointed.stdout.trim()).toBe("3");

      const wrong = run(runtime, join(unbuilt, "use.ts"), { TORCHFFI_LIB: join(unbuilt, "nowhere.so") });
      expect(wrong.status).not.toBe(0);
      expect(wrong.stderr).toContain(`TORCHFFI_LIB points to ${join(unbuilt, "nowhere.so")}, which does not exist`);
    });
  }
});
