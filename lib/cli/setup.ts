/**
 * `torchffi setup`: builds the native library for an installed package,
 * against the LibTorch on this machine, into the per-user cache where every
 * later import finds it (an npm or Deno cache may be read-only, and is shared).
 *
 * It runs under plain Node (what `npx` starts), Bun or Deno, and uses nothing
 * but Node's standard modules and the CMake and C++ compiler it checks for.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { LIBRARY_FILE, locateLibrary, packageRoot, userLibraryDir } from "../ffi/locate.ts";
import { VERSION } from "../version.ts";
import { type CliIo, parseFlags, UsageError } from "./args.ts";

const SETUP_HELP = `Usage: torchffi setup [--force]

Builds libtorchffi ${VERSION} for this machine with CMake, against Debian's
libtorch-dev or the LibTorch named by LIBTORCH (an unpacked LibTorch folder) or
CMAKE_PREFIX_PATH, and puts it in the per-user cache
(${userLibraryDir()}), where every import of torchffi finds it.
Does nothing when that build is already current.

  --force    rebuild even when the cached build is current
`;

type Environment = Record<string, string | undefined>;

/** Where CMake will find LibTorch, and how to say it. */
interface LibTorchLocation {
  description: string;
  cmakeArgs: string[];
}

const multiarch = process.arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
const debianTorchConfig = `/usr/lib/${multiarch}/cmake/Torch/TorchConfig.cmake`;

function runs(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: "ignore" });
  return !result.error && result.status === 0;
}

function debianPackageInstalled(name: string): boolean | undefined {
  const result = spawnSync("dpkg-query", ["-W", "-f=${Status}", name], { encoding: "utf8" });
  if (result.error) return undefined; // not a Debian system: nothing to say
  return result.status === 0 && result.stdout.includes("install ok installed");
}

// Finds LibTorch and the tools, or lists the Debian packages that provide what is missing.
function checkPrerequisites(env: Environment): { libtorch: LibTorchLocation; missing: string[]; warnings: string[] } {
  const missing: string[] = [];
  const warnings: string[] = [];
  let libtorch: LibTorchLocation;
  if (env.LIBTORCH) {
    const config = join(env.LIBTORCH, "share", "cmake", "Torch", "TorchConfig.cmake");
    if (!existsSync(config)) {
      throw new UsageError(`LIBTORCH=${env.LIBTORCH} does not hold an unpacked LibTorch (no ${config}); unset it to use Debian's libtorch-dev`);
    }
    libtorch = { description: `LibTorch in ${env.LIBTORCH}`, cmakeArgs: [`-DCMAKE_PREFIX_PATH=${[env.LIBTORCH, env.CMAKE_PREFIX_PATH].filter(Boolean).join(";")}`] };
  } else if (env.CMAKE_PREFIX_PATH) {
    libtorch = { description: `LibTorch from CMAKE_PREFIX_PATH (${env.CMAKE_PREFIX_PATH})`, cmakeArgs: [] };
  } else {
    libtorch = { description: "Debian's libtorch-dev", cmakeArgs: [] };
    if (!existsSync(debianTorchConfig)) missing.push("libtorch-dev");
    else if (debianPackageInstalled("libopenblas0-pthread") === false) {
      warnings.push(
        "libopenblas0-pthread is not installed: LibTorch will use the reference BLAS and run matrix products about 8x slower " +
          "(apt-get install libopenblas0-pthread)",
      );
    }
  }
  if (!env.LIBTORCH && !env.CMAKE_PREFIX_PATH && debianPackageInstalled("libgloo-dev") === false) {
    warnings.push("libgloo-dev is not installed: the library builds without process groups (initProcessGroup) (apt-get install libgloo-dev)");
  }
  if (!runs("cmake", ["--version"])) missing.push("cmake");
  if (!runs(env.CXX || "c++", ["--version"])) missing.push("g++");
  return { libtorch, missing, warnings };
}

