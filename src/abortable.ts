/**
 * Waits until `start` calls `done`, or until `signal` aborts, whichever is first. `start` may return
 * what undoes it (a timer to cancel), run on an abort. The abort listener goes with the wait it belongs
 * to: a long replay waits thousands of times on one signal.
 */
export function untilDoneOrAborted(signal: AbortSignal | undefined, start: (done: () => void) => (() => void) | void): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let undo: (() => void) | void = undefined;
    const abort = () => {
      undo?.();
      resolve();
    };
    signal?.addEventListener('abort', abort, { once: true });
    undo = start(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    });
  });
}
