// ns side by side with runc and bubblewrap, on one busybox bundle, in one run:
//
//   cd /work/main && ./node_modules/.bin/bun bench/bench.ts [--runs N] [--ns PATH] [--out FILE] [--time-limit MIN]
//
// It builds ns into bench/.out/ns (or takes --ns), installs runc, bubblewrap,
// hyperfine and busybox-static from Debian when missing, and prints Markdown
// tables: medians, the ratios ns/runc and ns/bwrap, and where `ns run`
// spends its start-up time according to its --debug step timings. Every
// container, cgroup and directory it makes is removed at the end, and a leak
// is reported. Needs root.
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanUp, mountsMentioning, type Runtime } from "./lib/cleanup.ts";
import { aggregateSteps, parseDebugOutput, type DebugRun } from "./lib/debug-steps.ts";
import { measure, type Timed } from "./lib/hyperfine.ts";
import { measureSupervisor, type SupervisorMemory } from "./lib/memory.ts";
import { run } from "./lib/process.ts";
import { comparisonTable, stepTable, type Comparison } from "./lib/report.ts";
import { buildNs, installPackages, makeBundles, REPO, type Bundles } from "./lib/setup.ts";

interface Options {
  /** Timed runs per command for the single-command benchmarks. */
  runs: number;
  ns?: string | undefined;
  out?: string | undefined;
  timeLimitMinutes: number;
}

const PARALLEL = 50;

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { runs: 30, timeLimitMinutes: 20 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (flag === "--help" || flag === "-h") {
      console.log("usage: bun bench/bench.ts [--runs N] [--ns PATH] [--out FILE] [--time-limit MINUTES]");
      process.exit(0);
    }
    if (value === undefined) throw new Error(`${flag}: missing value`);
    i++;
    if (flag === "--runs") options.runs = positiveInteger(flag, value);
    else if (flag === "--ns") options.ns = value;
    else if (flag === "--out") options.out = value;
    else if (flag === "--time-limit") options.timeLimitMinutes = positiveInteger(flag, value);
    else throw new Error(`unknown option ${flag} (see --help)`);
  }
  return options;
}

