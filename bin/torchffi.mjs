#!/usr/bin/env node
// The installed package's `torchffi` command (what `npx torchffi` runs).
// `setup` runs right here, under whichever runtime started this file, Node
// included. Commands that load LibTorch need Bun or Deno: under Node they are
// handed to the first of those found (the project's node_modules/.bin, then PATH).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const onNode = !process.versions.bun && !("Deno" in globalThis);
const compiled = fileURLToPath(new URL("../dist/lib/cli.js", import.meta.url));
const sources = fileURLToPath(new URL("../lib/cli.ts", import.meta.url));
// dist/ exists in the packed package; a checkout has only the sources, which
// Bun and Deno run as they are.
const cli = existsSync(compiled) ? compiled : sources;
if (cli === sources && onNode) {
  console.error("torchffi: this checkout has no compiled dist/ (npm pack builds it); use `npm run setup`, or `bun lib/cli.ts ...`");
  process.exit(1);
}
const args = process.argv.slice(2);
const { main, needsTorch } = await import(cli);

function findRuntime() {
  const dirs = [join(process.cwd(), "node_modules", ".bin"), ...(process.env.PATH ?? "").split(delimiter)];
  for (const name of ["bun", "deno"]) {
    for (const dir of dirs) {
      if (dir && existsSync(join(dir, name))) return { name, path: join(dir, name) };
    }
  }
  return null;
}

if (onNode && needsTorch(args[0])) {
  const runtime = findRuntime();
  if (!runtime) {
    console.error(`torchffi: \`torchffi ${args[0]}\` runs on Bun or Deno, and neither was found (npm install bun, or install Deno)`);
    process.exit(1);
  }
  const runArgs = runtime.name === "deno" ? ["run", "-A", cli, ...args] : [cli, ...args];
  const child = spawnSync(runtime.path, runArgs, { stdio: "inherit" });
  process.exit(child.status ?? 1);
} else {
  process.exitCode = await main(args);
}
