#!/usr/bin/env node
/**
 * `alpha-panda`. Signals are taken first: loading the commands (kafkajs, MikroORM, OpenTelemetry) takes
 * seconds, and a Ctrl-C in that time must stop the command cleanly too, not kill it unannounced.
 */
import { Signals } from './signals.ts';

const signals = new Signals(process);
const { main } = await import('./program.ts');
await main(signals);
