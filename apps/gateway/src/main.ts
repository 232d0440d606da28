import 'reflect-metadata';
import { runFromEnvironment } from '@arbiter/platform';
import { createGateway } from './gateway';

void runFromEnvironment(createGateway, process.env);
