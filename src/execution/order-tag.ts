/**
 * The tag an order carries, derived from its signal: Kite allows at most 20 alphanumerics, and has no
 * idempotency key, so the tag is how an order whose placement went unanswered is found again before a
 * retry (and at start-up) instead of being placed twice. 'ap' and the first 18 hex digits of the signal id: 66 bits vary
 * (the signal ids are SHA-256 derived), so two signals of a day never share one.
 */
export function orderTag(signalId: string): string {
  return `ap${signalId.replace(/-/g, '').slice(0, 18)}`;
}

/** Whether a tag is one this system makes (an order without one was placed outside it). */
export function isOurTag(tag: string | null | undefined): tag is string {
  return !!tag && /^ap[0-9a-f]{18}$/.test(tag);
}
