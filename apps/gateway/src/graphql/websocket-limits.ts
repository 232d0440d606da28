import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import type { WebSocketServer } from 'ws';

export const WEBSOCKET_LIMITS = Symbol('WEBSOCKET_LIMITS');

/** REQUEST_BODY_LIMIT (`512kb`, `1mb`, `100b`) in bytes. */
export function bodyLimitBytes(limit: string): number {
  const match = /^(\d+)(b|kb|mb)$/i.exec(limit);
  if (!match) throw new Error(`Not a size: ${limit}`);
  const unit = match[2].toLowerCase();
  return Number(match[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}

/**
 * The GraphQL WebSocket server reads frames of up to 100 MiB by default (ws's limit), before
 * anyone is authenticated: four anonymous 16 MiB frames cost 135 MB. Nest creates that server
 * without a way to pass its options, so its `maxPayload` is set here once it exists: a larger
 * frame closes the socket (1009) before it is buffered. The limit is REQUEST_BODY_LIMIT, the
 * same as a POST's. If a Nest upgrade moves the server, start-up fails rather than running
 * unprotected (and the end-to-end test of the limit fails too).
 */
@Injectable()
export class WebSocketLimits implements OnApplicationBootstrap {
  constructor(
    @Inject(ModuleRef) private readonly modules: ModuleRef,
    @Inject(WEBSOCKET_LIMITS) private readonly limits: { maxPayloadBytes: number },
  ) {}

  onApplicationBootstrap(): void {
    const graphql = this.modules.get(GraphQLModule, { strict: false });
    const adapter = graphql.graphQlAdapter as unknown as {
      _subscriptionService?: { wss?: WebSocketServer };
    };
    const wss = adapter._subscriptionService?.wss;
    if (!wss)
      throw new Error('The GraphQL WebSocket server was not found: cannot limit its frames');
    wss.options.maxPayload = this.limits.maxPayloadBytes;
    new Logger('GraphQLWebSocket').debug(`Frames limited to ${this.limits.maxPayloadBytes} bytes`);
  }
}
