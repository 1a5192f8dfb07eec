/**
 * Builds the console (`vite build`) when `console/dist` is missing or older than its sources.
 * Used by `npm start` and by the console's end-to-end test, so a fresh clone needs no separate
 * build step. Vite runs in a child process (never inside the caller's process: the test runner
 * has its own Vite), into a temporary directory that then replaces `dist`, so a control plane
 * serving `dist` never sees a half-written build.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

export const CONSOLE_ROOT = import.meta.dirname;
export const CONSOLE_DIST = path.join(CONSOLE_ROOT, 'dist');
const REPO_ROOT = path.resolve(CONSOLE_ROOT, '..');
const BUILD_CACHE = path.join(REPO_ROOT, 'node_modules', '.cache', 'rc-console-build');

/** What the bundle is made of: the console itself and the contracts it imports (schemas, CASL rules). */
const SOURCES = [
  path.join(CONSOLE_ROOT, 'src'),
  path.join(CONSOLE_ROOT, 'index.html'),
  path.join(CONSOLE_ROOT, 'vite.config.ts'),
  path.join(CONSOLE_ROOT, 'package.json'),
  path.join(REPO_ROOT, 'contracts', 'src'),
];
/** Tests are not part of the bundle: editing one does not call for a rebuild. */
const NOT_BUNDLED = /\.test\.tsx?$|[\\/]e2e[\\/]/;

/** Newest modification time among the files under `entry` (0 when it does not exist). */
async function newestMtime(entry: string): Promise<number> {
  const stat = await fs.stat(entry).catch(() => null);
  if (!stat) return 0;
  if (!stat.isDirectory()) return NOT_BUNDLED.test(entry) ? 0 : stat.mtimeMs;
  const children = await fs.readdir(entry);
  const times = await Promise.all(children.map((child) => newestMtime(path.join(entry, child))));
  return Math.max(0, ...times);
}

/** Why the console needs building, or null when `dist` is up to date. */
export async function consoleBuildReason(): Promise<string | null> {
  const built = await fs.stat(path.join(CONSOLE_DIST, 'index.html')).catch(() => null);
  if (!built) return 'console/dist is missing';
  const newest = Math.max(...(await Promise.all(SOURCES.map(newestMtime))));
  return newest > built.mtimeMs ? 'console sources changed since the last build' : null;
}

export interface EnsureConsoleBuiltOptions {
  log?: (line: string) => void;
  /** Build even when `dist` looks up to date. */
  force?: boolean;
}

/** Builds the console when needed; resolves to whether it built. */
export async function ensureConsoleBuilt(options: EnsureConsoleBuiltOptions = {}): Promise<boolean> {
  const log = options.log ?? (() => {});
  const reason = options.force ? 'build requested' : await consoleBuildReason();
  if (!reason) return false;
  log(`building the console (${reason})…`);
  const started = Date.now();
  // Beside the repository's other caches: same file system as `dist` (rename), ignored by every tool.
  const staging = path.join(BUILD_CACHE, `building-${process.pid}-${Date.now()}`);
  try {
    await runViteBuild(staging);
    await replaceDist(staging);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  log(`console built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

function runViteBuild(outDir: string): Promise<void> {
  const require = createRequire(import.meta.url);
  const viteBin = path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' };
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [viteBin, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
      { cwd: CONSOLE_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`vite build failed (${signal ?? `exit ${code}`}):\n${output.trim()}`));
    });
  });
}

/** Swaps the fresh build in: the old `dist` is moved aside first, then removed. */
async function replaceDist(staging: string): Promise<void> {
  const old = path.join(BUILD_CACHE, `old-${process.pid}-${Date.now()}`);
  if (existsSync(CONSOLE_DIST)) await fs.rename(CONSOLE_DIST, old);
  try {
    await fs.rename(staging, CONSOLE_DIST);
  } finally {
    await fs.rm(old, { recursive: true, force: true });
  }
}
