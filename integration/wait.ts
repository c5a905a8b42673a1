// Polling helpers for tests: wait until a condition holds (or a value shows up), or fail after a time.

/** Resolves once `cond` is true; throws "condition not met in time" after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 20_000, stepMs = 50): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Resolves with the first value `fn` returns that is not undefined; throws after `ms`. */
export async function untilValue<T>(
  fn: () => T | undefined | Promise<T | undefined>,
  ms = 15_000,
  stepMs = 100,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
