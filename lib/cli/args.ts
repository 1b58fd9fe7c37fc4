/**
 * What the command-line tool's subcommands share: the usage error, the output
 * sinks, and flag parsing with checked values.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { ProgressSink } from "./progress.ts";

/**
 * A problem with the command line or its files: reported in one line, exit status 2.
 *
 * @example
 * ```ts
 * throw new UsageError("--epochs must be an integer >= 1, got \"zero\"");
 * ```
 */
export class UsageError extends Error {}

/**
 * What the command writes to: stdout-like and stderr-like sinks.
 *
 * @example
 * ```ts
 * const io: CliIo = { out: process.stdout, err: process.stderr };
 * ```
 */
export interface CliIo {
  out: ProgressSink;
  err: ProgressSink;
}

/**
 * Parses `args` against `options` (plus `--help`); an unknown or malformed flag
 * is a `UsageError` in one line.
 *
 * @example
 * ```ts
 * const flags = parseFlags(["--epochs", "2"], { epochs: { type: "string" } });
 * ```
 */
export function parseFlags(args: string[], options: Record<string, { type: "string" | "boolean" }>) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: "boolean" } }, strict: true, allowPositionals: false }).values as
      Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]);
  }
}

/**
 * The integer flag `name` (at least `min`), or `fallback` when absent.
 *
 * @example
 * ```ts
 * const epochs = integerFlag("epochs", flags.epochs, 2, 1);
 * ```
 */
export function integerFlag(name: string, value: string | boolean | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * The positive number flag `name`, or `fallback` when absent.
 *
 * @example
 * ```ts
 * const lr = positiveNumberFlag("lr", flags.lr, 1e-3);
 * ```
 */
export function positiveNumberFlag(name: string, value: string | boolean | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * The flag `name`, one of `choices`, or `fallback` when absent.
 *
 * @example
 * ```ts
 * const model = choiceFlag("model", flags.model, ["cnn", "ffn"] as const, "cnn");
 * ```
 */
export function choiceFlag<T extends string>(name: string, value: string | boolean | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}`);
  return value as T;
}
