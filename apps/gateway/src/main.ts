import 'reflect-metadata';
import { runFromEnvironment, startTracing, systemClock } from '@arbiter/platform';
import { createGateway } from './gateway';

// First: every span of the start-up and of the work after it goes to the configured exporter
// (nothing when no OTLP endpoint is set; flushed by PlatformModule on shutdown).
startTracing(process.env);
void runFromEnvironment((config) => createGateway(config, { clock: systemClock }), process.env);
