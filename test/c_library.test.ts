// The C library as a product: `cmake --install` puts libtorchffi and its
// header under a prefix, a C program (examples/c/linear_fit.c) builds against
// them and runs, and the TypeScript loader finds the installed copy on the
// system library path.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const prefix = mkdtempSync(join(tmpdir(), "torchffi-prefix-"));

describe("cmake --install and a C program", () => {
  let installLog = "";
  beforeAll(() => {
    const installed = spawnSync("cmake", ["--install", join(root, "build"), "--prefix", prefix], { encoding: "utf8" });
    installLog = installed.stdout + installed.stderr;
    expect(installed.status, installLog).toBe(0);
  });

  test("installs the library and the header under the prefix", () => {
    expect(existsSync(join(prefix, "lib", "libtorchffi.so")), installLog).toBe(true);
    expect(existsSync(join(prefix, "include", "torchffi.h")), installLog).toBe(true);
  });

  test("examples/c/linear_fit.c compiles as strict C11 against them and fits y = 3x + 2", () => {
    const executable = join(prefix, "linear_fit");
    const compiled = spawnSync("cc", [
      "-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror", join(root, "examples", "c", "linear_fit.c"),
      "-I", join(prefix, "include"), "-L", join(prefix, "lib"), "-ltorchffi", `-Wl,-rpath,${join(prefix, "lib")}`, "-o", executable,
    ], { encoding: "utf8" });
    expect(compiled.status, compiled.stderr).toBe(0);

    const ran = spawnSync(executable, [], { encoding: "utf8" });
    expect(ran.stderr).toBe("");
    expect(ran.status).toBe(0);
    const [, weight, bias, loss] = ran.stdout.match(/^weight (\S+) bias (\S+) loss (\S+)$/m) ?? [];
    expect(Math.abs(Number(weight) - 3)).toBeLessThan(1e-3);
    expect(Math.abs(Number(bias) - 2)).toBeLessThan(1e-3);
    expect(Number(loss)).toBeLessThan(1e-8);
    // A refused call returns NULL with LibTorch's message; nothing leaks.
    expect(ran.stdout).toContain("view to [3]: refused (shape '[3]' is invalid for input of size 16)");
    expect(ran.stdout).toContain("live tensors: 0");
  });

  for (const runtime of ["bun", "deno"] as const) {
    test(`${runtime}: the loader finds the installed library through LD_LIBRARY_PATH`, () => {
      // A package copy without build/, and an empty per-user cache.
      const copy = mkdtempSync(join(tmpdir(), "torchffi-system-"));
      for (const file of ["lib", "mod.ts", "package.json", "deno.json", "tsconfig.json"]) cpSync(join(root, file), join(copy, file), { recursive: true });
      symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
      writeFileSync(join(copy, "use.ts"), 'import { nativeLibraryLocation, tensor } from "./mod.ts";\nconsole.log(tensor(2).mul(3).item(), nativeLibraryLocation().path);\n');
      const env: Record<string, string | undefined> = { ...process.env, LD_LIBRARY_PATH: join(prefix, "lib"), XDG_CACHE_HOME: join(copy, "cache") };
      delete env.TORCHFFI_LIB;
      const args = runtime === "deno" ? ["run", "-A", "use.ts"] : ["use.ts"];
      const ran = spawnSync(join(root, "node_modules", ".bin", runtime), args, { cwd: copy, encoding: "utf8", env: env as NodeJS.ProcessEnv });
      expect(ran.stderr).toBe("");
      expect(ran.stdout.trim()).toBe(`6 ${join(prefix, "lib", "libtorchffi.so")}`);
    });
  }
});
