// The step timings of `ns --debug run`, aggregated over many runs.
//
// The launcher logs `ns: debug: step NAME (... ms=M delta=D)`: M counts from
// the evaluation of src/log.ts, D from the previous step. The init stage logs
// `ns: debug: init step NAME (... ms=M)`, and its M counts from the
// evaluation of src/init/index.ts. Neither clock starts at exec, so two
// derived rows give the time outside them (see aggregateSteps).
import { median } from "./stats.ts";

export interface LauncherStep {
  step: string;
  ms: number;
  delta: number;
}

export interface InitStep {
  step: string;
  ms: number;
}

export interface DebugRun {
  launcher: LauncherStep[];
  init: InitStep[];
  /** Wall time of the whole `ns run`, measured by the caller. */
  wallMs: number;
}

const LAUNCHER_LINE = /^ns: debug: step (.+?) \(.*\bms=([\d.]+) delta=([\d.]+)/;
const INIT_LINE = /^ns: debug: init step (.+?) \(.*\bms=([\d.]+)/;

/** Extracts the step lines from the stderr of one `ns --debug run`; other lines are ignored. */
export function parseDebugOutput(stderr: string, wallMs: number): DebugRun {
  const launcher: LauncherStep[] = [];
  const init: InitStep[] = [];
  for (const line of stderr.split("\n")) {
    const initMatch = INIT_LINE.exec(line);
    if (initMatch) {
      init.push({ step: initMatch[1]!, ms: Number(initMatch[2]) });
      continue;
    }
    const launcherMatch = LAUNCHER_LINE.exec(line);
    if (launcherMatch) launcher.push({ step: launcherMatch[1]!, ms: Number(launcherMatch[2]), delta: Number(launcherMatch[3]) });
  }
  return { launcher, init, wallMs };
}

export interface StepRow {
  /** "launcher", "init" or "derived". */
  stage: string;
  step: string;
  /** Median time spent in the step (since the previous step of the same stage). */
  medianDelta: number;
  /** Median clock reading at the end of the step; NaN for derived rows. */
  medianAt: number;
  /** Runs that reported the step. */
  count: number;
}

function collect(into: Map<string, number[]>, key: string, value: number): void {
  const list = into.get(key);
  if (list) list.push(value);
  else into.set(key, [value]);
}

/**
 * Medians per step over the runs, in the order the steps first appear, plus
 * two derived rows per run:
 * - "init stage outside its clock": the launcher's wait from its last step
 *   before "created" (when it sends the go byte) to "created", minus the
 *   init stage's own time to "created". It covers execveat of ns-init, Bun's
 *   start-up and module evaluation up to src/init/index.ts, and the config
 *   message.
 * - "outside the launcher's clock": the wall time minus the launcher's last
 *   step. It covers Bun's start-up and module evaluation up to src/log.ts,
 *   the teardown after the last step, and process exit.
 */
export function aggregateSteps(runs: readonly DebugRun[]): StepRow[] {
  const launcherDelta = new Map<string, number[]>();
  const launcherAt = new Map<string, number[]>();
  const initDelta = new Map<string, number[]>();
  const initAt = new Map<string, number[]>();
  const initOutside: number[] = [];
  const launcherOutside: number[] = [];

  for (const run of runs) {
    for (const s of run.launcher) {
      collect(launcherDelta, s.step, s.delta);
      collect(launcherAt, s.step, s.ms);
    }
    let previous = 0;
    for (const s of run.init) {
      collect(initDelta, s.step, s.ms - previous);
      collect(initAt, s.step, s.ms);
      previous = s.ms;
    }

    const createdIndex = run.launcher.findIndex((s) => s.step === "created");
    const initCreated = run.init.find((s) => s.step === "created");
    if (createdIndex > 0 && initCreated) {
      const wait = run.launcher[createdIndex]!.ms - run.launcher[createdIndex - 1]!.ms;
      initOutside.push(wait - initCreated.ms);
    }
    const last = run.launcher.at(-1);
    if (last && Number.isFinite(run.wallMs)) launcherOutside.push(run.wallMs - last.ms);
  }

  const rows: StepRow[] = [];
  for (const [step, deltas] of launcherDelta) {
    rows.push({ stage: "launcher", step, medianDelta: median(deltas), medianAt: median(launcherAt.get(step)!), count: deltas.length });
  }
  for (const [step, deltas] of initDelta) {
    rows.push({ stage: "init", step, medianDelta: median(deltas), medianAt: median(initAt.get(step)!), count: deltas.length });
  }
  if (initOutside.length > 0) {
    rows.push({ stage: "derived", step: "init stage outside its clock", medianDelta: median(initOutside), medianAt: Number.NaN, count: initOutside.length });
  }
  if (launcherOutside.length > 0) {
    rows.push({ stage: "derived", step: "outside the launcher's clock", medianDelta: median(launcherOutside), medianAt: Number.NaN, count: launcherOutside.length });
  }
  return rows;
}
