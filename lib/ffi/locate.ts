/**
 * Where the native library is looked for, in one documented order:
 *
 * 1. `TORCHFFI_LIB`, when set (and then nowhere else);
 * 2. the package's own build: `build/` in the torchffi folder (a checkout after
 *    `npm run setup`, or `cmake -B build` by hand);
 * 3. beside the running executable, for tools made with `bun build --compile`;
 * 4. the per-user cache that `torchffi setup` fills
 *    (`$XDG_CACHE_HOME/torchffi/<version>`, by default `~/.cache/torchffi/<version>`);
 * 5. the system library path: `LD_LIBRARY_PATH`, then `/usr/local/lib` and the
 *    distribution's library folders (where `cmake --install build` puts it).
 *
 * Only Node's standard modules are used here, so that `torchffi setup` can run
 * under plain Node (as `npx` starts it) and share this one definition.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { VERSION } from "../version.ts";

/**
 * The native library's file name on this platform.
 *
 * @example
 * ```ts
 * console.log(LIBRARY_FILE); // "libtorchffi.so" on Linux
 * ```
 */
export const LIBRARY_FILE: string = process.platform === "darwin" ? "libtorchffi.dylib" : "libtorchffi.so";

/**
 * One place the loader looks: what it is called in messages, and the file.
 *
 * @example
 * ```ts
 * const place: LibraryPlace = { where: "TORCHFFI_LIB", path: "/opt/torchffi/libtorchffi.so" };
 * ```
 */
export interface LibraryPlace {
  /** A short description for messages, e.g. "the per-user cache". */
  where: string;
  /** The library file looked for there. */
  path: string;
}

type Environment = Record<string, string | undefined>;

/**
 * The folder of the torchffi package this module was loaded from (the one
 * holding its `package.json`, `csrc/` and `build/`), or `null` when there is
 * none on disk, as inside a compiled executable.
 *
 * @example
 * ```ts
 * const root = packageRoot(); // "/home/me/app/node_modules/torchffi"
 * ```
 */
export function packageRoot(): string | null {
  let dir: string;
  try {
    dir = dirname(fileURLToPath(import.meta.url));
  } catch {
    return null;
  }
  // The first package.json above this file is the package's own, both for the
  // sources (lib/ffi/) and the compiled copy (dist/lib/ffi/).
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        return JSON.parse(readFileSync(manifest, "utf8")).name === "torchffi" ? dir : null;
      } catch {
        return null;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * The per-user folder that `torchffi setup` builds into, one per torchffi
 * version (a library from another version would not match the symbol table).
 *
 * @example
 * ```ts
 * console.log(userLibraryDir()); // "/home/me/.cache/torchffi/0.2.0"
 * ```
 */
export function userLibraryDir(env: Environment = process.env): string {
  const cache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
  return join(cache, "torchffi", VERSION);
}

function systemLibraryDirs(env: Environment): string[] {
  const fromEnv = (env.LD_LIBRARY_PATH ?? "").split(":").filter((dir) => dir !== "");
  const multiarch = process.arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  return [...fromEnv, "/usr/local/lib", "/usr/local/lib64", `/usr/lib/${multiarch}`, "/usr/lib64", "/usr/lib"];
}

/**
 * Every place after `TORCHFFI_LIB` that the loader looks, in order.
 *
 * @example
 * ```ts
 * for (const place of librarySearchOrder()) console.log(place.where, place.path);
 * ```
 */
export function librarySearchOrder(env: Environment = process.env): LibraryPlace[] {
  const places: LibraryPlace[] = [];
  const root = packageRoot();
  if (root) places.push({ where: "the package's own build", path: join(root, "build", LIBRARY_FILE) });
  places.push({ where: "beside the running executable", path: join(dirname(process.execPath), LIBRARY_FILE) });
  places.push({ where: "the per-user cache", path: join(userLibraryDir(env), LIBRARY_FILE) });
  for (const dir of systemLibraryDirs(env)) places.push({ where: "the system library path", path: join(dir, LIBRARY_FILE) });
  return places;
}

/**
 * The one command that makes the library: the checkout's own setup script
 * when running from a checkout, `npx torchffi setup` everywhere else.
 *
 * @example
 * ```ts
 * console.log(`run ${setupCommand()}`);
 * ```
 */
export function setupCommand(): string {
  const root = packageRoot();
  const script = root && join(root, "scripts", "setup.sh");
  return script && existsSync(script) ? `bash ${script}` : "npx torchffi setup";
}

/**
 * An error that prints as its message alone: a missing library is a set-up
 * step, not a bug, so an uncaught one shows one line and no stack trace.
 *
 * @example
 * ```ts
 * throw quietError("torchffi: libtorchffi.so was not found");
 * ```
 */
export function quietError(message: string): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const error = new Error(message);
  Error.stackTraceLimit = limit;
  return error;
}

/**
 * The library file to open: `TORCHFFI_LIB` when set, otherwise the first
 * existing file of `librarySearchOrder()`. When there is none, the error says
 * in one line where it looked and which command builds it.
 *
 * @example
 * ```ts
 * const { path, where } = locateLibrary(); // where: "the per-user cache"
 * ```
 */
export function locateLibrary(env: Environment = process.env): LibraryPlace {
  const fromEnv = env.TORCHFFI_LIB;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw quietError(`torchffi: TORCHFFI_LIB points to ${fromEnv}, which does not exist`);
    return { where: "TORCHFFI_LIB", path: fromEnv };
  }
  const places = librarySearchOrder(env);
  const found = places.find((place) => existsSync(place.path));
  if (found) return found;
  const searched = [...new Set(places.map((place) => dirname(place.path)))].join(", ");
  throw quietError(
    `torchffi: the native library ${LIBRARY_FILE} was not found (looked in TORCHFFI_LIB, which is unset, then ${searched}); ` +
      `run \`${setupCommand()}\` to build it`,
  );
}
