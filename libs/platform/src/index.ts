export * from './config';
export * from './database';
export * from './database.module';
export * from './sql-health';
export * from './platform.module';
export * from './bootstrap';
export * from './clock';
export * from './backoff';
