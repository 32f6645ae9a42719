// Timing commands with hyperfine. The runs of the commands being compared are
// split into rounds and the order of the commands alternates between rounds,
// so that a change in the machine's load during the benchmark lands on every
// command alike instead of on whichever ran last.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./process.ts";

export interface Timed {
  /** The label shown in the results table. */
  name: string;
  command: string;
  /** Runs before every timed run of this command (hyperfine --prepare). */
  prepare?: string;
}

export interface TimingOptions {
  /** Timed runs per command, summed over all rounds. */
  runs: number;
  rounds: number;
  warmup: number;
  /** Run commands through sh instead of executing them directly (needed for pipes and "&&"). */
  shell?: boolean;
  /** Upper bound for one hyperfine call, in milliseconds. */
  timeoutMs: number;
  /** Working directory of the commands. */
  cwd?: string;
}

/** Returns the wall time of every timed run of each command, in milliseconds, keyed by name. */
export function measure(commands: readonly Timed[], options: TimingOptions): Map<string, number[]> {
  const samples = new Map<string, number[]>(commands.map((c) => [c.name, []]));
  const perRound = Math.max(1, Math.ceil(options.runs / options.rounds));
  const dir = mkdtempSync(join(tmpdir(), "ns-bench-hyperfine-"));
  try {
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? commands : [...commands].reverse();
      for (const timed of order) {
        const times = hyperfine(timed, perRound, round === 0 ? options.warmup : 1, options, join(dir, `${round}.json`));
        samples.get(timed.name)!.push(...times);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}

function hyperfine(timed: Timed, runs: number, warmup: number, options: TimingOptions, exportPath: string): number[] {
  const args = ["--runs", String(runs), "--warmup", String(warmup), "--style", "none", "--export-json", exportPath];
  if (!options.shell) args.push("-N");
  if (timed.prepare) args.push("--prepare", timed.prepare);
  args.push(timed.command);
  run("hyperfine", args, { timeoutMs: options.timeoutMs, purpose: `time "${timed.name}"`, cwd: options.cwd });
  const report = JSON.parse(readFileSync(exportPath, "utf8")) as { results: { times: number[] }[] };
  return report.results[0]!.times.map((seconds) => seconds * 1000);
}
