/*
 * The part of ns that cannot be JavaScript.
 *
 * A Bun process always runs several threads, and the kernel rejects
 * unshare(CLONE_NEWUSER) and setns() into a user or mount namespace from a
 * threaded process. A forked copy of a threaded process may run only
 * async-signal-safe code, so the steps between clone() and execve() live here:
 *
 *   ns_spawn    clone the init stage (or, for `ns enter`, the joined process)
 *               into its namespaces, wait for the launcher's go-ahead, execve
 *   ns_exec     apply credentials, capabilities and limits on the calling
 *               thread, then execve; used by the init stage's main thread and
 *               by ns_spawn for `ns enter`
 *   ns_watch    reap one child on a helper thread and report its status on a pipe
 *   ns_forward_signals
 *               forward signals to the container process from a C handler,
 *               which also covers signals Bun cannot catch (real-time ones)
 *
 * Everything here uses raw system calls: glibc's setuid() family signals the
 * threads it believes exist, and in a child made by a raw clone() those
 * threads are gone. The struct layouts are mirrored in src/ffi/trampoline.ts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_PARENT
#define CLONE_PARENT 0x00008000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_execveat
#define SYS_execveat 322
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef PR_SET_NO_NEW_PRIVS
#define PR_SET_NO_NEW_PRIVS 38
#endif
#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif

/* The step that failed, reported to the launcher as the `step` of an error.
 * Keep in sync with ExecStep in src/ffi/trampoline.ts. */
enum ns_step {
	STEP_NONE = 0,
	STEP_SETRLIMIT,
	STEP_CAPBSET_DROP,
	STEP_KEEPCAPS,
	STEP_SETGROUPS,
	STEP_SETRESGID,
	STEP_SETRESUID,
	STEP_CHDIR,
	STEP_GETCWD,
	STEP_CAPSET,
	STEP_AMBIENT,
	STEP_NO_NEW_PRIVS,
	STEP_SECCOMP,
	STEP_PDEATHSIG,
	STEP_EXECVE,
	STEP_SETNS,
	STEP_CLONE,
	STEP_SYNC,
	STEP_FDS,
	STEP_TIMENS,
	STEP_SETSID,
	STEP_UMASK,
	STEP_CGROUP,
};

static const char *const step_names[] = {
	"none", "setrlimit", "capbset_drop", "keepcaps", "setgroups",
	"setresgid", "setresuid", "chdir", "getcwd", "capset", "ambient",
	"no_new_privs", "seccomp", "pdeathsig", "execve", "setns", "clone",
	"sync", "fds", "timens_offsets", "setsid", "umask", "cgroup",
};

/* What the process becomes just before execve. Every field is 64 bits wide
 * so that the TypeScript side can fill it at fixed offsets. */
struct ns_exec {
	int64_t uid;              /* -1 keeps the current ids */
	int64_t gid;
	int64_t set_groups;       /* 0 where setgroups is denied (user namespace) */
	int64_t ngroups;
	uint64_t groups;          /* const uint32_t * */
	int64_t apply_caps;       /* 0 leaves capabilities as they are */
	int64_t cap_last;         /* highest capability the kernel knows */
	uint64_t cap_bounding;
	uint64_t cap_effective;
	uint64_t cap_permitted;
	uint64_t cap_inheritable;
	uint64_t cap_ambient;
	int64_t no_new_privs;
	int64_t umask;            /* -1 keeps the umask */
	int64_t pdeathsig;        /* 0 for none */
	int64_t nrlimits;
	uint64_t rlimits;         /* const int64_t *: {resource, soft, hard} triples */
	uint64_t cwd;             /* const char *, or 0 */
	uint64_t file;            /* const char *: a path, or a name looked up in PATH */
	uint64_t argv;            /* char *const * */
	uint64_t envp;            /* char *const * */
	uint64_t seccomp;         /* const struct sock_fprog *, or 0 */
	int64_t seccomp_flags;
	int64_t failed_step;      /* out: enum ns_step of the failure */
	int64_t setsid;           /* 1: new session, fd 0 becomes the controlling tty */
	int64_t report_fd;        /* the sync fd, for a failure after the seccomp filter is in, or -1 */
};

/* How ns_spawn starts the child. */
struct ns_spawn {
	int64_t clone_flags;      /* CLONE_NEW* for the new process */
	int64_t sync_fd;          /* the child's end of the sync socket */
	int64_t child_sync_fd;    /* its number in the exec'd init stage, or -1 to keep it close-on-exec */
	int64_t exe_fd;           /* the executable of the init stage (an O_PATH fd) */
	uint64_t argv;            /* char *const * for exe_fd */
	uint64_t envp;
	int64_t become_root;      /* after the go-ahead: setresgid/setresuid to 0 in the new user namespace */
	int64_t pdeathsig;
	int64_t keep_fds;         /* fds 3 .. 3+keep_fds-1 stay open across execve */
	int64_t njoin;            /* namespaces to join before cloning, the user namespace first */
	int64_t join_fds[8];
	uint64_t exec;            /* struct ns_exec *: run a program directly instead of exe_fd */
	int64_t stdio[3];         /* fd to install as 0, 1, 2; -1 inherits */
	uint64_t timens_offsets;  /* const char *, written to /proc/self/timens_offsets, or 0 */
	int64_t unshare_time;     /* unshare CLONE_NEWTIME before execve */
	int64_t cgroup_fd;        /* a cgroup2 directory to start the child in (CLONE_INTO_CGROUP), or -1 */
	int64_t ntasks;           /* cgroup v1 "tasks" files the child writes "0" to, to join them itself */
	int64_t tasks_fds[16];
	int64_t parent_sync_fd;   /* the launcher's end of the sync socket, closed in the child */
	int64_t share_memory;     /* 1: a join may run in the launcher's memory (see vm_can_join) */
};

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/* struct clone_args of clone3(2), up to the cgroup field (size 88). */
struct ns_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

