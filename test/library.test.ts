// Finding the native library, in the documented order: TORCHFFI_LIB, the
// package's own build, beside the executable (see package.test.ts), the
// per-user cache, the system library path; and one line when it is nowhere.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { nativeLibraryLocation, VERSION } from "../mod.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const built = join(root, "build", "libtorchffi.so");
const runtimes = ["deno", "bun"] as const;

// A copy of the package without build/, as a fresh checkout looks before setup.
function unbuiltCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "torchffi-unbuilt-"));
  for (const file of ["lib", "mod.ts", "package.json", "deno.json", "tsconfig.json"]) cpSync(join(root, file), join(dir, file), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  writeFileSync(
    join(dir, "use.ts"),
    'import { nativeLibraryLocation, tensor } from "./mod.ts";\nconsole.log(JSON.stringify({ sum: tensor([1, 2]).sum().item(), ...nativeLibraryLocation() }));\n',
  );
  return dir;
}

// A folder holding only a link to the built library, as an install would leave it.
function folderWithLibrary(...parts: string[]): string {
  const dir = join(mkdtempSync(join(tmpdir(), "torchffi-place-")), ...parts);
  mkdirSync(dir, { recursive: true });
  symlinkSync(built, join(dir, "libtorchffi.so"));
  return dir;
}

function run(runtime: (typeof runtimes)[number], script: string, env: Record<string, string> = {}) {
  const args = runtime === "deno" ? ["run", "-A", script] : [script];
  // An empty per-user cache unless a test gives one: the machine's own must not answer.
  const base: Record<string, string | undefined> = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "torchffi-nocache-")), LD_LIBRARY_PATH: "" };
  delete base.TORCHFFI_LIB;
  return spawnSync(join(root, "node_modules", ".bin", runtime), args, { encoding: "utf8", env: { ...base, ...env } });
}

function location(result: ReturnType<typeof run>): { sum: number; where: string; path: string } {
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout);
}

test("this suite loaded the checkout's own build", () => {
  const here = nativeLibraryLocation();
  if (process.env.TORCHFFI_LIB) expect(here).toEqual({ where: "TORCHFFI_LIB", path: process.env.TORCHFFI_LIB });
  else expect(here).toEqual({ where: "the package's own build", path: built });
});

describe("the search order for the native library", () => {
  const unbuilt = unbuiltCopy();
  const use = join(unbuilt, "use.ts");
  const cache = folderWithLibrary();
  // XDG_CACHE_HOME/torchffi/<version>/libtorchffi.so is what `torchffi setup` fills.
  const xdg = mkdtempSync(join(tmpdir(), "torchffi-xdg-"));
  mkdirSync(join(xdg, "torchffi"), { recursive: true });
  symlinkSync(cache, join(xdg, "torchffi", VERSION));
  const system = folderWithLibrary("lib");

  for (const runtime of runtimes) {
    test(`${runtime}: nowhere: one line that says where it looked and what to run, no stack trace`, () => {
      const missing = run(runtime, use);
      expect(missing.status).not.toBe(0);
      const message = missing.stderr.split("\n").find((line) => line.includes("torchffi:")) ?? "";
      expect(message).toContain("the native library libtorchffi.so was not found");
      expect(message).toContain(`looked in TORCHFFI_LIB, which is unset, then ${join(unbuilt, "build")}`);
      expect(message).toContain(join("torchffi", VERSION));
      expect(message).toContain("/usr/local/lib");
      expect(message).toContain("run `npx torchffi setup` to build it");
      expect(missing.stderr).not.toMatch(/^\s+at /m);

      // A checkout is set up by its own script.
      const checkout = unbuiltCopy();
      cpSync(join(root, "scripts"), join(checkout, "scripts"), { recursive: true });
      expect(run(runtime, join(checkout, "use.ts")).stderr).toContain(`run \`bash ${join(checkout, "scripts", "setup.sh")}\` to build it`);
    });

    test(`${runtime}: each place in turn, and the earlier place wins`, () => {
      expect(location(run(runtime, use, { TORCHFFI_LIB: built }))).toEqual({ sum: 3, where: "TORCHFFI_LIB", path: built });
      expect(location(run(runtime, use, { XDG_CACHE_HOME: xdg }))).toMatchObject({ sum: 3, where: "the per-user cache" });
      expect(location(run(runtime, use, { LD_LIBRARY_PATH: system }))).toEqual({
        sum: 3,
        where: "the system library path",
        path: join(system, "libtorchffi.so"),
      });
      // The per-user cache comes before the system path; TORCHFFI_LIB before everything.
      expect(location(run(runtime, use, { XDG_CACHE_HOME: xdg, LD_LIBRARY_PATH: system })).where).toBe("the per-user cache");
      expect(location(run(runtime, use, { TORCHFFI_LIB: join(system, "libtorchffi.so"), XDG_CACHE_HOME: xdg })).where).toBe("TORCHFFI_LIB");
    });

    test(`${runtime}: a wrong TORCHFFI_LIB or a file that is not the library are clear errors`, () => {
      const wrong = run(runtime, use, { TORCHFFI_LIB: join(unbuilt, "nowhere.so") });
      expect(wrong.status).not.toBe(0);
      expect(wrong.stderr).toContain(`TORCHFFI_LIB points to ${join(unbuilt, "nowhere.so")}, which does not exist`);
      expect(wrong.stderr).not.toMatch(/^\s+at /m);

      const notALibrary = run(runtime, use, { TORCHFFI_LIB: join(unbuilt, "package.json") });
      expect(notALibrary.status).not.toBe(0);
      expect(notALibrary.stderr).toContain(`cannot open libtorchffi.so found in TORCHFFI_LIB (${join(unbuilt, "package.json")})`);
      expect(notALibrary.stderr).toContain("npx torchffi setup");
    });
  }
});
