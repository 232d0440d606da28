export * from './nats-settings';
export * from './nats-link';
export * from './nats-forwarder';
export * from './nats-metrics';
export * from './nats-health';
