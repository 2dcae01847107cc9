/**
 * What a strategy holds, as it should decide from: filled quantity plus its signals still in flight (sent,
 * not yet filled, rejected or failed), per instrument. A signal's chain id (its paper event's id, the
 * correlation id of everything it causes) ties the outcome back to it. A rejected or failed signal is
 * taken back, so a long-only strategy whose entry was refused never believes it is long.
 *
 * The same whatever order it hears things in: rebuilt at a start by reading the log (signals sent and
 * outcomes, topic by topic), an outcome can come before its signal; a chain that has ended is never in
 * flight again, and each fill counts once (by broker order id and fill id). Lives outside the strategy
 * actor: a restart of the actor, or the strategy moving to this instance, must not make it forget.
 */
/** A ledger as plain data, to hand to another thread (a worker that runs the strategy). */
export interface LedgerSnapshot {
  readonly applied: readonly string[];
  readonly settled: readonly string[];
  readonly held: ReadonlyArray<readonly [number, number]>;
  readonly inFlight: ReadonlyArray<readonly [string, { readonly token: number; readonly quantity: number }]>;
  readonly causes: readonly string[];
}

export class StrategyLedger {
  /** Fills applied, by broker order id and fill id: a redelivered fill changes nothing. */
  private applied: Set<string> | undefined;
  /** Chains that have ended (filled, rejected, failed). */
  private settled: Set<string> | undefined;
  // Made on first use: most of a thousand strategies hold nothing most of the time.
  private held: Map<number, number> | undefined;
  private inFlight: Map<string, { token: number; quantity: number }> | undefined;
  /** The ticks (envelope ids) its signals were made on: where a strategy taken over had got to. */
  private causes: Set<string> | undefined;

  /** Net quantity, in flight included. */
  position(token: number): number {
    return this.held?.get(token) ?? 0;
  }

  /** Every instrument with a non-zero position. */
  positions(): Array<[number, number]> {
    return [...(this.held ?? [])].filter(([, q]) => q !== 0);
  }

  /** A signal was sent: `quantity` positive to buy, negative to sell. Heard twice, counted once. */
  sent(chainId: string, token: number, quantity: number): void {
    if (this.settled?.has(chainId) || this.inFlight?.has(chainId)) return;
    (this.inFlight ??= new Map()).set(chainId, { token, quantity });
    this.add(token, quantity);
  }

  /** Ends a chain; what it had in flight, if it was. */
  private settle(chainId: string): { token: number; quantity: number } | undefined {
    (this.settled ??= new Set()).add(chainId);
    const sent = this.inFlight?.get(chainId);
    if (!sent) return undefined;
    this.inFlight!.delete(chainId);
    return sent;
  }

  /**
   * A fill of the chain (or of one this process never saw sent: read back from the log), once per
   * `fillKey` (broker order id and fill id).
   */
  filled(chainId: string, token: number, quantity: number, fillKey: string): void {
    const applied = (this.applied ??= new Set());
    if (applied.has(fillKey)) return;
    applied.add(fillKey);
    const sent = this.settle(chainId);
    this.add(token, quantity - (sent?.quantity ?? 0));
  }

  /** A signal of the strategy was made on this tick (read back from the log). */
  madeOn(tickId: string): void {
    (this.causes ??= new Set()).add(tickId);
  }

  /** Whether a signal of the strategy on the log was made on this tick. */
  signalledOn(tickId: string): boolean {
    return this.causes?.has(tickId) ?? false;
  }

  /** The chain ended without a fill (rejected by risk, or the order failed): take the signal back. */
  refused(chainId: string): void {
    if (this.settled?.has(chainId)) return;
    const sent = this.settle(chainId);
    if (sent) this.add(sent.token, -sent.quantity);
  }

  snapshot(): LedgerSnapshot {
    return { applied: [...(this.applied ?? [])], settled: [...(this.settled ?? [])], held: [...(this.held ?? [])], inFlight: [...(this.inFlight ?? [])], causes: [...(this.causes ?? [])] };
  }

  static from(s: LedgerSnapshot): StrategyLedger {
    const l = new StrategyLedger();
    if (s.applied.length > 0) l.applied = new Set(s.applied);
    if (s.settled.length > 0) l.settled = new Set(s.settled);
    if (s.held.length > 0) l.held = new Map(s.held);
    if (s.inFlight.length > 0) l.inFlight = new Map(s.inFlight);
    if (s.causes.length > 0) l.causes = new Set(s.causes);
    return l;
  }

  get pending(): number {
    return this.inFlight?.size ?? 0;
  }

  private add(token: number, quantity: number): void {
    if (quantity === 0) return;
    const held = (this.held ??= new Map());
    held.set(token, (held.get(token) ?? 0) + quantity);
  }
}