// What the build depends on: the C sources, the CMake file and where LibTorch is.
function buildFingerprint(root: string, libtorch: LibTorchLocation): string {
  const hash = createHash("sha256");
  hash.update(`${VERSION}\n${libtorch.cmakeArgs.join(" ")}\n${libtorch.description}\n`);
  const files = ["CMakeLists.txt", ...readdirSync(join(root, "csrc")).sort().map((name) => join("csrc", name))];
  for (const file of files) hash.update(`${file}\n`).update(readFileSync(join(root, file)));
  return hash.digest("hex");
}

function tail(output: string, lines = 30): string {
  return output.trimEnd().split("\n").slice(-lines).map((line) => `  ${line}`).join("\n");
}

function cmake(args: string[], what: string): void {
  const result = spawnSync("cmake", args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}` || String(result.error);
    throw new Error(`${what} failed:\n${tail(output)}`);
  }
}

/**
 * Runs `torchffi setup` with `args` (without the command name); returns the
 * exit status: 0 when the library is built or already current, 1 when
 * something is missing or the build failed (the output says what to do).
 *
 * @example
 * ```ts
 * process.exitCode = runSetup([], { out: process.stdout, err: process.stderr });
 * ```
 */
export function runSetup(args: string[], io: CliIo, env: Environment = process.env): number {
  const flags = parseFlags(args, { force: { type: "boolean" } });
  if (flags.help) {
    io.out.write(SETUP_HELP);
    return 0;
  }
  const root = packageRoot();
  if (!root || !existsSync(join(root, "CMakeLists.txt")) || !existsSync(join(root, "csrc"))) {
    throw new UsageError("cannot find torchffi's C sources (CMakeLists.txt and csrc/) beside this command; reinstall the package");
  }
  const { libtorch, missing, warnings } = checkPrerequisites(env);
  for (const warning of warnings) io.err.write(`torchffi setup: warning: ${warning}\n`);
  if (missing.length > 0) {
    const list = missing.join(" ");
    io.err.write(
      `torchffi setup: cannot build yet; missing Debian packages: ${list}\n` +
        `  install them as root:  apt-get update && apt-get install -y --no-install-recommends ${list}\n` +
        "  (for another LibTorch, set LIBTORCH to its folder or CMAKE_PREFIX_PATH to where TorchConfig.cmake is)\n",
    );
    return 1;
  }

  const dir = userLibraryDir(env);
  const target = join(dir, LIBRARY_FILE);
  const stampPath = join(dir, "build.json");
  const fingerprint = buildFingerprint(root, libtorch);
  let current = false;
  try {
    current = existsSync(target) && JSON.parse(readFileSync(stampPath, "utf8")).fingerprint === fingerprint;
  } catch {
    current = false;
  }
  if (current && !flags.force) {
    io.out.write(`torchffi setup: ${target} is current (torchffi ${VERSION}, ${libtorch.description}); nothing to do\n`);
  } else {
    const buildDir = join(dir, "build");
    io.out.write(`torchffi setup: building ${LIBRARY_FILE} ${VERSION} against ${libtorch.description}\n`);
    io.out.write(`  sources: ${root}\n  build:   ${buildDir}\n`);
    mkdirSync(dir, { recursive: true });
    cmake(["-S", root, "-B", buildDir, "-DCMAKE_BUILD_TYPE=Release", ...libtorch.cmakeArgs], "configuring with CMake");
    cmake(["--build", buildDir, "-j", String(availableParallelism())], "compiling");
    // Copied beside the target, then renamed: a process importing torchffi
    // meanwhile sees the old library or the new one, never half of one.
    const temporary = `${target}.tmp-${process.pid}`;
    copyFileSync(join(buildDir, LIBRARY_FILE), temporary);
    renameSync(temporary, target);
    writeFileSync(stampPath, JSON.stringify({ version: VERSION, libtorch: libtorch.description, fingerprint }, null, 2) + "\n");
    io.out.write(`torchffi setup: installed ${target}\n`);
  }
  const used = locateLibrary(env);
  if (used.path !== target) {
    io.out.write(`torchffi setup: note: imports will use ${used.path} (${used.where}), which comes first in the search order\n`);
  } else {
    io.out.write("torchffi setup: ready; `import ... from \"torchffi\"` now finds it under Deno and Bun\n");
  }
  return 0;
}
