// Driving interactive programs through a real terminal. A tmux server of the
// test's own runs the command in a pane, and the test types keys and reads
// the screen. The server has its own socket, so other tmux users are never
// touched.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

/** Returns whether tmux is installed; the terminal tests skip without it. */
export function hasTmux(): boolean {
  return spawnSync("tmux", ["-V"]).status === 0;
}

export class TmuxServer {
  readonly socketName = `ns-test-${process.pid}`;

  /** Runs tmux against this server; throws with its stderr on failure. */
  tmux(...args: string[]): string {
    const r = spawnSync("tmux", ["-L", this.socketName, ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /**
   * Starts a detached session of width x height running command under sh -c.
   * The pane then sleeps until kill(), because tmux 3.3 shows a blank screen
   * for a pane whose command has ended, even with remain-on-exit.
   */
  start(name: string, command: string, width = 80, height = 24): TmuxSession {
    this.tmux("new-session", "-d", "-s", name, "-x", String(width), "-y", String(height), `${command}; exec sleep 600`);
    return new TmuxSession(this, name);
  }

  /** Stops the server and every session in it, and removes its socket file, which tmux 3.3 leaves. */
  kill(): void {
    const path = spawnSync("tmux", ["-L", this.socketName, "display-message", "-p", "#{socket_path}"], { encoding: "utf8" }).stdout.trim();
    spawnSync("tmux", ["-L", this.socketName, "kill-server"]);
    if (path.endsWith(`/${this.socketName}`)) rmSync(path, { force: true });
  }
}

export class TmuxSession {
  constructor(
    readonly server: TmuxServer,
    readonly name: string,
  ) {}

  /** Sends key names as tmux spells them: "Enter", "C-c", "C-d". */
  keys(...keys: string[]): void {
    this.server.tmux("send-keys", "-t", this.name, ...keys);
  }

  /** Types text literally, then Enter. */
  line(text: string): void {
    this.server.tmux("send-keys", "-t", this.name, "-l", text);
    this.keys("Enter");
  }

  /** Returns the visible screen, a line per row, without trailing blanks. */
  screen(): string {
    return this.server.tmux("capture-pane", "-p", "-t", this.name);
  }

  resize(width: number, height: number): void {
    this.server.tmux("resize-window", "-t", this.name, "-x", String(width), "-y", String(height));
  }

  /** Returns the pid of the process the pane runs (the sh -c of start()). */
  panePid(): number {
    return Number(this.server.tmux("display-message", "-p", "-t", this.name, "#{pane_pid}").trim());
  }

  /** Returns the pane's terminal device, such as /dev/pts/3. */
  paneTty(): string {
    return this.server.tmux("display-message", "-p", "-t", this.name, "#{pane_tty}").trim();
  }

  /** Waits until the screen matches pattern; returns the screen, or throws with it after timeoutMs. */
  async waitFor(pattern: RegExp | string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (typeof pattern === "string" ? screen.includes(pattern) : pattern.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} on the screen:\n${screen}`);
      await Bun.sleep(50);
    }
  }

  kill(): void {
    spawnSync("tmux", ["-L", this.server.socketName, "kill-session", "-t", this.name]);
  }
}

/**
 * Waits until path exists with some content and returns it, trimmed; throws
 * after timeoutMs. A shell's `> file` creates the file before it writes.
 */
export async function waitForFile(path: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(path) ? readFileSync(path, "utf8") : "";
    if (text !== "") return text.trim();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${path}`);
    await Bun.sleep(50);
  }
}

/** Waits until pid has exited; throws after timeoutMs. */
export async function waitForExitOf(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (existsSync(`/proc/${pid}`)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for pid ${pid} to exit`);
    await Bun.sleep(50);
  }
}
