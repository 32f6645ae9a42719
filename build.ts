// Builds dist/ns (or $NS_OUT): compiles the C trampoline into build/libns.so with the
// system C compiler, then bundles src/main.ts with the shared object embedded
// into one standalone executable.
import { $ } from "bun";
import { mkdirSync, renameSync } from "node:fs";
import { dirname, resolve } from "node:path";

const cc = process.env.CC ?? "cc";
const outfile = process.env.NS_OUT ?? "dist/ns";
mkdirSync("build", { recursive: true });
mkdirSync(dirname(resolve(outfile)), { recursive: true });

// Written to a temporary name and renamed, so that builds running side by side never see half a library.
const lib = `build/libns.so.${process.pid}`;
await $`${cc} -O2 -Wall -Wextra -Werror -fPIC -shared -o ${lib} ffi/trampoline.c -lpthread`;
renameSync(lib, "build/libns.so");

const result = await Bun.build({
  entrypoints: ["src/main.ts"],
  target: "bun",
  format: "esm",
  minify: true,
  bytecode: true,
  compile: {
    outfile,
    // ns runs as root in directories it does not control: a bunfig.toml there
    // could preload code into it, and a .env file would change its
    // environment and the containers'.
    autoloadBunfig: false,
    autoloadDotenv: false,
    autoloadTsconfig: false,
    autoloadPackageJson: false,
  },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`built ${outfile}`);
