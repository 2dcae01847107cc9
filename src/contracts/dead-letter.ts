/**
 * Headers on a dead-letter record, named after Spring Kafka's (`kafka_dlt-*`) where it has one, so
 * existing DLQ tooling reads them; `alpha_panda_dlt-*` for what it has no name for. The record keeps
 * the original key, value and headers.
 */
export const DLT = {
  originalTopic: 'kafka_dlt-original-topic',
  originalPartition: 'kafka_dlt-original-partition',
  originalOffset: 'kafka_dlt-original-offset',
  originalTimestamp: 'kafka_dlt-original-timestamp',
  originalGroup: 'kafka_dlt-original-consumer-group',
  exceptionClass: 'kafka_dlt-exception-fqcn',
  exceptionMessage: 'kafka_dlt-exception-message',
  exceptionStacktrace: 'kafka_dlt-exception-stacktrace',
  retriable: 'alpha_panda_dlt-exception-retriable',
  decodeKind: 'alpha_panda_dlt-decode-kind',
  decodePath: 'alpha_panda_dlt-decode-path',
  actorPath: 'alpha_panda_dlt-actor-path',
  attempts: 'alpha_panda_dlt-attempts',
  failedAt: 'alpha_panda_dlt-failed-at',
} as const;
