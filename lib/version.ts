/**
 * The package's version, written here as well as in `package.json` so that a
 * compiled single-file tool (which has no `package.json` to read) still knows
 * which per-user build of the native library belongs to it. A test keeps the
 * two equal.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`torchffi ${VERSION}`);
 * ```
 *
 * @module
 */
export const VERSION = "0.2.0";
