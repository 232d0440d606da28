import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { GqlArgumentsHost, GqlContextType } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';
import { GraphQLContext, REQUEST_CONTEXT, RequestContext } from '@arbiter/auth';
import { logServerFailure, toApiError } from './error-mapping';

/**
 * Every exception thrown by a resolver, controller, guard or pipe passes here once: GraphQL gets a
 * `GraphQLError` with `extensions.code`, HTTP a JSON body `{ statusCode, code, message }`.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType<GqlContextType>() === 'graphql') {
      const context = GqlArgumentsHost.create(host).getContext<GraphQLContext>();
      const requestContext = context?.requestContext;
      const mapped = toApiError(exception, requestContext?.actor);
      if (mapped.unexpected) this.logUnexpected(exception, mapped.code, requestContext);
      return new GraphQLError(mapped.message, {
        // Carries the exception's stack, which GRAPHQL_DEBUG shows; the code and message stay ours.
        originalError: exception instanceof Error ? exception : undefined,
        extensions: { ...mapped.extensions, code: mapped.code },
      });
    }
    const http = host.switchToHttp();
    const req = http.getRequest();
    const requestContext: RequestContext | undefined = req?.[REQUEST_CONTEXT];
    const mapped = toApiError(exception, requestContext?.actor);
    if (mapped.unexpected)
      this.logUnexpected(
        exception,
        mapped.code,
        requestContext ?? { correlationId: String(req?.id ?? '') },
      );
    const res = http.getResponse();
    if (res.headersSent) return undefined;
    res.status(mapped.httpStatus).json({
      statusCode: mapped.httpStatus,
      code: mapped.code,
      message: mapped.message,
      ...mapped.extensions,
    });
    return undefined;
  }

  private logUnexpected(
    exception: unknown,
    code: string,
    requestContext: Pick<RequestContext, 'correlationId'> | undefined,
  ): void {
    logServerFailure(this.logger, code, exception, requestContext?.correlationId ?? 'none');
  }
}
