import { startEmbeddedPostgres, createDatabase, dropDatabase } from '/work/main/ops/src/postgres';
import pg from 'pg';
import fs from 'node:fs';
const dir = fs.mkdtempSync('/tmp/rc-pg-');
const t0 = Date.now();
const p = await startEmbeddedPostgres({ dataDir: dir, persistent: false });
console.log('started', p.port, Date.now() - t0, 'ms');
await createDatabase(p.ownerUrl(), 'x1');
const c = new pg.Client(p.ownerUrl('x1')); await c.connect(); console.log((await c.query('select version()')).rows[0]); await c.end();
await dropDatabase(p.ownerUrl(), 'x1');
console.log('listeners', process.listenerCount('SIGINT'), process.listenerCount('exit'), process.listenerCount('beforeExit'));
await p.stop();
console.log('stopped', fs.existsSync(dir));

// second cluster: leave it running and exit, the exit hook must stop it
const q = await startEmbeddedPostgres({ dataDir: fs.mkdtempSync('/tmp/rc-pg-'), persistent: false });
console.log('second on', q.port, 'exiting without stop');
process.exitCode = 3;
