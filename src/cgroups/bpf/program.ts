// Loading the device program and attaching it to a cgroup v2 directory.
import { close, O_CLOEXEC, O_DIRECTORY, O_RDONLY, open, SyscallError } from "../../ffi/libc.ts";
import {
  BPF_CGROUP_DEVICE,
  BPF_F_ALLOW_MULTI,
  BPF_F_REPLACE,
  BPF_PROG_TYPE_CGROUP_DEVICE,
  progAttach,
  progDetach,
  progGetFdById,
  progLoad,
  progName,
  progQuery,
} from "../../ffi/bpf.ts";
import { encode, type BpfInsn } from "./asm.ts";

/** The name of ns's device programs, which distinguishes them from programs that others attached. */
export const DEVICE_PROGRAM_NAME = "ns_devices";

interface AttachedProgram {
  id: number;
  fd: number;
}

/** Opens the device programs that ns attached to the cgroup directory `dirFd` itself. */
function openOwnPrograms(dirFd: number, cgroupDir: string): AttachedProgram[] {
  const own: AttachedProgram[] = [];
  for (const id of progQuery(dirFd, BPF_CGROUP_DEVICE, cgroupDir)) {
    let fd: number;
    try {
      fd = progGetFdById(id);
    } catch (error) {
      // The program was detached between the query and now.
      if (error instanceof SyscallError && error.code === "ENOENT") continue;
      throw error;
    }
    if (progName(fd) === DEVICE_PROGRAM_NAME) own.push({ id, fd });
    else close(fd);
  }
  return own;
}

/** Runs `body` with a read-only fd of a cgroup directory. */
function withCgroupFd<T>(cgroupDir: string, body: (dirFd: number) => T): T {
  const dirFd = open(cgroupDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  try {
    return body(dirFd);
  } finally {
    close(dirFd);
  }
}

/**
 * Loads the program and attaches it to the cgroup (BPF_F_ALLOW_MULTI, so that
 * the programs of ancestors keep applying). A device program that ns attached
 * earlier is replaced in one step with BPF_F_REPLACE, so the cgroup is never
 * without one. Where that is not possible, the new program is attached before
 * the old ones are detached, and in between an access must pass both.
 */
export function attachDeviceProgram(cgroupDir: string, insns: readonly BpfInsn[]): void {
  const code = encode(insns);
  withCgroupFd(cgroupDir, (dirFd) => {
    const progFd = progLoad({
      progType: BPF_PROG_TYPE_CGROUP_DEVICE,
      expectedAttachType: BPF_CGROUP_DEVICE,
      insns: code,
      license: "GPL",
      name: DEVICE_PROGRAM_NAME,
    });
    const old = openOwnPrograms(dirFd, cgroupDir);
    try {
      if (old.length === 1) {
        try {
          progAttach(dirFd, progFd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI | BPF_F_REPLACE, old[0]!.fd, cgroupDir);
          return;
        } catch (error) {
          // BPF_F_REPLACE needs Linux 5.6.
          if (!(error instanceof SyscallError) || error.code !== "EINVAL") throw error;
        }
      }
      progAttach(dirFd, progFd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, 0, cgroupDir);
      for (const program of old) progDetach(dirFd, program.fd, BPF_CGROUP_DEVICE, cgroupDir);
    } finally {
      for (const program of old) close(program.fd);
      close(progFd);
    }
  });
}

/** Returns the ids of the device programs that ns attached to the cgroup directory. */
export function deviceProgramIds(cgroupDir: string): number[] {
  return withCgroupFd(cgroupDir, (dirFd) => {
    const own = openOwnPrograms(dirFd, cgroupDir);
    for (const program of own) close(program.fd);
    return own.map((program) => program.id);
  });
}
