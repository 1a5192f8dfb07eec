/**
 * `tsx ops/bin/ensure-temporal-cli.ts`: find (or build, once) the Temporal CLI and print its path.
 * CI runs it before the tests so the slow first build is its own visible step.
 */
import { resolveTemporalCli } from '../src/temporal-cli';

try {
  const cli = await resolveTemporalCli({ log: (line) => console.error(line) });
  console.log(cli);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
