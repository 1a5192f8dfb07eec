/**
 * Child processes for `npm start`: TypeScript entry points run with `node --import tsx`,
 * their output prefixed line by line, and one ordered shutdown for everything we started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface NodeProcess {
  name: string;
  child: ChildProcess;
  /** Resolves when the process has exited, with how it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `timeoutMs`. Idempotent. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Whether a process with that pid runs (one of another user's counts: signalling it is refused, not unknown). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the child has exited (by itself or by a signal). */
export function hasExited(child: NodeProcess): boolean {
  return child.child.exitCode !== null || child.child.signalCode !== null;
}

/** Writes each complete line of `input` to `output` as `<prefix> line`. */
export function prefixLines(input: Readable, prefix: string, output: Writable): void {
  createInterface({ input, crlfDelay: Infinity }).on('line', (line) => output.write(`${prefix} ${line}\n`));
}

/** `node --import tsx <entry>` with prefixed logs. */
export function spawnNode(
  name: string,
  entry: string,
  {
    env,
    cwd = process.cwd(),
    prefixWidth = 15,
    nodeArgs = [],
  }: {
    env: NodeJS.ProcessEnv;
    cwd?: string;
    prefixWidth?: number;
    /** Extra node flags, e.g. `--cpu-prof` (NODE_OPTIONS refuses some of them). */
    nodeArgs?: string[];
  },
): NodeProcess {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: a terminal Ctrl-C must not hit every process at once; the
    // orchestrator stops them in order (see Shutdown).
    detached: true,
  });
  const prefix = `[${name}]`.padEnd(prefixWidth);
  prefixLines(child.stdout!, prefix, process.stdout);
  prefixLines(child.stderr!, prefix, process.stderr);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', () => resolve({ code: null, signal: null }));
  });

  // Detached children would outlive an orchestrator that dies on an uncaught error.
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));

  let stopping: Promise<void> | undefined;
  return {
    name,
    child,
    exited,
    stop: (timeoutMs = 10_000) =>
      (stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
      })()),
  };
}

/**
 * Everything started registers how to stop it; shutdown() stops them in reverse order
 * (app processes before Temporal before PostgreSQL), once, then exits.
 */
export class Shutdown {
  private readonly steps: Array<{ name: string; stop: () => Promise<void> }> = [];
  private running: Promise<never> | undefined;

  constructor(private readonly log: (line: string) => void = console.log) {}

  get started(): boolean {
    return this.running !== undefined;
  }

  add(name: string, stop: () => Promise<void>): void {
    this.steps.push({ name, stop });
  }

  /**
   * SIGINT/SIGTERM/SIGHUP → shutdown(0). The same Ctrl-C can arrive twice (from the terminal
   * and relayed by tsx), so only a repeat a few seconds later means "stop waiting, exit now".
   */
  handleSignals(): void {
    let firstAt = 0;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => {
        if (this.running) {
          if (Date.now() - firstAt < 3000) return;
          this.log(`${signal} again: exiting without waiting.`);
          process.exit(1);
        }
        firstAt = Date.now();
        this.log(`${signal} received: stopping…`);
        void this.shutdown(0);
      });
    }
  }

  shutdown(exitCode: number): Promise<never> {
    return (this.running ??= (async () => {
      for (const step of [...this.steps].reverse()) {
        try {
          await step.stop();
          this.log(`stopped ${step.name}`);
        } catch (error) {
          this.log(`stopping ${step.name} failed: ${(error as Error).message}`);
        }
      }
      process.exit(exitCode);
    })());
  }
}
