// The parsing and aggregation of `ns --debug run` step timings; pure logic, no root needed.
import { describe, expect, test } from "bun:test";
import { aggregateSteps, parseDebugOutput } from "./debug-steps.ts";
import { median } from "./stats.ts";

const SAMPLE = [
  "ns: debug: step config (id=b step=config ms=10 delta=10)",
  "ns: debug: step spawn (id=b step=spawn ms=15 delta=5)",
  "ns: debug: init step cgroupns (id=b step=cgroupns ms=2)",
  "ns: info: process.capabilities.ambient: CAP_KILL not in both permitted and inheritable",
  "ns: debug: init step createContainer hooks (id=b step=createContainer hooks ms=6.5)",
  "ns: debug: init step created (id=b step=created ms=8)",
  "ns: debug: step created (id=b step=created ms=40 delta=25)",
  "ns: debug: step exited (id=b step=exited ms=45 delta=5)",
].join("\n");

describe("parseDebugOutput", () => {
  test("reads launcher steps", () => {
    const run = parseDebugOutput(SAMPLE, 60);
    expect(run.launcher.map((s) => s.step)).toEqual(["config", "spawn", "created", "exited"]);
    expect(run.launcher[1]).toEqual({ step: "spawn", ms: 15, delta: 5 });
  });

  test("reads init steps with spaces", () => {
    const run = parseDebugOutput(SAMPLE, 60);
    expect(run.init.map((s) => s.step)).toEqual(["cgroupns", "createContainer hooks", "created"]);
    expect(run.init[1]!.ms).toBe(6.5);
  });

  test("ignores other lines", () => {
    const run = parseDebugOutput("ns: warn: something\nplain text\n", 5);
    expect(run.launcher).toEqual([]);
    expect(run.init).toEqual([]);
  });
});

describe("aggregateSteps", () => {
  test("takes medians over runs", () => {
    const runs = [parseDebugOutput(SAMPLE, 60), parseDebugOutput(SAMPLE.replace("ms=15 delta=5", "ms=17 delta=7"), 62), parseDebugOutput(SAMPLE, 64)];
    const spawn = aggregateSteps(runs).find((r) => r.stage === "launcher" && r.step === "spawn")!;
    expect(spawn.medianDelta).toBe(5);
    expect(spawn.medianAt).toBe(15);
    expect(spawn.count).toBe(3);
  });

  test("computes init step durations", () => {
    const rows = aggregateSteps([parseDebugOutput(SAMPLE, 60)]);
    const hooks = rows.find((r) => r.stage === "init" && r.step === "createContainer hooks")!;
    expect(hooks.medianDelta).toBe(4.5);
    const first = rows.find((r) => r.stage === "init" && r.step === "cgroupns")!;
    expect(first.medianDelta).toBe(2);
  });

  test("derives init time outside its clock", () => {
    // The launcher waited 40 - 15 = 25 ms for "created"; the init stage counted 8 of them.
    const row = aggregateSteps([parseDebugOutput(SAMPLE, 60)]).find((r) => r.step === "init stage outside its clock")!;
    expect(row.medianDelta).toBe(17);
  });

  test("derives launcher time outside its clock", () => {
    const row = aggregateSteps([parseDebugOutput(SAMPLE, 60)]).find((r) => r.step === "outside the launcher's clock")!;
    expect(row.medianDelta).toBe(15);
  });

  test("omits derived rows without created", () => {
    const rows = aggregateSteps([parseDebugOutput("ns: debug: step config (id=b step=config ms=1 delta=1)", Number.NaN)]);
    expect(rows.map((r) => r.step)).toEqual(["config"]);
  });
});

describe("stats", () => {
  test("median averages middle pair", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  test("median of empty is NaN", () => {
    expect(median([])).toBeNaN();
  });
});
