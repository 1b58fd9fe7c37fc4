// torchffi used the way users get it, from folders outside the checkout: a
// script importing the sources by path, the npm package installed into a new
// project and set up with `npx torchffi setup`, and a `bun build --compile`d
// tool run from / with no environment.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import { loadImage, rgbToGrayscale, saveImage, tidy, VERSION } from "../mod.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const tool = (name: string) => join(root, "node_modules", ".bin", name);
const runtimes = ["bun", "deno"] as const;
type Runtime = (typeof runtimes)[number];
const sample = join(root, "examples", "sample.png");
const work = mkdtempSync(join(tmpdir(), "torchffi-package-"));
const home = join(work, "home"); // the user's home: `torchffi setup` fills its cache
const emptyHome = join(work, "empty-home"); // a user who never ran setup
mkdirSync(home);
mkdirSync(emptyHome);

function run(command: string, args: string[], cwd: string, env: Record<string, string | undefined>): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: "utf8", env: env as NodeJS.ProcessEnv, maxBuffer: 64 << 20 });
}

// What a user's shell would have: their PATH and HOME, nothing of ours.
function userEnv(userHome: string, extra: Record<string, string> = {}) {
  return { PATH: process.env.PATH, HOME: userHome, npm_config_update_notifier: "false", ...extra };
}

function runScript(runtime: Runtime, script: string, cwd: string, env: Record<string, string | undefined>) {
  return run(tool(runtime), runtime === "deno" ? ["run", "-A", script] : [script], cwd, env);
}

// The same program for every way of getting torchffi; only the import differs.
function appSource(specifier: string): string {
  return `import { loadImage, nativeLibraryLocation, rgbToGrayscale, saveImage, tensor, tidy } from ${JSON.stringify(specifier)};
const product = tidy(() => tensor([[1, 2], [3, 4]]).matmul(tensor([[5], [6]])).toArray());
const image = loadImage(${JSON.stringify(sample)});
saveImage("gray.png", rgbToGrayscale(image));
const gray = loadImage("gray.png");
console.log(JSON.stringify({ product, shape: image.shape, mean: image.mean().item(), grayShape: gray.shape, grayMean: gray.mean().item(), where: nativeLibraryLocation().where }));
`;
}

// The numbers the app must print, computed here through the checkout.
const expected = tidy(() => {
  const image = loadImage(sample);
  const grayPath = join(work, "expected-gray.png");
  saveImage(grayPath, rgbToGrayscale(image));
  const gray = loadImage(grayPath);
  return { product: [[17], [39]], shape: [3, 120, 160], mean: image.mean().item(), grayShape: [1, 120, 160], grayMean: gray.mean().item() };
});

// Node itself: `bun --bun` puts a "node" that is Bun first on its children's PATH.
function realNode(): string {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const candidate = join(dir, "node");
    if (dir && existsSync(candidate) && basename(realpathSync(candidate)) === "node") return realpathSync(candidate);
  }
  throw new Error("Node is not on PATH");
}

function appOutput(result: SpawnSyncReturns<string>): Record<string, unknown> {
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim().split("\n").pop() ?? "");
}

describe("a script elsewhere on disk importing mod.ts by path", () => {
  for (const runtime of runtimes) {
    test(`${runtime}: loads and runs, images included`, () => {
      const dir = mkdtempSync(join(work, `by-path-${runtime}-`));
      writeFileSync(join(dir, "app.ts"), appSource(join(root, "mod.ts")));
      const env: Record<string, string | undefined> = { ...process.env };
      delete env.TORCHFFI_LIB;
      const output = appOutput(runScript(runtime, "app.ts", dir, env));
      expect(output).toEqual({ ...expected, where: "the package's own build" });
    });
  }
});

