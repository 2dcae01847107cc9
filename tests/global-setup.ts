import type { TestProject } from 'vitest/node';
import { startMockBroker, type MockBroker } from './broker/mock-broker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}

let broker: MockBroker | undefined;

/** One Kafka-protocol test broker for the whole run, started here and stopped afterwards. */
export async function setup(project: TestProject): Promise<void> {
  broker = await startMockBroker(1);
  project.provide('kafkaBrokers', broker.bootstrap);
}

export async function teardown(): Promise<void> {
  await broker?.stop();
}