function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: expected a positive integer, got "${value}"`);
  return n;
}

/** Everything the phases share. */
interface Context {
  options: Options;
  ns: string;
  runc: string;
  bwrap: string;
  bundles: Bundles;
  nsRoot: string;
  runcRoot: string;
  /** Start of every container id, unique to this run of the benchmark. */
  prefix: string;
  timeoutMs: number;
}

function nsCmd(ctx: Context): string {
  return `${ctx.ns} --root ${ctx.nsRoot}`;
}

function runcCmd(ctx: Context): string {
  return `${ctx.runc} --root ${ctx.runcRoot}`;
}

function timing(ctx: Context, runs: number, shell = false) {
  return { runs, rounds: Math.min(runs, 5), warmup: 3, shell, timeoutMs: ctx.timeoutMs };
}

/** Times `ns run` and `runc run` of /bin/true from one bundle, and bwrap on the same rootfs. */
function benchRun(ctx: Context): Comparison[] {
  const id = `${ctx.prefix}-run`;
  const samples = measure(
    [
      { name: "ns", command: `${nsCmd(ctx)} run -b ${ctx.bundles.trueBundle} ${id}` },
      { name: "runc", command: `${runcCmd(ctx)} run -b ${ctx.bundles.trueBundle} ${id}` },
      { name: "bwrap", command: `${ctx.bwrap} --unshare-all --bind ${ctx.bundles.rootfs} / --proc /proc --dev /dev /bin/true` },
    ],
    timing(ctx, ctx.options.runs),
  );
  return [
    {
      name: "run /bin/true",
      unit: "ms",
      ns: samples.get("ns")!,
      runc: samples.get("runc")!,
      bwrap: samples.get("bwrap")!,
      targets: [
        { runtime: "runc", maxRatio: 0.5 },
        { runtime: "bwrap", maxRatio: 3 },
      ],
    },
  ];
}

/** Times the zero-config `ns run -- /bin/true` against bwrap with the same namespaces and mounts. */
function benchZeroConfig(ctx: Context): Comparison {
  const samples = measure(
    [
      { name: "ns", command: `${nsCmd(ctx)} run -- /bin/true` },
      {
        name: "bwrap",
        command: `${ctx.bwrap} --unshare-pid --unshare-uts --unshare-ipc --ro-bind / / --proc /proc --dev /dev --tmpfs /tmp /bin/true`,
      },
    ],
    // From /, because the zero-config container mounts a fresh /tmp over the working directory of a caller in /tmp.
    { ...timing(ctx, ctx.options.runs), cwd: "/" },
  );
  return { name: "zero-config run -- /bin/true", unit: "ms", ns: samples.get("ns")!, bwrap: samples.get("bwrap")!, note: "bwrap: --ro-bind / /" };
}

/**
 * Times create + start + delete of a container whose process is /bin/true,
 * as one shell line per runtime, then each command alone with the others as its
 * --prepare. delete is always `delete -f`, so that it succeeds whether or not
 * /bin/true has exited yet; after a separate start it almost always has.
 */
function benchLifecycle(ctx: Context): Comparison[] {
  const rows: Comparison[] = [];
  const runs = Math.max(5, Math.ceil(ctx.options.runs / 2));
  const steps = (cli: string, id: string) => {
    const create = `${cli} create -b ${ctx.bundles.trueBundle} ${id}`;
    const start = `${cli} start ${id}`;
    const remove = `${cli} delete -f ${id}`;
    const quietRemove = `${remove} >/dev/null 2>&1 || true`;
    return {
      cycle: { command: `${create} && ${start} && ${remove}` },
      create: { command: create, prepare: quietRemove },
      start: { command: start, prepare: `${quietRemove}; ${create}` },
      delete: { command: remove, prepare: `${quietRemove}; ${create} && ${start}` },
    };
  };
  const ns = steps(nsCmd(ctx), `${ctx.prefix}-cycle`);
  const runc = steps(runcCmd(ctx), `${ctx.prefix}-cycle`);
  for (const part of ["cycle", "create", "start", "delete"] as const) {
    const samples = measure(
      [
        { name: "ns", ...ns[part] },
        { name: "runc", ...runc[part] },
      ],
      timing(ctx, runs, true),
    );
    rows.push({
      name: part === "cycle" ? "create + start + delete" : `${part} alone`,
      unit: "ms",
      ns: samples.get("ns")!,
      runc: samples.get("runc")!,
    });
    // The create and start measurements leave their last container behind.
    run("sh", ["-c", `${ns.delete.command} >/dev/null 2>&1; ${runc.delete.command} >/dev/null 2>&1; true`], { timeoutMs: 30_000, purpose: "delete the lifecycle containers" });
  }
  return rows;
}

/** Times ns exec and ns enter against runc exec, into a running container whose process is `sleep 1000`. */
function benchExec(ctx: Context): Comparison[] {
  const id = `${ctx.prefix}-exec`;
  const start = (cli: string[]) => {
    const options = { timeoutMs: 30_000, outputToFiles: true };
    run(cli[0]!, [...cli.slice(1), "create", "-b", ctx.bundles.sleepBundle, id], { ...options, purpose: "create the exec target" });
    run(cli[0]!, [...cli.slice(1), "start", id], { ...options, purpose: "start the exec target" });
  };
  const nsBase = [ctx.ns, "--root", ctx.nsRoot];
  const runcBase = [ctx.runc, "--root", ctx.runcRoot];
  try {
    start(nsBase);
    start(runcBase);
    const samples = measure(
      [
        { name: "ns exec", command: `${nsCmd(ctx)} exec ${id} /bin/true` },
        { name: "ns enter", command: `${nsCmd(ctx)} enter ${id} -- /bin/true` },
        { name: "runc", command: `${runcCmd(ctx)} exec ${id} /bin/true` },
      ],
      timing(ctx, ctx.options.runs),
    );
    const targets = [{ runtime: "runc" as const, maxRatio: 1, strict: true }];
    return [
      { name: "exec /bin/true", unit: "ms", ns: samples.get("ns exec")!, runc: samples.get("runc")!, targets },
      { name: "enter /bin/true", unit: "ms", ns: samples.get("ns enter")!, runc: samples.get("runc")!, targets, note: "runc: exec" },
    ];
  } finally {
    for (const base of [nsBase, runcBase]) {
      run(base[0]!, [...base.slice(1), "delete", "-f", id], { timeoutMs: 30_000, purpose: "delete the exec target", allowFailure: true });
    }
  }
}

/**
 * Times PARALLEL containers of /bin/true started at once with distinct ids,
 * as the wall time of the whole batch. A container that fails to start is counted
 * instead of aborting the batch, and the count is shown with the result.
 */
function benchParallel(ctx: Context, work: string): Comparison {
  const failures = { ns: join(work, "parallel-failures-ns"), runc: join(work, "parallel-failures-runc") };
  const batch = (cli: string, failureLog: string) =>
    `seq 1 ${PARALLEL} | xargs -P ${PARALLEL} -I{} sh -c '${cli} run -b ${ctx.bundles.trueBundle} ${ctx.prefix}-par-{} >/dev/null 2>>${failureLog} || echo {} >>${failureLog}.ids'`;
  const runs = Math.max(3, Math.ceil(ctx.options.runs / 6));
  const samples = measure(
    [
      { name: "ns", command: batch(nsCmd(ctx), failures.ns) },
      { name: "runc", command: batch(runcCmd(ctx), failures.runc) },
    ],
    { ...timing(ctx, runs, true), warmup: 1 },
  );
  const failed = (log: string) => (existsSync(`${log}.ids`) ? readFileSync(`${log}.ids`, "utf8").trim().split("\n").length : 0);
  const firstError = (log: string) => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n")[0] : undefined);
  const remarks: string[] = [];
  for (const runtime of ["ns", "runc"] as const) {
    const count = failed(failures[runtime]);
    if (count > 0) remarks.push(`${runtime}: ${count} containers failed over all batches; the first error: ${firstError(failures[runtime])}`);
  }
  return { name: `${PARALLEL} x run /bin/true in parallel`, unit: "ms", ns: samples.get("ns")!, runc: samples.get("runc")!, note: "total wall time", remarks };
}

/** Measures the foreground supervisor's memory while its container runs `sleep 1000`. */
async function benchMemory(ctx: Context): Promise<{ rows: Comparison[]; ns: SupervisorMemory[]; runc: SupervisorMemory[] }> {
  const samples = { ns: [] as SupervisorMemory[], runc: [] as SupervisorMemory[] };
  const repeats = 3;
  for (let i = 0; i < repeats; i++) {
    for (const runtime of ["ns", "runc"] as const) {
      const base = runtime === "ns" ? [ctx.ns, "--root", ctx.nsRoot] : [ctx.runc, "--root", ctx.runcRoot];
      const id = `${ctx.prefix}-mem-${i}`;
      samples[runtime].push(
        await measureSupervisor({
          command: [...base, "run", "-b", ctx.bundles.sleepBundle, id],
          kill: [...base, "kill", id, "KILL"],
          forceDelete: [...base, "delete", "-f", id],
          containerProgram: "sleep",
          settleMs: 500,
          timeoutMs: 30_000,
        }),
      );
    }
  }
  const rows: Comparison[] = [
    {
      name: "supervisor VmRSS",
      unit: "KiB",
      ns: samples.ns.map((m) => m.rssKiB),
      runc: samples.runc.map((m) => m.rssKiB),
      targets: [{ runtime: "runc", maxRatio: 2 }],
    },
    { name: "supervisor Pss", unit: "KiB", ns: samples.ns.map((m) => m.pssKiB), runc: samples.runc.map((m) => m.pssKiB) },
  ];
  return { rows, ...samples };
}

function binarySizes(ctx: Context): Comparison {
  const size = (path: string) => [statSync(realpathSync(path)).size];
  return { name: "binary size", unit: "bytes", ns: size(ctx.ns), runc: size(ctx.runc), bwrap: size(ctx.bwrap) };
}

/** Runs `ns --debug run` of /bin/true repeatedly and collects its step timings. */
function debugRuns(ctx: Context): DebugRun[] {
  const runs: DebugRun[] = [];
  for (let i = 0; i < ctx.options.runs; i++) {
    const r = run(ctx.ns, ["--root", ctx.nsRoot, "--debug", "run", "-b", ctx.bundles.trueBundle, `${ctx.prefix}-debug`], {
      timeoutMs: 30_000,
      purpose: "ns --debug run",
    });
    runs.push(parseDebugOutput(r.stderr, r.ms));
  }
  return runs;
}

/** Returns the 1, 5 and 15 minute load averages, which the report shows because other jobs on the machine skew every timing. */
function loadAverage(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

function machineLine(): string {
  const cpus = navigator.hardwareConcurrency;
  const kernel = run("uname", ["-r"], { timeoutMs: 5000, purpose: "uname" }).stdout.trim();
  const version = (program: string, args: string[]) => run(program, args, { timeoutMs: 5000, purpose: program, allowFailure: true }).stdout.split("\n")[0]!.trim();
  return [
    `- Machine: ${new Date().toISOString().slice(0, 10)}, ${cpus} CPUs, kernel ${kernel}`,
    `- Versions: ${version("runc", ["--version"])}, ${version("bwrap", ["--version"])}, ${version("hyperfine", ["--version"])}`,
  ].join("\n");
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error("the benchmark starts containers: run it as root");
  const started = Date.now();
  const loadBefore = loadAverage();
  const deadline = started + options.timeLimitMinutes * 60_000;

  installPackages();
  let ns = options.ns;
  if (ns === undefined) {
    ns = join(REPO, "bench/.out/ns");
    console.error(`bench: building ${ns}`);
    buildNs(ns);
  }
  if (!existsSync(ns)) throw new Error(`--ns ${ns}: no such file`);

  const work = mkdtempSync(join(tmpdir(), "ns-bench-"));
  const prefix = `nsbench${process.pid}`;
  const nsRoot = join(work, "state-ns");
  const runcRoot = join(work, "state-runc");
  const runtimes: Runtime[] = [
    { name: "ns", base: [ns, "--root", nsRoot] },
    { name: "runc", base: ["runc", "--root", runcRoot] },
  ];

  const comparisons: Comparison[] = [];
  const skipped: string[] = [];
  const failures: string[] = [];
  let stepRows: ReturnType<typeof aggregateSteps> = [];
  let leaks: string[] = [];
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    const ctx: Context = {
      options,
      ns,
      runc: Bun.which("runc")!,
      bwrap: Bun.which("bwrap")!,
      bundles: makeBundles(ns, work),
      nsRoot,
      runcRoot,
      prefix,
      timeoutMs: 10 * 60_000,
    };
    const phases: [string, () => Promise<void> | void][] = [
      ["run", () => void comparisons.push(...benchRun(ctx))],
      ["zero-config run", () => void comparisons.push(benchZeroConfig(ctx))],
      ["create, start, delete", () => void comparisons.push(...benchLifecycle(ctx))],
      ["exec and enter", () => void comparisons.push(...benchExec(ctx))],
      ["memory", async () => void comparisons.push(...(await benchMemory(ctx)).rows)],
      ["binary size", () => void comparisons.push(binarySizes(ctx))],
      ["debug steps", () => void (stepRows = aggregateSteps(debugRuns(ctx)))],
      // Last, because its hundred processes at once would still weigh on the phases after it.
      [`${PARALLEL} in parallel`, () => void comparisons.push(benchParallel(ctx, work))],
    ];
    for (const [name, phase] of phases) {
      if (interrupted || Date.now() > deadline) {
        skipped.push(name);
        continue;
      }
      console.error(`bench: ${name}`);
      try {
        await phase();
      } catch (e) {
        failures.push(`${name}: ${(e as Error).message}`);
      }
      leaks.push(...cleanUp(runtimes, prefix, work).map((leak) => `after ${name}: ${leak}`));
    }
  } finally {
    leaks.push(...cleanUp(runtimes, prefix, work));
    if (mountsMentioning(work).length === 0) rmSync(work, { recursive: true, force: true });
    else leaks.push(`${work} kept: mounts still mention it`);
  }

  const report = [
    machineLine(),
    `- Time: ${((Date.now() - started) / 1000).toFixed(0)} s; ${options.runs} runs per single-command benchmark; load average ${loadBefore} before, ${loadAverage()} after (the parallel phase, which runs last, raises it).`,
    "",
    comparisonTable(comparisons),
    "",
    `Where \`ns run\` of /bin/true spends its start-up time (\`ns --debug run\`, medians over ${options.runs} runs):`,
    "",
    stepTable(stepRows),
    "",
    "Each step's time runs from the previous mark to its own, so a row names the step that ends there.",
  ];
  if (skipped.length > 0) report.push("", `Skipped (time limit or interrupt): ${skipped.join(", ")}`);
  if (failures.length > 0) report.push("", "Failed:", ...failures.map((f) => `- ${f}`));
  if (leaks.length > 0) report.push("", "Left behind and removed by the benchmark:", ...leaks.map((l) => `- ${l}`));
  const text = report.join("\n");
  console.log(text);
  if (options.out) writeFileSync(options.out, `${text}\n`);
  return failures.length > 0 || leaks.length > 0 ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  console.error(`bench: ${(e as Error).message}`);
  process.exitCode = 1;
}
