import 'reflect-metadata';
import { runFromEnvironment, systemClock } from '@arbiter/platform';
import { createWorker } from './worker';

void runFromEnvironment((config) => createWorker(config, { clock: systemClock }), process.env);
