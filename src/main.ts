// The entry point of the ns executable. The same file is the launcher (the
// CLI) and, when started with argv[0] "ns-init", the init stage inside a new
// container.
import { basename } from "node:path";

if (basename(process.argv0) === "ns-init") {
  const { init } = await import("./init/index.ts");
  await init();
} else {
  const { main } = await import("./cli/main.ts");
  const code = await main(process.argv.slice(2));
  // Leaving the event loop to drain costs Bun some 8 ms of teardown, and ns
  // has nothing pending by now: its output is written with write(2).
  process.exit(code);
}
