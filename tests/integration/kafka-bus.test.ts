import { busContract } from '../contract/bus.contract.ts';

// The same contract, through the real kafkajs client to the Kafka-protocol test broker on loopback.
busContract('kafka');
