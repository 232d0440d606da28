import { ArgumentsHost, Logger } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { DomainError } from '@arbiter/disputes';
import { REQUEST_CONTEXT } from '@arbiter/auth';
import { ApiExceptionFilter } from './api-exception.filter';

const requestContext = { correlationId: 'corr-7', actor: { id: 'b-1', role: 'buyer' as const } };

function graphqlHost(): ArgumentsHost {
  const args = [{}, {}, { requestContext }, {}];
  return {
    getType: () => 'graphql',
    getArgs: () => args,
    getArgByIndex: (i: number) => args[i],
  } as unknown as ArgumentsHost;
}

function httpHost() {
  const res = { headersSent: false, status: jest.fn().mockReturnThis(), json: jest.fn() };
  const req = { id: 'corr-8', [REQUEST_CONTEXT]: { ...requestContext, correlationId: 'corr-8' } };
  const host = {
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
  } as unknown as ArgumentsHost;
  return { host, res };
}

describe('ApiExceptionFilter', () => {
  let logged: jest.SpyInstance;
  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => logged.mockRestore());

  it('turns a domain error into a GraphQL error with its code', () => {
    const error = new ApiExceptionFilter().catch(
      new DomainError('ESCALATION_TOO_EARLY', 'Too early'),
      graphqlHost(),
    );
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).toJSON()).toEqual({
      message: 'Too early',
      extensions: { code: 'ESCALATION_TOO_EARLY' },
    });
    expect(logged).not.toHaveBeenCalled();
  });

  it('hides an unexpected error and logs it with the correlation id', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'buyerId')");
    const error = new ApiExceptionFilter().catch(bug, graphqlHost()) as GraphQLError;
    expect(error.toJSON()).toEqual({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(logged).toHaveBeenCalledWith(
      { err: bug, correlationId: 'corr-7' },
      expect.stringContaining('corr-7'),
    );
  });

  it('answers HTTP with a JSON body', () => {
    const { host, res } = httpHost();
    new ApiExceptionFilter().catch(new Error('disk on fire'), host);
    expect(res.status).toHaveBeenCalledWith(500);
    expect(res.json).toHaveBeenCalledWith({
      statusCode: 500,
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Internal server error',
    });
    expect(logged).toHaveBeenCalledWith(
      expect.objectContaining({ correlationId: 'corr-8' }),
      expect.any(String),
    );
  });
});
