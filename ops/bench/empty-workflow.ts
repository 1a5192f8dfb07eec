/**
 * The baseline of `npm run bench:mitigation`: a workflow that does nothing, so one round trip
 * of it (start → one workflow task on a worker → completed → result) is what Temporal alone
 * costs on this server. Bundled by the bench's own in-process worker on its own task queue;
 * not part of the product's workflows.
 */
export async function benchEmptyWorkflow(): Promise<void> {
  return undefined;
}
