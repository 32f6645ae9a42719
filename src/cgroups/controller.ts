// The shape shared by the per-controller modules of both cgroup versions.
import { CgroupError } from "./errors.ts";
import type { CgroupDir, CgroupWrite } from "./fs.ts";
import type { LinuxResources } from "./types.ts";

/** A step that is not a file write, such as attaching a BPF program. */
export interface CgroupAction {
  field: string;
  run(dir: CgroupDir): void;
}

/** One step of applying resources, run in order after every step was planned. */
export type ApplyStep = CgroupWrite | CgroupAction;

/** The part of the resources that one controller of one cgroup version applies. */
export interface ControllerDriver {
  /**
   * The kernel's name of the controller that must be available, as in
   * cgroup.controllers or the v1 mount options. It is null when the files
   * need no controller, as for cgroup v2 device programs and `unified` entries.
   */
  readonly controller: string | null;
  /** The OCI field it applies, for messages: "linux.resources.memory". */
  readonly field: string;
  /** Whether `resources` sets anything that this driver applies. */
  isSet(resources: LinuxResources): boolean;
  /**
   * Checks the fields and returns the steps in the order they must run. It may
   * read current values from `dir` where the order depends on them, and it
   * writes nothing, so a bad field stops apply() before any change.
   */
  plan(resources: LinuxResources, dir: CgroupDir): ApplyStep[];
}

export function isAction(step: ApplyStep): step is CgroupAction {
  return "run" in step;
}

/** Runs planned steps in order; an action's error gets the field as its prefix. */
export function runSteps(dir: CgroupDir, steps: readonly ApplyStep[]): void {
  for (const step of steps) {
    if (!isAction(step)) {
      dir.write(step);
      continue;
    }
    try {
      step.run(dir);
    } catch (error) {
      if (error instanceof CgroupError) throw error;
      throw new CgroupError(`${step.field}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** True when an object has at least one property that is not undefined. */
export function hasAnyField(value: object | undefined): boolean {
  return value !== undefined && Object.values(value).some((field) => field !== undefined);
}
