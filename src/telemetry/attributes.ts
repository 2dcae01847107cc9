/**
 * Span attribute names: OpenTelemetry's messaging conventions (semconv 1.27+, as the Kafka
 * instrumentations use them) and the system's own `alpha_panda.*`. Written out here rather than taken
 * from @opentelemetry/semantic-conventions, whose incubating entry point (where the messaging names still
 * live) is not a stable API; these are the wire names a tracing backend indexes on.
 */
export const MESSAGING_SYSTEM = 'messaging.system';
export const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
export const MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
export const MESSAGING_KAFKA_MESSAGE_KEY = 'messaging.kafka.message.key';
export const MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset';
export const ERROR_TYPE = 'error.type';

/** Both buses speak Kafka's model (topics, partitions, keys, offsets, groups): the in-process one is its stand-in. */
export const KAFKA = 'kafka';

export const EVENT_TYPE = 'alpha_panda.event.type';
export const EVENT_ID = 'alpha_panda.event.id';
export const CORRELATION_ID = 'alpha_panda.correlation_id';
export const BROKER = 'alpha_panda.broker';
export const SOURCE = 'alpha_panda.source';
export const ACTOR = 'alpha_panda.actor';
/** On the risk checker's span: validated | rejected, and the rejection's reason code. */
export const RISK_DECISION = 'alpha_panda.risk.decision';
export const RISK_REASON_CODE = 'alpha_panda.risk.reason_code';

/** Resource attributes (stable semconv). */
export const SERVICE_NAME = 'service.name';
export const SERVICE_VERSION = 'service.version';
export const SERVICE_INSTANCE_ID = 'service.instance.id';
