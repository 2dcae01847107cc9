import { Once } from '../once.ts';

/**
 * What a strategy holds, as it should decide from: filled quantity plus its signals still in flight (sent,
 * not yet filled, rejected or failed), per instrument. A signal's chain id (its paper event's id, the
 * correlation id of everything it causes) ties the outcome back to it. A rejected or failed signal is
 * taken back, so a long-only strategy whose entry was refused never believes it is long. Lives outside the
 * strategy actor: a restart of the actor must not make the strategy forget what it holds.
 */
export class StrategyLedger {
  /** Fills applied, by broker order id and fill id: a redelivered fill changes nothing. */
  private applied: Once | undefined;
  // Made on first use: most of a thousand strategies hold nothing most of the time.
  private held: Map<number, number> | undefined;
  private inFlight: Map<string, { token: number; quantity: number }> | undefined;

  /** Net quantity, in flight included. */
  position(token: number): number {
    return this.held?.get(token) ?? 0;
  }

  /** A signal was sent: `quantity` positive to buy, negative to sell. */
  sent(chainId: string, token: number, quantity: number): void {
    (this.inFlight ??= new Map()).set(chainId, { token, quantity });
    this.add(token, quantity);
  }

  private settle(chainId: string): { token: number; quantity: number } | undefined {
    const sent = this.inFlight?.get(chainId);
    if (!sent) return undefined;
    this.inFlight!.delete(chainId);
    return sent;
  }

  /**
   * A fill of the chain (or of one this process never sent: a fill read back from the log), once per
   * `fillKey` (broker order id and fill id).
   */
  filled(chainId: string, token: number, quantity: number, fillKey: string): void {
    if (!(this.applied ??= new Once(10_000)).first(fillKey)) return;
    const sent = this.settle(chainId);
    this.add(token, quantity - (sent?.quantity ?? 0));
  }

  /** The chain ended without a fill (rejected by risk, or the order failed): take the signal back. */
  refused(chainId: string): void {
    const sent = this.settle(chainId);
    if (sent) this.add(sent.token, -sent.quantity);
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
