// Builds dist/ns: compiles the C trampoline into build/libns.so with the
// system C compiler, then bundles src/main.ts with the shared object embedded
// into one standalone executable.
import { $ } from "bun";
import { mkdirSync } from "node:fs";

const cc = process.env.CC ?? "cc";
mkdirSync("build", { recursive: true });
mkdirSync("dist", { recursive: true });

await $`${cc} -O2 -Wall -Wextra -Werror -fPIC -shared -fvisibility=default -o build/libns.so ffi/trampoline.c -lpthread`;

const result = await Bun.build({
  entrypoints: ["src/main.ts"],
  target: "bun",
  format: "esm",
  minify: true,
  bytecode: true,
  compile: { outfile: "dist/ns" },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log("built dist/ns");
