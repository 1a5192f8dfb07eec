/**
 * A local Temporal server (`temporal server start-dev`) for `npm start` and the tests.
 * It is one Go process (frontend, history, matching and UI in one); SQLite or in-memory.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Connection } from '@temporalio/client';
import getPort from 'get-port';
import { hasExited, type NodeProcess } from './processes';

export interface StartTemporalDevServerOptions {
  cliPath: string;
  /** gRPC frontend port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** Web UI port; a free one when omitted (ignored when headless). */
  uiPort?: number;
  /** SQLite file to keep workflows across restarts; in memory when omitted. */
  dbFile?: string;
  headless?: boolean;
  /** Server output. Default: kept in memory and shown only when start-up fails. */
  log?: (line: string) => void;
  /** How long to wait for the frontend to answer. */
  readyTimeoutMs?: number;
}

export interface TemporalDevServer {
  /** host:port for Connection.connect / NativeConnection.connect. */
  address: string;
  namespace: 'default';
  uiUrl?: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startTemporalDevServer(
  options: StartTemporalDevServerOptions,
): Promise<TemporalDevServer> {
  const port = options.port ?? (await getPort({ host: HOST }));
  const headless = options.headless ?? false;
  const uiPort = headless ? undefined : (options.uiPort ?? (await getPort({ host: HOST, exclude: [port] })));
  // Left to itself, the server draws its HTTP API and metrics ports from the OS before it
  // binds the gRPC port, and the OS may hand it the very port we just chose and released
  // (seen on CI: "bind: address already in use"). So we choose all of them.
  const chosen = uiPort === undefined ? [port] : [port, uiPort];
  const httpPort = await getPort({ host: HOST, exclude: chosen });
  const metricsPort = await getPort({ host: HOST, exclude: [...chosen, httpPort] });
  const args = [
    'server',
    'start-dev',
    '--ip',
    HOST,
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    ...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    '--log-level',
    'error',
  ];

  // Own process group: a Ctrl-C in the terminal reaches the whole foreground group at once;
  // we want Temporal to outlive the workers that talk to it and be stopped after them.
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      options.log?.(line);
      recent.push(line);
      if (recent.length > 200) recent.shift();
    });
  }
  const exited = new Promise<string>((resolve) => {
    child.on('error', (error) => resolve(`could not run ${options.cliPath}: ${error.message}`));
    child.on('exit', (code, signal) => resolve(`exited early (${signal ?? `code ${code}`})`));
  });

  // Being detached, it would survive us; this synchronous hook covers process.exit() and
  // uncaught errors. (Nothing can cover SIGKILL of this process.)
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killTimer);
      }
      process.removeListener('exit', killOnExit);
    })());

  const address = `${HOST}:${port}`;
  try {
    await waitUntilServing(address, exited, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    throw new Error(
      `Temporal dev server (${options.cliPath} ${args.join(' ')}): ${(error as Error).message}\n` +
        `--- server output ---\n${recent.join('\n')}`,
      { cause: error },
    );
  }

  return {
    address,
    namespace: 'default',
    ...(uiPort === undefined ? {} : { uiUrl: `http://${HOST}:${uiPort}` }),
    stop,
  };
}

/**
 * The port opens before the server is usable; the `default` namespace answering means
 * workers can poll and clients can start workflows.
 */
async function waitUntilServing(address: string, exited: Promise<string>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let earlyExit: string | undefined;
  void exited.then((reason) => (earlyExit = reason));
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (earlyExit) throw new Error(earlyExit);
    try {
      const connection = await Connection.connect({ address, connectTimeout: '2s' });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (earlyExit) throw new Error(earlyExit);
  throw new Error(
    `not serving on ${address} after ${timeoutMs / 1000} s (last error: ${(lastError as Error)?.message})`,
  );
}

/**
 * Until a worker polls the task queue: its workflow side, and its activity side too when the
 * worker has activities (the product's; the baseline worker has none and never polls for them).
 */
export async function waitForPollers(
  connection: Connection,
  taskQueue: string,
  options: { child?: NodeProcess; activities: boolean; namespace?: string },
): Promise<void> {
  const { child } = options;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child && hasExited(child)) throw new Error(`${child.name} exited before polling ${taskQueue}`);
    const pollers = await Promise.all(
      (options.activities ? ([1, 2] as const) : ([1] as const)).map(async (taskQueueType) => {
        const answer = await connection.workflowService.describeTaskQueue({
          namespace: options.namespace ?? 'default',
          taskQueue: { name: taskQueue },
          taskQueueType, // 1 workflow, 2 activity
        });
        return answer.pollers?.length ?? 0;
      }),
    );
    if (pollers.every((n) => n > 0)) return;
    if (Date.now() > deadline) throw new Error(`no worker polls ${taskQueue} after 180 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
