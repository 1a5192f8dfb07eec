import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';

/** A Temporal client whose calls carry the current trace into the workflow (and on to activities). */
export async function createTemporalClient(options: { address: string; namespace: string }): Promise<Client> {
  const connection = await Connection.connect({ address: options.address });
  return new Client({
    connection,
    namespace: options.namespace,
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
  });
}
