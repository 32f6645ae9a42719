// The entry point of the ns executable. The same file is the launcher (the
// CLI) and, when started with argv[0] "ns-init", the init stage inside a new
// container.
import { basename } from "node:path";

if (basename(process.argv0) === "ns-init") {
  const { init } = await import("./init/index.ts");
  await init();
} else {
  const { main } = await import("./cli/main.ts");
  process.exitCode = await main(process.argv.slice(2));
}
