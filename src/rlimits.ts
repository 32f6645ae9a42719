// process.rlimits: the RLIMIT_* names of the OCI spec and their numbers (Linux, x86_64).

export const RLIMITS: Readonly<Record<string, number>> = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
};

export interface RlimitSpec {
  type: string;
  soft: number | bigint;
  hard: number | bigint;
}

/** [resource, soft, hard] triples for the trampoline; an unknown type names its field. */
export function rlimitTriples(rlimits: readonly RlimitSpec[] | undefined): [number, bigint, bigint][] {
  return (rlimits ?? []).map((r, i) => {
    const resource = RLIMITS[r.type];
    if (resource === undefined) throw new Error(`process.rlimits[${i}].type: unknown rlimit "${r.type}"`);
    return [resource, toU64(r.soft), toU64(r.hard)];
  });
}

/** -1 and values up to 2^64-1 both mean RLIM_INFINITY at the top. */
function toU64(v: number | bigint): bigint {
  return BigInt.asUintN(64, BigInt(v));
}
