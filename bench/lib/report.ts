// The results as Markdown tables: one row per comparison with medians and
// the ratios ns/runc and ns/bwrap, then the step breakdown of `ns run`.
import type { StepRow } from "./debug-steps.ts";
import { formatBytes, formatMs, formatRatio, median } from "./stats.ts";

export type Unit = "ms" | "bytes" | "KiB";

export interface Target {
  runtime: "runc" | "bwrap";
  maxRatio: number;
  /** The ratio must stay below maxRatio instead of at or below it. */
  strict?: boolean;
}

export interface Comparison {
  name: string;
  unit: Unit;
  ns: number[];
  runc?: number[] | undefined;
  bwrap?: number[] | undefined;
  /** The goals for this row, such as ns/runc <= 0.5. */
  targets?: Target[] | undefined;
  /** A short qualifier shown after the name, such as "total wall time". */
  note?: string | undefined;
  /** Longer remarks, such as failed runs, listed under the table. */
  remarks?: string[] | undefined;
}

function format(value: number, unit: Unit): string {
  if (unit === "ms") return formatMs(value);
  if (unit === "bytes") return formatBytes(value);
  return Number.isFinite(value) ? `${(value / 1024).toFixed(1)} MiB` : "n/a";
}

function targetText(c: Comparison): string {
  const texts: string[] = [];
  for (const target of c.targets ?? []) {
    const other = target.runtime === "runc" ? c.runc : c.bwrap;
    if (!other) continue;
    const ratio = median(c.ns) / median(other);
    const met = target.strict ? ratio < target.maxRatio : ratio <= target.maxRatio;
    texts.push(`ns/${target.runtime} ${target.strict ? "<" : "<="} ${target.maxRatio}: ${met ? "met" : "missed"}`);
  }
  return texts.join("; ");
}

/** Formats the comparison table. Each cell is the median of the samples, and the last column counts them. */
export function comparisonTable(rows: readonly Comparison[]): string {
  const lines = [
    "| benchmark | ns | runc | bwrap | ns/runc | ns/bwrap | target | n |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
  ];
  for (const c of rows) {
    const ns = median(c.ns);
    const runc = c.runc ? median(c.runc) : Number.NaN;
    const bwrap = c.bwrap ? median(c.bwrap) : Number.NaN;
    const cells = [
      c.note ? `${c.name} (${c.note})` : c.name,
      format(ns, c.unit),
      c.runc ? format(runc, c.unit) : "",
      c.bwrap ? format(bwrap, c.unit) : "",
      c.runc ? formatRatio(ns, runc) : "",
      c.bwrap ? formatRatio(ns, bwrap) : "",
      targetText(c),
      String(c.ns.length),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  const remarks = rows.flatMap((c) => (c.remarks ?? []).map((r) => `- ${c.name}: ${r}`));
  if (remarks.length > 0) lines.push("", ...remarks);
  return lines.join("\n");
}

/** Formats the step breakdown: medians per step, launcher first, then the init stage, then the derived rows. */
export function stepTable(rows: readonly StepRow[]): string {
  const lines = ["| stage | step | median time in step | median clock at end | n |", "| --- | --- | ---: | ---: | ---: |"];
  for (const r of rows) {
    lines.push(`| ${r.stage} | ${r.step} | ${formatMs(r.medianDelta)} | ${Number.isFinite(r.medianAt) ? formatMs(r.medianAt) : ""} | ${r.count} |`);
  }
  return lines.join("\n");
}
