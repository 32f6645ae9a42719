// The list format of cpuset.cpus, cpuset.mems and `process.execCPUAffinity`:
// comma-separated ids and inclusive ranges, such as "0-3,8,10-11".

/** An inclusive range of CPU or memory-node ids. */
export type IdRange = readonly [first: number, last: number];

/**
 * Parses a CPU list into its ranges, in the order written. Spaces are ignored
 * and an empty list has no ranges. Throws Error naming the first bad part.
 */
export function parseCpuList(list: string): IdRange[] {
  const compact = list.replace(/ /g, "");
  if (compact === "") return [];
  return compact.split(",").map((part) => {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (match === null) throw new Error(`invalid CPU list ${JSON.stringify(list)}: bad element ${JSON.stringify(part)}`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) throw new Error(`invalid CPU list ${JSON.stringify(list)}: range ${JSON.stringify(part)} runs backwards`);
    return [first, last] as const;
  });
}
