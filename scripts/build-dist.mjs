#!/usr/bin/env node
// Compiles mod.ts and lib/ into dist/ (JavaScript and .d.ts) for the npm
// package; `npm pack` runs it. Runs under plain Node.
//
// The sources import npm packages as "npm:name@version" so that Deno resolves
// them when a script imports the sources by path. An installed package has
// its dependencies in node_modules, where every runtime and bundler resolves
// bare names, so the compiled files use those.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const npmSpecifier = /(["'])npm:((?:@[^/@"']+\/)?[^/@"']+)(?:@[^/"']*)?(\/[^"']*)?\1/g;

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (/\.(js|d\.ts)$/.test(entry.name)) yield path;
  }
}

rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
if (tsc.status !== 0) {
  console.error("build-dist: tsc failed (run `npm run setup` first if node_modules is missing)");
  process.exit(1);
}
let count = 0;
for (const path of files(dist)) {
  const source = readFileSync(path, "utf8");
  const rewritten = source.replace(npmSpecifier, "$1$2$3$1");
  if (rewritten !== source) writeFileSync(path, rewritten);
  count++;
}
console.log(`build-dist: ${count} files in dist/`);
