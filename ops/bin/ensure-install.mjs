// `npm start` runs this first (plain JS: it must work before any dependency is installed).
// Installs dependencies when node_modules is missing or older than package-lock.json.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lockFile = path.join(root, 'package-lock.json');
// npm rewrites this file at the end of every install: the best "installed at" timestamp.
const installedMarker = path.join(root, 'node_modules', '.package-lock.json');

const hasLock = existsSync(lockFile);
const upToDate =
  existsSync(installedMarker) &&
  (!hasLock || statSync(installedMarker).mtimeMs >= statSync(lockFile).mtimeMs);

if (!upToDate) {
  const args = hasLock ? ['ci'] : ['install'];
  console.log(`[start] dependencies missing or out of date: npm ${args.join(' ')}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.error) {
    console.error(`[start] could not run npm: ${result.error.message}`);
    process.exit(1);
  }
  if (result.status !== 0) {
    console.error(`[start] npm ${args.join(' ')} failed (${result.signal ?? `exit ${result.status}`})`);
    process.exit(result.status || 1);
  }
}
