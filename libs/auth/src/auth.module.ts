import { DynamicModule, FactoryProvider, Module } from '@nestjs/common';
import { AuthGuard } from './auth.guard';
import { AuthOptions, TokenVerifier } from './token-verifier';

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

export interface AuthModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: FactoryProvider['inject'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest injects by position
  useFactory: (...args: any[]) => AuthOptions | Promise<AuthOptions>;
}

/**
 * Token verification and the `AuthGuard`. The app registers the guard globally (APP_GUARD) so it
 * can order it before the rate limiter, which tracks callers by the actor it establishes.
 */
@Module({})
export class AuthModule {
  static forRootAsync(options: AuthModuleAsyncOptions): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        { provide: AUTH_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        {
          provide: TokenVerifier,
          inject: [AUTH_OPTIONS],
          useFactory: (auth: AuthOptions) => new TokenVerifier(auth),
        },
        AuthGuard,
      ],
      exports: [TokenVerifier, AuthGuard, AUTH_OPTIONS],
    };
  }
}
