/** Process entry of the control plane: `node --import tsx control-plane/src/main.ts`. */
import './telemetry/register';
import { startControlPlane } from './app';
import { loadConfigFromEnv } from './config';

const controlPlane = await startControlPlane(loadConfigFromEnv(), {
  logger: process.env.LOG_REQUESTS === 'true',
});
console.log(`control plane listening on ${controlPlane.url}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    controlPlane.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('error while stopping', error);
        process.exit(1);
      },
    );
  });
}
