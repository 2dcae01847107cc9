import type { Headers, OutRecord } from '../bus/transport.ts';
import { encode } from './codec.ts';
import type { Envelope } from './envelope.ts';

/**
 * An outgoing event as a record. Its bytes are encoded on first read, which Kafka does and the
 * in-process bus never does (it hands consumers the event itself), so embedded mode pays no JSON.
 */
export class EventRecord implements OutRecord {
  readonly topic: string;
  readonly key: string;
  readonly headers: Headers;
  readonly event: Envelope;
  private bytes: Buffer | undefined;

  constructor(topic: string, event: Envelope, headers: Headers) {
    this.topic = topic;
    this.key = event.key;
    this.headers = headers;
    this.event = event;
  }

  get value(): Buffer {
    return (this.bytes ??= encode(this.event));
  }
}