/*
 * A system call that returns -errno and never writes errno. A child made
 * with CLONE_VM shares the parent's memory, thread-local errno included, so
 * the code a child runs uses only this (and glibc functions that touch no
 * global state, such as memcpy).
 */
#if defined(__x86_64__)
static long sys(long nr, long a, long b, long c, long d, long e)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}
#else
static long sys(long nr, long a, long b, long c, long d, long e)
{
	long r = syscall(nr, a, b, c, d, e);
	return r < 0 ? -errno : r;
}
#endif

static void __attribute__((noreturn)) child_exit(int code)
{
	for (;;)
		sys(SYS_exit, code, 0, 0, 0, 0);
}

/* Write one sync frame: a 32-bit little-endian length, then JSON. */
static void send_frame(int fd, const char *json, size_t len)
{
	uint32_t n = (uint32_t)len;
	char buf[256];
	if (fd < 0 || len > sizeof(buf) - 4)
		return;
	memcpy(buf, &n, 4);
	memcpy(buf + 4, json, len);
	sys(SYS_write, fd, (long)buf, (long)(len + 4), 0, 0);
}

static size_t put_str(char *out, size_t at, const char *s)
{
	size_t n = strlen(s);
	memcpy(out + at, s, n);
	return at + n;
}

static size_t put_int(char *out, size_t at, long v)
{
	char tmp[24];
	int i = 0;
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
	if (v < 0)
		out[at++] = '-';
	do {
		tmp[i++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (i)
		out[at++] = tmp[--i];
	return at;
}

static void report_error(int fd, int step, int err)
{
	char json[128];
	size_t n = put_str(json, 0, "{\"type\":\"error\",\"step\":\"");
	n = put_str(json, n, step_names[step]);
	n = put_str(json, n, "\",\"errno\":");
	n = put_int(json, n, err);
	n = put_str(json, n, "}");
	send_frame(fd, json, n);
}

static void report_pid(int fd, long pid)
{
	char json[64];
	size_t n = put_str(json, 0, "{\"type\":\"pid\",\"pid\":");
	n = put_int(json, n, pid);
	n = put_str(json, n, "}");
	send_frame(fd, json, n);
}

/* The kernel's struct sigaction for rt_sigaction(2), which differs from glibc's. */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* Bun ignores SIGPIPE and SIGXFSZ and blocks some signals on its threads;
 * the container must start with every disposition at its default. */
static void reset_signals(void)
{
	struct kernel_sigaction sa = { SIG_DFL, 0, NULL, 0 };
	uint64_t none = 0;
	for (int sig = 1; sig <= 64; sig++)
		sys(SYS_rt_sigaction, sig, (long)&sa, 0, 8, 0);
	sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8, 0);
}

static const char *env_lookup(char *const *envp, const char *name)
{
	size_t n = strlen(name);
	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* execvpe() without its allocation: look the name up in the PATH of the
 * container's environment, as a shell would. Returns an errno. */
static int exec_in_path(const char *file, char *const *argv, char *const *envp)
{
	char buf[4096];
	const char *path, *p;
	int saw_eacces = 0;

	long r;

	if (strchr(file, '/'))
		return (int)-sys(SYS_execve, (long)file, (long)argv, (long)envp, 0, 0);
	path = env_lookup(envp, "PATH");
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	size_t flen = strlen(file);
	for (p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		if (dlen + flen + 2 <= sizeof(buf)) {
			if (dlen) {
				memcpy(buf, p, dlen);
				buf[dlen] = '/';
				memcpy(buf + dlen + 1, file, flen + 1);
			} else {
				memcpy(buf, file, flen + 1);
			}
			r = sys(SYS_execve, (long)buf, (long)argv, (long)envp, 0, 0);
			if (r == -EACCES)
				saw_eacces = 1;
			else if (r != -ENOENT && r != -ENOTDIR && r != -ENAMETOOLONG)
				return (int)-r;
		}
		if (!*end)
			break;
		p = end;
	}
	return saw_eacces ? EACCES : ENOENT;
}

/* A working directory reached through an inherited fd (/proc/self/fd/N)
 * may lie outside the container's root; the kernel then returns a path
 * that does not start with "/" (CVE-2024-21626). Returns 0 or an errno. */
static int check_cwd(void)
{
	char buf[4096];
	long r = sys(SYS_getcwd, (long)buf, sizeof(buf), 0, 0, 0);
	if (r < 0)
		return (int)-r;
	return buf[0] == '/' ? 0 : ENOENT;
}

static int fail(struct ns_exec *x, int step, int err)
{
	x->failed_step = step;
	return -err;
}

/*
 * Become the container process: the order follows what the kernel allows.
 * The bounding set is dropped while still privileged; PR_SET_KEEPCAPS keeps the
 * permitted set across the uid change; the capability sets are applied after
 * the uid change because setresuid() away from 0 clears them; the parent-death
 * signal is set again because changing credentials clears it. With
 * no_new_privs, seccomp comes last so that its filter need not allow the calls
 * above; without it, the kernel accepts a filter only from a task that holds
 * CAP_SYS_ADMIN, so the filter goes in before the capabilities are dropped and
 * must allow the rest of this sequence (as with runc).
 * Returns -errno with x->failed_step set; on success it does not return.
 */
int ns_exec(struct ns_exec *x)
{
	const int64_t *rl = (const int64_t *)(uintptr_t)x->rlimits;
	const char *cwd = (const char *)(uintptr_t)x->cwd;
	int cwd_pending = 0;
	long r;

	x->failed_step = STEP_NONE;
	for (int64_t i = 0; i < x->nrlimits; i++) {
		struct rlimit64 lim = { (rlim64_t)rl[3 * i + 1], (rlim64_t)rl[3 * i + 2] };
		r = sys(SYS_prlimit64, 0, (long)rl[3 * i], (long)&lim, 0, 0);
		if (r < 0)
			return fail(x, STEP_SETRLIMIT, (int)-r);
	}

	if (x->setsid) {
		r = sys(SYS_setsid, 0, 0, 0, 0, 0);
		if (r < 0)
			return fail(x, STEP_SETSID, (int)-r);
		r = sys(SYS_ioctl, 0, TIOCSCTTY, 0, 0, 0);
		if (r < 0)
			return fail(x, STEP_SETSID, (int)-r);
	}

	/* Try the working directory while still privileged: it may be reachable
	 * only by root. EACCES is retried after the user switch. */
	if (cwd) {
		r = sys(SYS_chdir, (long)cwd, 0, 0, 0, 0);
		if (r == -EACCES)
			cwd_pending = 1;
		else if (r < 0)
			return fail(x, STEP_CHDIR, (int)-r);
		else if ((r = check_cwd()) != 0)
			return fail(x, STEP_GETCWD, (int)r);
	}

	/* Without no_new_privs, only a task holding CAP_SYS_ADMIN may install a
	 * filter, so it goes in before the capabilities are dropped (and after
	 * the cwd check, which a filter may forbid). */
	if (x->seccomp && !x->no_new_privs) {
		r = sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (long)x->seccomp_flags, (long)x->seccomp, 0, 0);
		if (r < 0)
			return fail(x, STEP_SECCOMP, (int)-r);
	}

	if (x->apply_caps) {
		for (int cap = 0; cap <= x->cap_last; cap++) {
			if (x->cap_bounding & (1ULL << cap))
				continue;
			r = sys(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
			if (r < 0 && r != -EINVAL)
				return fail(x, STEP_CAPBSET_DROP, (int)-r);
		}
		r = sys(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0);
		if (r < 0)
			return fail(x, STEP_KEEPCAPS, (int)-r);
	}

	if (x->uid >= 0) {
		if (x->set_groups) {
			r = sys(SYS_setgroups, (long)x->ngroups, (long)x->groups, 0, 0, 0);
			if (r < 0)
				return fail(x, STEP_SETGROUPS, (int)-r);
		}
		r = sys(SYS_setresgid, (long)x->gid, (long)x->gid, (long)x->gid, 0, 0);
		if (r < 0)
			return fail(x, STEP_SETRESGID, (int)-r);
		r = sys(SYS_setresuid, (long)x->uid, (long)x->uid, (long)x->uid, 0, 0);
		if (r < 0)
			return fail(x, STEP_SETRESUID, (int)-r);
	}

	if (cwd_pending) {
		r = sys(SYS_chdir, (long)cwd, 0, 0, 0, 0);
		if (r < 0)
			return fail(x, STEP_CHDIR, (int)-r);
		if ((r = check_cwd()) != 0)
			return fail(x, STEP_GETCWD, (int)r);
	}

	if (x->apply_caps) {
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct data[2];
		for (int i = 0; i < 2; i++) {
			data[i].effective = (uint32_t)(x->cap_effective >> (32 * i));
			data[i].permitted = (uint32_t)(x->cap_permitted >> (32 * i));
			data[i].inheritable = (uint32_t)(x->cap_inheritable >> (32 * i));
		}
		r = sys(SYS_capset, (long)&hdr, (long)data, 0, 0, 0);
		if (r < 0)
			return fail(x, STEP_CAPSET, (int)-r);
		r = sys(SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0);
		if (r < 0)
			return fail(x, STEP_KEEPCAPS, (int)-r);
		r = sys(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		if (r < 0 && r != -EINVAL)
			return fail(x, STEP_AMBIENT, (int)-r);
		for (int cap = 0; cap <= x->cap_last; cap++) {
			if (!(x->cap_ambient & (1ULL << cap)))
				continue;
			r = sys(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
			if (r < 0)
				return fail(x, STEP_AMBIENT, (int)-r);
		}
	}

	if (x->umask >= 0)
		sys(SYS_umask, (long)x->umask, 0, 0, 0, 0);

	if (x->no_new_privs) {
		r = sys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (r < 0)
			return fail(x, STEP_NO_NEW_PRIVS, (int)-r);
	}

	if (x->pdeathsig) {
		r = sys(SYS_prctl, PR_SET_PDEATHSIG, (long)x->pdeathsig, 0, 0, 0);
		if (r < 0)
			return fail(x, STEP_PDEATHSIG, (int)-r);
	}

	/* The init stage is a Bun process that ignores SIGPIPE and SIGXFSZ, and
	 * execve keeps ignored signals ignored. Reset as late as possible: until
	 * here the engine's own handlers may still be needed. */
	reset_signals();

	if (x->seccomp && x->no_new_privs) {
		r = sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (long)x->seccomp_flags, (long)x->seccomp, 0, 0);
		if (r < 0)
			return fail(x, STEP_SECCOMP, (int)-r);
	}

	int err = exec_in_path((const char *)(uintptr_t)x->file, (char *const *)(uintptr_t)x->argv,
			       (char *const *)(uintptr_t)x->envp);
	/* Under the container's seccomp filter the caller may be unable to run
	 * at all (a filter whose default denies every call stops Bun), so the
	 * failure is reported and the process ends here. */
	if (x->seccomp) {
		report_error((int)x->report_fd, STEP_EXECVE, err);
		sys(SYS_exit_group, err == ENOENT ? 127 : 126, 0, 0, 0, 0);
	}
	return fail(x, STEP_EXECVE, err);
}

/* Arrange the child's fds: stdio, the kept range, the sync socket at its
 * agreed number, and close-on-exec for everything else. */
static int setup_fds(struct ns_spawn *s, int *exe_fd)
{
	int keep_end = 3 + (int)s->keep_fds;
	int sync = (int)s->sync_fd;

	long r;

	for (int i = 0; i < 3; i++) {
		if (s->stdio[i] >= 0 && s->stdio[i] != i) {
			r = sys(SYS_dup2, (long)s->stdio[i], i, 0, 0, 0);
			if (r < 0)
				return (int)-r;
		}
	}
	/* Move the fds still needed above the numbers about to be assigned. */
	int floor = keep_end + 1;
	if (*exe_fd >= 0 && *exe_fd < floor) {
		r = sys(SYS_fcntl, *exe_fd, F_DUPFD_CLOEXEC, floor, 0, 0);
		if (r < 0)
			return (int)-r;
		*exe_fd = (int)r;
	}
	if (s->child_sync_fd >= 0) {
		if (sync != s->child_sync_fd) {
			r = sys(SYS_dup2, sync, (long)s->child_sync_fd, 0, 0, 0);
			if (r < 0)
				return (int)-r;
		}
		sync = (int)s->child_sync_fd;
		r = sys(SYS_fcntl, sync, F_SETFD, 0, 0, 0);
		if (r < 0)
			return (int)-r;
	}
	for (int fd = 3; fd < keep_end; fd++) {
		r = sys(SYS_fcntl, fd, F_SETFD, 0, 0, 0);
		if (r < 0 && r != -EBADF)
			return (int)-r;
	}
	int first = s->child_sync_fd >= 0 ? keep_end + 1 : keep_end;
	r = sys(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC, 0, 0);
	if (r < 0)
		return (int)-r;
	s->sync_fd = sync;
	return 0;
}

static int write_file(const char *path, const char *data)
{
	long fd = sys(SYS_open, (long)path, O_WRONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return (int)-fd;
	size_t n = strlen(data);
	long w = sys(SYS_write, fd, (long)data, (long)n, 0, 0);
	sys(SYS_close, fd, 0, 0, 0, 0);
	return w == (long)n ? 0 : w < 0 ? (int)-w : EIO;
}

/*
 * Joins the cgroup v1 hierarchies by writing "0" to their "tasks" files:
 * a thread that moves itself skips the kernel's global threadgroup lock,
 * whose writer waits for an RCU grace period (5-15 ms here) when the
 * launcher moves a process by pid. The fds were opened by the launcher, and
 * the kernel checks the opener's credentials. Returns 0 or an errno.
 */
static int join_cgroups(struct ns_spawn *s)
{
	for (int64_t i = 0; i < s->ntasks && i < 16; i++) {
		long r = sys(SYS_write, (long)s->tasks_fds[i], (long)"0", 1, 0, 0);
		sys(SYS_close, (long)s->tasks_fds[i], 0, 0, 0, 0);
		if (r < 0)
			return (int)-r;
	}
	return 0;
}

/* The last stage of ns_spawn, in every namespace the container gets. It runs
 * in a forked copy of the launcher or, in the fast path, in the launcher's
 * own memory (CLONE_VM), so it uses raw system calls only until execve. */
static void __attribute__((noreturn)) child_stage(struct ns_spawn *s)
{
	int sync = (int)s->sync_fd;
	int exe_fd = (int)s->exe_fd;
	char go;
	long r;
	int err;

	if (s->parent_sync_fd >= 0)
		sys(SYS_close, (long)s->parent_sync_fd, 0, 0, 0, 0);

	if (s->pdeathsig)
		sys(SYS_prctl, PR_SET_PDEATHSIG, (long)s->pdeathsig, 0, 0, 0);

	/* The launcher writes the id maps, then sends one byte. EOF means it
	 * gave up or died: our copy of its end is closed, so nothing else keeps
	 * the socket open. */
	do
		r = sys(SYS_read, sync, (long)&go, 1, 0, 0);
	while (r == -EINTR);
	if (r != 1)
		child_exit(1);

	/* Before become_root: the user namespace changes nothing for the host's
	 * cgroup files, but do it while the ids are still the launcher's. */
	err = join_cgroups(s);
	if (err) {
		report_error(sync, STEP_CGROUP, err);
		child_exit(1);
	}

	if (s->become_root) {
		r = sys(SYS_setresgid, 0, 0, 0, 0, 0);
		if (r < 0) {
			report_error(sync, STEP_SETRESGID, (int)-r);
			child_exit(1);
		}
		r = sys(SYS_setresuid, 0, 0, 0, 0, 0);
		if (r < 0) {
			report_error(sync, STEP_SETRESUID, (int)-r);
			child_exit(1);
		}
	}

	/* A time namespace takes effect for children and, since Linux 5.x, at
	 * execve; its offsets may be set only before any process enters it. */
	if (s->unshare_time) {
		r = sys(SYS_unshare, CLONE_NEWTIME, 0, 0, 0, 0);
		if (r < 0) {
			report_error(sync, STEP_TIMENS, (int)-r);
			child_exit(1);
		}
		if (s->timens_offsets) {
			err = write_file("/proc/self/timens_offsets", (const char *)(uintptr_t)s->timens_offsets);
			if (err) {
				report_error(sync, STEP_TIMENS, err);
				child_exit(1);
			}
		}
	}

	err = setup_fds(s, &exe_fd);
	if (err) {
		report_error(sync, STEP_FDS, err);
		child_exit(1);
	}
	sync = (int)s->sync_fd;

	if (s->exec) {
		struct ns_exec *x = (struct ns_exec *)(uintptr_t)s->exec;
		int rc = ns_exec(x);
		report_error(sync, (int)x->failed_step, -rc);
		child_exit(x->failed_step == STEP_EXECVE ? (-rc == ENOENT ? 127 : 126) : 1);
	}

	r = sys(SYS_execveat, exe_fd, (long)"", (long)s->argv, (long)s->envp, AT_EMPTY_PATH);
	report_error(sync, STEP_EXECVE, (int)-r);
	child_exit(127);
}

#if defined(__x86_64__)
/*
 * The fast path: a child that shares the launcher's memory (CLONE_VM), so
 * that clone() need not copy the page tables of a ~100 MB Bun process (about
 * 3 ms here). Unlike vfork, the launcher keeps running while the child waits
 * for its go-ahead. Everything the child reads lives in one private block:
 * a copy of the spawn struct, argv, envp and the time offsets, and the
 * child's stack. The block is never unmapped: the launcher cannot know
 * when the child has left it, and it is small (NOTE: 160 KiB of address
 * space per spawn, so a long-lived process that spawns often grows).
 */
#define VM_BLOCK_SIZE (160 * 1024)
#define VM_STRINGS_SIZE (16 * 1024)
#define VM_MAX_STRINGS 32

struct vm_block {
	struct ns_spawn s;
	char *argv[VM_MAX_STRINGS];
	char *envp[VM_MAX_STRINGS];
	char strings[VM_STRINGS_SIZE];
};

/* Copies a NULL-terminated string array into the block; -1 if it does not fit. */
static int copy_strv(char **out, char *const *in, char **cursor, char *end)
{
	int i = 0;
	for (; in && in[i]; i++) {
		size_t n = strlen(in[i]) + 1;
		if (i + 1 >= VM_MAX_STRINGS || *cursor + n > end)
			return -1;
		memcpy(*cursor, in[i], n);
		out[i] = *cursor;
		*cursor += n;
	}
	out[i] = NULL;
	return 0;
}

static int vm_child(void *arg)
{
	struct vm_block *b = arg;
	reset_signals();
	child_stage(&b->s);
}

/*
 * clone3(args, size), running fn(arg) on the new stack in the child, like
 * glibc's clone() but with clone3's CLONE_INTO_CGROUP. The kernel gives the
 * child the parent's registers but %rax and %rsp, so fn and arg travel in
 * %r8 and %r9; the child never returns into C.
 */
long ns_clone3_run(struct ns_clone_args *args, size_t size, int (*fn)(void *), void *arg);
__asm__(".text\n"
	".type ns_clone3_run,@function\n"
	"ns_clone3_run:\n"
	"	mov %rdx, %r8\n"
	"	mov %rcx, %r9\n"
	"	mov $435, %eax\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	mov %r9, %rdi\n"
	"	call *%r8\n"
	"	mov %eax, %edi\n"
	"	mov $60, %eax\n"
	"	syscall\n"
	"	hlt\n"
	"1:	ret\n"
	".size ns_clone3_run, .-ns_clone3_run\n");

static long spawn_vm(struct ns_spawn *s, long flags)
{
	struct vm_block *b = mmap(NULL, VM_BLOCK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (b == MAP_FAILED)
		return -errno;
	char *cursor = b->strings;
	char *end = b->strings + VM_STRINGS_SIZE;
	b->s = *s;
	if (copy_strv(b->argv, (char *const *)(uintptr_t)s->argv, &cursor, end) < 0 ||
	    copy_strv(b->envp, (char *const *)(uintptr_t)s->envp, &cursor, end) < 0)
		return -E2BIG;
	b->s.argv = (uint64_t)(uintptr_t)b->argv;
	b->s.envp = (uint64_t)(uintptr_t)b->envp;
	if (s->timens_offsets) {
		const char *offsets = (const char *)(uintptr_t)s->timens_offsets;
		size_t n = strlen(offsets) + 1;
		if (cursor + n > end)
			return -E2BIG;
		memcpy(cursor, offsets, n);
		b->s.timens_offsets = (uint64_t)(uintptr_t)cursor;
	}

	/* No signal handler of the launcher may run in the child before it
	 * has reset them all: block everything across clone(). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	long pid, err = 0;
	if (s->cgroup_fd >= 0) {
		struct ns_clone_args args = {
			.flags = (uint64_t)flags | CLONE_VM | CLONE_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.stack = (uint64_t)(uintptr_t)((char *)b + sizeof(*b)),
			.stack_size = VM_BLOCK_SIZE - sizeof(*b),
			.cgroup = (uint64_t)s->cgroup_fd,
		};
		pid = ns_clone3_run(&args, sizeof(args), vm_child, b);
		if (pid < 0)
			err = -pid;
	} else {
		char *stack_top = (char *)b + VM_BLOCK_SIZE;
		pid = clone(vm_child, stack_top, (int)(flags | CLONE_VM | SIGCHLD), b);
		if (pid < 0)
			err = errno;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pid < 0 ? -err : pid;
}
#endif

/* A fork-style clone (the child runs on a copy of the caller's memory), in
 * the cgroup2 directory cgroup_fd when there is one. */
static long clone_fork(struct ns_spawn *s, long flags)
{
	if (s->cgroup_fd < 0)
		return sys(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	struct ns_clone_args args = {
		.flags = (uint64_t)flags | CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)s->cgroup_fd,
	};
	return sys(SYS_clone3, (long)&args, sizeof(args), 0, 0, 0);
}

/* A stack for a child that shares the launcher's memory: [base, base + size). */
struct vm_stack {
	char *base;
	size_t size;
};

static void __attribute__((noreturn)) join_stage(struct ns_spawn *s, long flags, struct vm_stack *stack);

#if defined(__x86_64__)
static int vm_grandchild(void *arg)
{
	child_stage(arg);
}
#endif

/* Clones the real child of a join into the joined namespaces; returns its
 * pid or -errno. Only the caller returns. */
static long clone_joined(struct ns_spawn *s, long flags, struct vm_stack *stack)
{
#if defined(__x86_64__)
	if (stack) {
		struct ns_clone_args args = {
			/* clone3 refuses an exit signal with CLONE_PARENT: the
			 * child gets its parent's, SIGCHLD. */
			.flags = (uint64_t)flags | CLONE_VM | CLONE_PARENT,
			.stack = (uint64_t)(uintptr_t)stack->base,
			.stack_size = stack->size,
		};
		return ns_clone3_run(&args, sizeof(args), vm_grandchild, s);
	}
#endif
	(void)stack;
	long child = sys(SYS_clone, flags | CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (child == 0)
		child_stage(s);
	return child;
}

#if defined(__x86_64__)
#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE 0xb703
#endif
#define JOIN_STACK_SIZE (64 * 1024)

/*
 * Whether a join can run in the launcher's memory. The caller allows it only
 * where no process in the container may ptrace: until its execve, the real
 * child is in the container's pid namespace, and a tracer there would reach
 * the launcher through the memory they share. The kernel refuses setns into
 * a user or time namespace to a process whose memory is shared. A child that
 * becomes root or unshares a time namespace takes the forked path too.
 */
static int vm_can_join(const struct ns_spawn *s)
{
	if (!s->share_memory || !s->exec || s->become_root || s->unshare_time)
		return 0;
	for (int64_t i = 0; i < s->njoin && i < 8; i++) {
		long type = sys(SYS_ioctl, (long)s->join_fds[i], NS_GET_NSTYPE, 0, 0, 0);
		if (type < 0 || type == CLONE_NEWUSER || type == CLONE_NEWTIME)
			return 0;
	}
	return 1;
}

/* The start of the private block of a shared-memory join. */
struct vm_join_block {
	struct ns_spawn s;
	struct vm_stack grandchild;
	long flags;
};

/* A bump allocator over the private block of a shared-memory join. */
struct arena {
	char *at;
	char *end;
};

static void *arena_copy(struct arena *a, const void *src, size_t n)
{
	char *p = (char *)(((uintptr_t)a->at + 15) & ~(uintptr_t)15);
	if (p + n > a->end)
		return NULL;
	if (src)
		memcpy(p, src, n);
	a->at = p + n;
	return p;
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* The bytes that arena_strv uses for v, with up to 15 bytes of alignment per copy. */
static size_t strv_bytes(char *const *v)
{
	size_t bytes = 15 + 8 * (strv_len(v) + 1);
	for (size_t i = 0; v && v[i]; i++)
		bytes += 15 + strlen(v[i]) + 1;
	return bytes;
}

/* Copies a string array with its strings, or returns NULL when it does not fit. */
static char **arena_strv(struct arena *a, char *const *v)
{
	size_t n = strv_len(v);
	char **out = arena_copy(a, NULL, 8 * (n + 1));
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(out[i] = arena_copy(a, v[i], strlen(v[i]) + 1)))
			return NULL;
	out[n] = NULL;
	return out;
}

struct sock_fprog_layout {
	unsigned short len;
	uint64_t filter;
};

/* The size of the private block of a join that runs x, stacks apart. */
static size_t exec_bytes(const struct ns_exec *x)
{
	const struct sock_fprog_layout *prog = (const void *)(uintptr_t)x->seccomp;
	/* Eight copies besides the string arrays, each aligned to 16 bytes. */
	size_t bytes = 8 * 15 + sizeof(struct vm_join_block) + sizeof(*x);
	bytes += 4 * (size_t)x->ngroups + 4 + 24 * (size_t)x->nrlimits + 8;
	if (x->cwd)
		bytes += strlen((const char *)(uintptr_t)x->cwd) + 1;
	bytes += strlen((const char *)(uintptr_t)x->file) + 1;
	bytes += strv_bytes((char *const *)(uintptr_t)x->argv) + strv_bytes((char *const *)(uintptr_t)x->envp);
	if (prog)
		bytes += sizeof(*prog) + 8 * (size_t)prog->len;
	return bytes;
}

#define ARENA_PTR(a, src, n) ((uint64_t)(uintptr_t)arena_copy((a), (const void *)(uintptr_t)(src), (n)))

/* Copies the exec description and everything it points to; NULL if it does not fit. */
static struct ns_exec *arena_exec(struct arena *a, const struct ns_exec *src)
{
	struct ns_exec *x = arena_copy(a, src, sizeof(*src));
	if (!x)
		return NULL;
	if (!(x->groups = ARENA_PTR(a, src->groups, 4 * (size_t)src->ngroups + 4)) ||
	    !(x->rlimits = ARENA_PTR(a, src->rlimits, 24 * (size_t)src->nrlimits + 8)) ||
	    !(x->file = ARENA_PTR(a, src->file, strlen((const char *)(uintptr_t)src->file) + 1)) ||
	    !(x->argv = (uint64_t)(uintptr_t)arena_strv(a, (char *const *)(uintptr_t)src->argv)) ||
	    !(x->envp = (uint64_t)(uintptr_t)arena_strv(a, (char *const *)(uintptr_t)src->envp)))
		return NULL;
	if (src->cwd && !(x->cwd = ARENA_PTR(a, src->cwd, strlen((const char *)(uintptr_t)src->cwd) + 1)))
		return NULL;
	if (src->seccomp) {
		const struct sock_fprog_layout *from = (const void *)(uintptr_t)src->seccomp;
		struct sock_fprog_layout *prog = arena_copy(a, from, sizeof(*from));
		if (!prog || !(prog->filter = ARENA_PTR(a, from->filter, 8 * (size_t)from->len)))
			return NULL;
		x->seccomp = (uint64_t)(uintptr_t)prog;
	}
	return x;
}

static int vm_join_child(void *arg)
{
	struct vm_join_block *b = arg;
	join_stage(&b->s, b->flags, &b->grandchild);
}

/*
 * The join path in the launcher's memory, as spawn_vm does for new
 * namespaces: neither the intermediate child nor the real child copies the
 * page tables of the Bun process (two forks, 3-4 ms here). What they read
 * is copied into a private block first, because the launcher's JavaScript
 * goes on and may free its own copies. The block is never unmapped (see
 * VM_BLOCK_SIZE).
 */
static long spawn_vm_join(struct ns_spawn *s, long flags)
{
	const struct ns_exec *exec = (const struct ns_exec *)(uintptr_t)s->exec;
	size_t data = exec_bytes(exec);
	size_t size = ((data + 4095) & ~(size_t)4095) + 2 * JOIN_STACK_SIZE;
	char *block = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (block == MAP_FAILED)
		return -errno;
	struct arena a = { block, block + size - 2 * JOIN_STACK_SIZE };
	struct vm_join_block *b = arena_copy(&a, NULL, sizeof(*b));
	struct ns_exec *x = b ? arena_exec(&a, exec) : NULL;
	if (!x) {
		munmap(block, size);
		return -E2BIG;
	}
	b->s = *s;
	b->s.exec = (uint64_t)(uintptr_t)x;
	b->flags = flags;
	b->grandchild.base = block + size - 2 * JOIN_STACK_SIZE;
	b->grandchild.size = JOIN_STACK_SIZE;

	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	struct ns_clone_args args = {
		.flags = CLONE_VM | (s->cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
		.exit_signal = SIGCHLD,
		.stack = (uint64_t)(uintptr_t)(block + size - JOIN_STACK_SIZE),
		.stack_size = JOIN_STACK_SIZE,
		.cgroup = s->cgroup_fd >= 0 ? (uint64_t)s->cgroup_fd : 0,
	};
	long pid = ns_clone3_run(&args, sizeof(args), vm_join_child, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pid;
}
#endif

/*
 * The intermediate child of a join: waits for the go-ahead, joins the
 * cgroups and the namespaces, clones the real child with CLONE_PARENT so
 * that it stays the launcher's child, sends its pid as a {"type":"pid"}
 * frame and exits. With a stack, the real child shares the memory
 * (CLONE_VM) and runs there; without, it is a forked copy.
 */
static void __attribute__((noreturn)) join_stage(struct ns_spawn *s, long flags, struct vm_stack *stack)
{
	/* Until execve the child is a copy of ns, or shares its memory. A
	 * process that is not dumpable keeps its /proc/PID/exe closed to the
	 * container, which could otherwise reopen the ns binary for writing
	 * once nothing runs it (CVE-2019-5736). The flag belongs to the memory:
	 * the child cloned below has it, and a launcher whose memory is shared
	 * has it too. execve gives the new program memory of its own. */
	sys(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
	reset_signals();
	if (s->parent_sync_fd >= 0) {
		sys(SYS_close, (long)s->parent_sync_fd, 0, 0, 0, 0);
		s->parent_sync_fd = -1;
	}
	int sync = (int)s->sync_fd;
	char go;
	long r;
	if (s->pdeathsig)
		sys(SYS_prctl, PR_SET_PDEATHSIG, (long)s->pdeathsig, 0, 0, 0);
	do
		r = sys(SYS_read, sync, (long)&go, 1, 0, 0);
	while (r == -EINTR);
	if (r != 1)
		child_exit(1);
	/* Join the cgroups before setns: the child cloned below inherits them. */
	int cgroup_err = join_cgroups(s);
	if (cgroup_err) {
		report_error(sync, STEP_CGROUP, cgroup_err);
		child_exit(1);
	}
	s->ntasks = 0;
	for (int64_t i = 0; i < s->njoin && i < 8; i++) {
		r = sys(SYS_setns, (long)s->join_fds[i], 0, 0, 0, 0);
		if (r < 0) {
			report_error(sync, STEP_SETNS, (int)-r);
			child_exit(1);
		}
		sys(SYS_close, (long)s->join_fds[i], 0, 0, 0, 0);
	}
	long child = clone_joined(s, flags, stack);
	if (child < 0) {
		report_error(sync, STEP_CLONE, (int)-child);
		child_exit(1);
	}
	report_pid(sync, child);
	child_exit(0);
}

/*
 * Start a child. Without namespaces to join, one clone() makes it in all its
 * new namespaces. To join namespaces by path, an intermediate child joins
 * them first (setns needs a single-threaded caller, and joining a pid
 * namespace applies only to children) and clones the real child: see
 * join_stage. Each child waits for one go-ahead byte.
 * Returns the pid of the first child, or -errno.
 */
long ns_spawn(struct ns_spawn *s)
{
	long flags = (long)(s->clone_flags & ~(CLONE_NEWTIME | CLONE_NEWCGROUP));

	if (s->njoin == 0) {
#if defined(__x86_64__)
		if (!s->exec)
			return spawn_vm(s, flags);
#endif
		long pid = clone_fork(s, flags);
		if (pid == 0) {
			/* Until execve this child is a copy of ns. A process that
			 * is not dumpable keeps its /proc/PID/exe closed to the
			 * container, which could otherwise reopen the ns binary for
			 * writing once nothing runs it (CVE-2019-5736). execve
			 * makes the new program dumpable again. */
			sys(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
			reset_signals();
			child_stage(s);
		}
		return pid;
	}

#if defined(__x86_64__)
	if (vm_can_join(s))
		return spawn_vm_join(s, flags);
#endif
	long pid = clone_fork(s, 0);
	if (pid != 0)
		return pid;
	join_stage(s, flags, NULL);
}

/* The outcome of a trial of the rlimits: the index of the one rejected, and its errno. */
struct rlimit_trial {
	const int64_t *triples;
	int64_t n;
	int64_t failed;           /* -1 when every one was accepted */
	int64_t err;
};

static int __attribute__((unused)) rlimit_trial_child(void *arg)
{
	struct rlimit_trial *t = arg;
	for (int64_t i = 0; i < t->n; i++) {
		struct rlimit64 lim = { (rlim64_t)t->triples[3 * i + 1], (rlim64_t)t->triples[3 * i + 2] };
		long r = sys(SYS_prlimit64, 0, (long)t->triples[3 * i], (long)&lim, 0, 0);
		if (r < 0) {
			t->failed = i;
			t->err = -r;
			break;
		}
	}
	child_exit(0);
}

/*
 * Tries the rlimits that ns_exec will set, in a short-lived child with the
 * caller's credentials. So a limit the kernel rejects fails the container's
 * creation instead of its start, as the runtime spec requires. The caller
 * keeps its own limits, because a low RLIMIT_AS or RLIMIT_NOFILE would stop
 * Bun and a lowered hard limit could not be raised again. Returns the index
 * of the rejected triple with its errno in *err, n with *err set when the
 * trial could not run, or -1 when every limit was accepted.
 */
int64_t ns_try_rlimits(const int64_t *triples, int64_t n, int64_t *err)
{
	struct rlimit_trial t = { triples, n, -1, 0 };
	*err = 0;
	if (n <= 0)
		return -1;
#if defined(__x86_64__)
	/* The child shares this memory and the caller waits (CLONE_VFORK), so
	 * it reports through t; it needs a stack of its own only. */
	size_t size = 16 * 1024;
	char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		*err = errno;
		return n;
	}
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	struct ns_clone_args args = {
		.flags = CLONE_VM | CLONE_VFORK,
		.exit_signal = SIGCHLD,
		.stack = (uint64_t)(uintptr_t)stack,
		.stack_size = size,
	};
	long pid = ns_clone3_run(&args, sizeof(args), rlimit_trial_child, &t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid > 0)
		while (sys(SYS_wait4, pid, 0, __WALL, 0, 0) == -EINTR)
			;
	munmap(stack, size);
	if (pid < 0) {
		*err = -pid;
		return n;
	}
#else
	/* Elsewhere the limits are found out at execve. */
#endif
	*err = t.err;
	return t.failed;
}

struct watch {
	int pid;
	int fd;
};

static void *watch_main(void *arg)
{
	struct watch w = *(struct watch *)arg;
	int status = 0;
	int32_t msg[2];
	free(arg);
	while (waitpid(w.pid, &status, __WALL) < 0 && errno == EINTR)
		;
	msg[0] = w.pid;
	msg[1] = status;
	(void)!write(w.fd, msg, sizeof(msg));
	return NULL;
}

/* Wait for pid on a detached thread and write {pid, wait status} as two
 * int32 to fd. Bun reaps only its own children, and waitpid(-1) would steal
 * them, so every child ns makes is waited for by pid. */
int ns_watch(int pid, int fd)
{
	pthread_t t;
	pthread_attr_t attr;
	struct watch *w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->pid = pid;
	w->fd = fd;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	int err = pthread_create(&t, &attr, watch_main, w);
	pthread_attr_destroy(&attr);
	if (err) {
		free(w);
		return -err;
	}
	return 0;
}

static volatile sig_atomic_t forward_pid;
/* Signals that arrived while there was no target yet (bit N-1 for signal N). */
static volatile uint64_t pending_signals;

static void forward_signal(int sig)
{
	int saved = errno;
	if (forward_pid > 0)
		kill(forward_pid, sig);
	else if (forward_pid == 0)
		__atomic_or_fetch(&pending_signals, 1ULL << (sig - 1), __ATOMIC_SEQ_CST);
	errno = saved;
}

/* Install a handler that sends every signal in mask (bit N-1 for signal N)
 * to pid. A C handler covers the real-time signals, which Bun's
 * process.on() accepts but never installs. With pid 0, the signals are
 * held until ns_forward_target names the process: the container's process
 * should get them, not the init stage that comes before it. */
int ns_forward_signals(int pid, uint64_t mask)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	forward_pid = pid;
	for (int sig = 1; sig <= 64 && sig < NSIG; sig++) {
		if (!(mask & (1ULL << (sig - 1))))
			continue;
		if (sigaction(sig, &sa, NULL) < 0)
			return -errno;
	}
	return 0;
}

/* The signals held so far (bit N-1 for signal N). */
uint64_t ns_forward_held(void)
{
	return __atomic_load_n(&pending_signals, __ATOMIC_SEQ_CST);
}

/* Change the target of forwarded signals and send it the held ones; -1
 * stops forwarding. */
void ns_forward_target(int pid)
{
	forward_pid = pid;
	if (pid <= 0)
		return;
	uint64_t held = __atomic_exchange_n(&pending_signals, 0, __ATOMIC_SEQ_CST);
	for (int sig = 1; sig <= 64; sig++)
		if (held & (1ULL << (sig - 1)))
			kill(pid, sig);
}
