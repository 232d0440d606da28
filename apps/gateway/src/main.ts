import 'reflect-metadata';
import { runFromEnvironment, systemClock } from '@arbiter/platform';
import { createGateway } from './gateway';

void runFromEnvironment((config) => createGateway(config, { clock: systemClock }), process.env);