describe("the npm package in a new project", () => {
  const project = join(work, "project");
  let tarball = "";
  let listing: string[] = [];
  let firstSetup: SpawnSyncReturns<string>;
  let secondSetup: SpawnSyncReturns<string>;

  beforeAll(() => {
    const packed = run("npm", ["pack", "--pack-destination", work], root, { ...process.env, npm_config_update_notifier: "false" });
    expect(packed.status, packed.stderr).toBe(0);
    tarball = join(work, packed.stdout.trim().split("\n").pop() ?? "");
    listing = run("tar", ["tzf", tarball], work, process.env).stdout.split("\n").filter(Boolean).map((entry) => entry.replace(/^package\//, ""));

    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "my-app", private: true, type: "module" }));
    const installed = run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], project, userEnv(home));
    expect(installed.status, installed.stderr).toBe(0);
    writeFileSync(join(project, "app.ts"), appSource("torchffi"));

    firstSetup = run("npx", ["torchffi", "setup"], project, userEnv(home));
    secondSetup = run("npx", ["torchffi", "setup"], project, userEnv(home));
  });

  test("the tarball holds the sources, CMake, the command and compiled JavaScript; no tests or build output", () => {
    expect(tarball).toMatch(new RegExp(`torchffi-${VERSION.replaceAll(".", "\\.")}\\.tgz$`));
    for (const file of ["package.json", "mod.ts", "CMakeLists.txt", "csrc/torchffi.h", "csrc/tensor.cpp", "bin/torchffi.mjs", "dist/mod.js", "dist/mod.d.ts", "dist/lib/cli/setup.js", "docs/design.md", "README.md"]) {
      expect(listing, file).toContain(file);
    }
    for (const prefix of ["test/", "build/", "bench/", "node_modules/", "scripts/"]) expect(listing.filter((file) => file.startsWith(prefix)), prefix).toEqual([]);
    // The compiled files import the codecs by their npm names.
    const image = run("tar", ["xzOf", tarball, "package/dist/lib/data/image.js"], work, process.env).stdout;
    expect(image).toContain('from "fast-png"');
    expect(image).not.toMatch(/from "npm:/);
  });

  test("npx torchffi setup builds into the per-user cache, and the second time finds it current", () => {
    const library = join(home, ".cache", "torchffi", VERSION, "libtorchffi.so");
    expect(firstSetup.status, firstSetup.stderr).toBe(0);
    expect(firstSetup.stdout).toContain("building libtorchffi.so");
    expect(firstSetup.stdout).toContain(`installed ${library}`);
    expect(existsSync(library)).toBe(true);
    expect(secondSetup.status, secondSetup.stderr).toBe(0);
    expect(secondSetup.stdout).toContain(`${library} is current`);
    expect(secondSetup.stdout).not.toContain("building");
  });

  for (const runtime of runtimes) {
    test(`${runtime}: import ... from "torchffi" runs the same program with the same numbers`, () => {
      const output = appOutput(runScript(runtime, "app.ts", project, userEnv(home)));
      expect(output).toEqual({ ...expected, where: "the per-user cache" });
    });

    test(`${runtime}: before setup, one line names the places searched and the command to run`, () => {
      const missing = runScript(runtime, "app.ts", project, userEnv(emptyHome));
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain("the native library libtorchffi.so was not found");
      expect(missing.stderr).toContain(join(project, "node_modules", "torchffi", "build"));
      expect(missing.stderr).toContain(join(emptyHome, ".cache", "torchffi", VERSION));
      expect(missing.stderr).toContain("run `npx torchffi setup` to build it");
      expect(missing.stderr).not.toMatch(/^\s+at /m);
    });
  }

  test("bun add installs the same tarball; the program runs the same", () => {
    const bunProject = join(work, "bun-project");
    mkdirSync(bunProject);
    writeFileSync(join(bunProject, "package.json"), JSON.stringify({ name: "my-bun-app", private: true, type: "module" }));
    const added = run(tool("bun"), ["add", tarball], bunProject, userEnv(home));
    expect(added.status, added.stderr).toBe(0);
    writeFileSync(join(bunProject, "app.ts"), appSource("torchffi"));
    expect(appOutput(runScript("bun", "app.ts", bunProject, userEnv(home)))).toEqual({ ...expected, where: "the per-user cache" });
  });

  test("the shipped declarations type-check a user's program (deno check)", () => {
    const checked = run(tool("deno"), ["check", "--quiet", "app.ts"], project, userEnv(home));
    expect(checked.stderr).toBe("");
    expect(checked.status).toBe(0);
  });

  test("under Node, commands that need LibTorch go to Bun; setup names missing Debian packages", () => {
    const launcher = join(project, "node_modules", "torchffi", "bin", "torchffi.mjs");
    const withBun = userEnv(home, { PATH: `${dirname(tool("bun"))}:${process.env.PATH}` });
    const help = run("npx", ["torchffi", "eval", "--help"], project, withBun);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain("Usage: torchffi eval --weights FILE");

    // A PATH with Node alone: no Bun, no Deno, no cmake, no compiler.
    const onlyNode = join(work, "only-node");
    mkdirSync(onlyNode);
    symlinkSync(realNode(), join(onlyNode, "node"));
    const bare = { PATH: onlyNode, HOME: emptyHome };
    const noRuntime = run(join(onlyNode, "node"), [launcher, "train"], project, bare);
    expect(noRuntime.status).toBe(1);
    expect(noRuntime.stderr).toContain("`torchffi train` runs on Bun or Deno, and neither was found");

    const missing = run(join(onlyNode, "node"), [launcher, "setup"], project, bare);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("missing Debian packages: cmake g++");
    expect(missing.stderr).toContain("apt-get install -y --no-install-recommends cmake g++");
    expect(existsSync(join(emptyHome, ".cache", "torchffi"))).toBe(false);

    const wrongLibTorch = run(join(onlyNode, "node"), [launcher, "setup"], project, { ...bare, LIBTORCH: "/nonexistent" });
    expect(wrongLibTorch.status).toBe(2);
    expect(wrongLibTorch.stderr).toContain("LIBTORCH=/nonexistent does not hold an unpacked LibTorch");
  });

  test("bun build --compile gives a tool that runs from / with no environment", () => {
    writeFileSync(
      join(project, "tool.ts"),
      'import { loadImage, nativeLibraryLocation } from "torchffi";\n' +
        "const image = loadImage(process.argv[2]);\n" +
        "console.log(JSON.stringify({ shape: image.shape, mean: image.mean().item(), where: nativeLibraryLocation().where }));\n",
    );
    const binDir = join(work, "tools");
    const executable = join(binDir, "image-stats");
    const compiled = run(tool("bun"), ["build", "--compile", "tool.ts", "--outfile", executable], project, userEnv(home));
    expect(compiled.status, compiled.stderr).toBe(0);

    // Only HOME, which is how the per-user cache is found (as any shell sets it).
    const ran = run(executable, [sample], "/", { HOME: home });
    expect(ran.stderr).toBe("");
    expect(JSON.parse(ran.stdout)).toEqual({ shape: expected.shape, mean: expected.mean, where: "the per-user cache" });

    const missing = run(executable, [sample], "/", { HOME: emptyHome });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain("run `npx torchffi setup` to build it");
    expect(missing.stderr).not.toMatch(/^\s+at /m);

    // Shipped together with the library beside it, the tool needs no setup at all.
    copyFileSync(join(home, ".cache", "torchffi", VERSION, "libtorchffi.so"), join(binDir, "libtorchffi.so"));
    const beside = run(executable, [sample], "/", { HOME: emptyHome });
    expect(beside.stderr).toBe("");
    expect(JSON.parse(beside.stdout).where).toBe("beside the running executable");
  });
});

test("the version in lib/version.ts and the npm: specifiers in lib/ match package.json", () => {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  expect(VERSION).toBe(manifest.version);
  const image = readFileSync(join(root, "lib", "data", "image.ts"), "utf8");
  const tsconfig = readFileSync(join(root, "tsconfig.json"), "utf8");
  const specifiers = [...image.matchAll(/from "npm:([^@"]+)@([^"]+)"/g)];
  expect(specifiers.length).toBe(2);
  for (const [, name, version] of specifiers) {
    expect(manifest.dependencies[name], name).toBe(version);
    expect(tsconfig, `tsconfig.json maps npm:${name}@${version} for Bun`).toContain(`"npm:${name}@${version}"`);
  }
});
