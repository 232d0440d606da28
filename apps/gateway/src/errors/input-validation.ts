import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';

export interface FieldViolation {
  /** Dotted path from the argument (GraphQL) or body field (HTTP), e.g. `input.amount.currency`. */
  path: string;
  /** class-validator's constraint name → message, e.g. `{ isPositive: 'amountMinor must be a positive number' }`. */
  constraints: Record<string, string>;
}

/** Input refused by validation; the edge answers BAD_USER_INPUT with `fields`. */
export class InputValidationError extends Error {
  constructor(readonly fields: FieldViolation[]) {
    super(`Invalid input: ${fields.map((field) => field.path).join(', ')}`);
    this.name = 'InputValidationError';
  }

  static fromValidationErrors(errors: ValidationError[], prefix?: string): InputValidationError {
    return new InputValidationError(flatten(errors, prefix ? [prefix] : []));
  }
}

function flatten(errors: ValidationError[], parents: string[]): FieldViolation[] {
  return errors.flatMap((error) => {
    const path = [...parents, error.property];
    const own = error.constraints ? [{ path: path.join('.'), constraints: error.constraints }] : [];
    return [...own, ...flatten(error.children ?? [], path)];
  });
}

/**
 * The global pipe: whitelist, forbid unknown properties, transform to the DTO classes. Violations
 * carry the argument name in their path so a client can point at the offending field.
 */
@Injectable()
export class InputValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => InputValidationError.fromValidationErrors(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    try {
      return await super.transform(value, metadata);
    } catch (error) {
      if (error instanceof InputValidationError && typeof metadata.data === 'string') {
        throw new InputValidationError(
          error.fields.map((field) => ({ ...field, path: `${metadata.data}.${field.path}` })),
        );
      }
      throw error;
    }
  }
}
