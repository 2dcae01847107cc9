import { request, type ClientRequest } from 'node:http';
import { FINAL_STATUSES, type KiteOrder } from './orders.ts';
import { sha256 } from './sessions.ts';

/** An order update as Kite posts it (tests/fixtures/kite/postback.json) and sends it on the ticker. */
export type Postback = Omit<KiteOrder, 'account_id' | 'modified' | 'validity_ttl'> & { user_id: string; unfilled_quantity: number; app_id: number; checksum: string };

const APP_ID = 1234;
const DELIVERY_TIMEOUT_MS = 2000;

/** `event` is the status the update reports: the order's own, or UPDATE for a partial fill or a modification. */
export function postback(order: KiteOrder, event: string, userId: string, apiSecret: string): Postback {
  const { account_id: _account, modified: _modified, validity_ttl: _ttl, ...fields } = order;
  return {
    user_id: userId,
    unfilled_quantity: FINAL_STATUSES.includes(order.status) ? 0 : order.pending_quantity,
    app_id: APP_ID,
    checksum: sha256(order.order_id + order.order_timestamp + apiSecret),
    ...fields,
    status: event,
  };
}

/**
 * POSTs updates as JSON to one URL, one at a time so they arrive in the order they happened. A failed or
 * slow delivery is dropped silently: the receiver's availability is the test's business.
 */
export class PostbackSender {
  private readonly url: string;
  private queue: Promise<void> = Promise.resolve();
  private inFlight: ClientRequest | undefined;
  private closed = false;

  constructor(url: string) {
    this.url = url;
  }

  send(p: Postback): void {
    const body = JSON.stringify(p);
    this.queue = this.queue.then(() => (this.closed ? undefined : this.deliver(body)));
  }

  close(): void {
    this.closed = true;
    this.inFlight?.destroy();
  }

  private deliver(body: string): Promise<void> {
    return new Promise((resolve) => {
      const req = request(this.url, {
        method: 'POST',
        agent: false,
        timeout: DELIVERY_TIMEOUT_MS,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      this.inFlight = req;
      const done = (): void => {
        this.inFlight = undefined;
        resolve();
      };
      req.on('response', (res) => {
        res.resume();
        res.on('end', done);
        res.on('error', done);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', done);
      req.end(body);
    });
  }
}
