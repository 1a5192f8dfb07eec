/**
 * Polls `probe` until it answers something other than undefined; fails after `timeoutMs`.
 * A probe that throws is tried again (fault tests poll through outages) and its last error is
 * named if time runs out; a probe that hangs is cut off when the time is up.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) {
      const because = lastError === null ? '' : ` (last error: ${String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${because}`);
    }
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), left);
    });
    try {
      const value = await Promise.race([Promise.resolve().then(probe), outOfTime]);
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    } finally {
      clearTimeout(timer);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
