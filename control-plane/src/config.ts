import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { connectionLimitsFromEnv, type ConnectionLimits } from './db/connection-limits';

export interface ControlPlaneConfig {
  /** Connection as the application role (RLS applies). */
  appDatabaseUrl: string;
  /** Lock wait and idle-transaction limits of every application connection. */
  connectionLimits: ConnectionLimits;
  host: string;
  port: number;
  /** Keys the HMAC of session ids and API tokens before they are stored. */
  sessionSecret: string;
  production: boolean;
  temporal: { address: string; namespace: string; taskQueue: string };
}

/**
 * Where `npm start` records what it brought up (embedded PostgreSQL URL, Temporal address):
 * `runtime.json` in its data directory, `.data/` of the clone unless `RC_DATA_DIR` moves it.
 */
export const RUNTIME_FILE = path.join(
  process.env.RC_DATA_DIR
    ? path.resolve(process.env.RC_DATA_DIR)
    : path.resolve(import.meta.dirname, '../../.data'),
  'runtime.json',
);

export interface RuntimeInfo {
  ownerUrl: string;
  appUrl: string;
  temporalAddress: string;
}

export async function readRuntimeInfo(): Promise<RuntimeInfo | null> {
  try {
    return JSON.parse(await readFile(RUNTIME_FILE, 'utf8')) as RuntimeInfo;
  } catch {
    return null;
  }
}

/** The owner URL of the local demo database, for offline tools such as audit:verify. */
export async function defaultDatabaseUrl(): Promise<string> {
  const runtime = await readRuntimeInfo();
  if (!runtime)
    throw new Error(
      `DATABASE_URL is not set and no \`npm start\` runtime was found in ${path.dirname(RUNTIME_FILE)}`,
    );
  return runtime.ownerUrl;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

export function loadConfigFromEnv(): ControlPlaneConfig {
  const production = process.env.NODE_ENV === 'production';
  const sessionSecret = required('SESSION_SECRET');
  if (sessionSecret.length < 32) throw new Error('SESSION_SECRET must be at least 32 characters');
  return {
    appDatabaseUrl: required('APP_DATABASE_URL'),
    connectionLimits: connectionLimitsFromEnv(),
    host: process.env.HOST ?? '127.0.0.1',
    port: Number(process.env.PORT ?? 3000),
    sessionSecret,
    production,
    temporal: {
      address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: process.env.TEMPORAL_TASK_QUEUE ?? 'reliability-center',
    },
  };
}
