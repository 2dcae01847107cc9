import { StartAborted, TransportError } from '../errors.ts';

/** Waits for `p` unless the start is aborted first (Ctrl-C). */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined, where: string): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new StartAborted(where));
  return Promise.race([p, new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new StartAborted(where)), { once: true }))]);
}

/**
 * Tries a broker request until it answers (an outage is waited out, as the consumers wait it out) or
 * the start is aborted (Ctrl-C, or the broker unreachable past kafka.unreachableExitMs).
 */
export async function persist<T>(op: () => Promise<T>, signal: AbortSignal | undefined, where: string): Promise<T> {
  for (;;) {
    if (signal?.aborted) throw new StartAborted(where);
    const attempt = op();
    const aborted = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(new StartAborted(where)), { once: true }));
    attempt.catch(() => undefined);
    try {
      return await Promise.race([attempt, aborted]);
    } catch (e) {
      if (e instanceof StartAborted || !(e instanceof TransportError) || !e.retriable) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
