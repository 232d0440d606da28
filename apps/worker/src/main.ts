import 'reflect-metadata';
import { createApp, runFromEnvironment } from '@arbiter/platform';
import { WorkerModule } from './worker.module';

void runFromEnvironment((config) => createApp(WorkerModule.forRoot(config)), process.env);
