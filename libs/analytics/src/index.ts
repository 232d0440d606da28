/**
 * Analytics feeds: dispute events for analysts (personal content withheld, people
 * pseudonymised) or the platform (personal content withheld, real ids), read through the event
 * store port. See README.md.
 */
export * from './pseudonyms';
export * from './feed-event';
export * from './event-feed';
export * from './analytics.module';
export * from './nats';
export * from './cli/events';
