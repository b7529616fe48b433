/** Polls `probe` until it gives a truthy value (returned), or fails after `timeoutMs`. */
export async function waitUntil<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 90_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
