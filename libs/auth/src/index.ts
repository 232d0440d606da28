export * from './actor';
export * from './token-verifier';
export * from './development-token';
export * from './request-context';
export * from './decorators';
export * from './auth.guard';
export * from './auth.module';
