/**
 * ISO-8601 times on the hot path. `new Date(ms).toISOString()` allocates a Date and formats twenty-four
 * characters (three quarters of making an event, profiled); `Date.parse` of the same string again and
 * again is as wasteful. Events stamped in one millisecond share one string, and a run of ticks stamped
 * at one exchange time shares one parse, so a one-entry memo each removes nearly all of that work.
 */

let lastMs = Number.NaN;
let lastIso = '';

/** `new Date(ms).toISOString()`, formatted once per millisecond. */
export function isoAt(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

let parsedIso = '';
let parsedMs = Number.NaN;

/** `Date.parse(iso)`, parsed once per distinct string in a row. */
export function msOf(iso: string): number {
  if (iso !== parsedIso) {
    parsedMs = Date.parse(iso);
    parsedIso = iso;
  }
  return parsedMs;
}
