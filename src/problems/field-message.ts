import type { ValidationError } from '@nestjs/common';
import { registerDecorator, type ValidationOptions } from 'class-validator';
import type { FieldError } from './problem-details';

/**
 * A constraint message that names a place inside the property it is about (`attachments` →
 * `attachments.1.url`). class-validator reports one message per constraint under the property's
 * path; a validator of a whole array can say which item is wrong this way, and the ValidationPipe's
 * exceptionFactory (app.setup.ts) turns it back into that path with flattenValidationErrors.
 */
const MARK = '\u0000';

export function messageAt(subPath: string, message: string): string {
  return `${MARK}${subPath}${MARK}${message}`;
}

/** The sub-path and message of a `messageAt` message; other messages have no sub-path. */
export function readMessageAt(message: string): { subPath?: string; message: string } {
  if (!message.startsWith(MARK)) return { message };
  const end = message.indexOf(MARK, 1);
  return { subPath: message.slice(1, end), message: message.slice(end + 1) };
}

/** class-validator's tree as `{ path, message }` per broken rule, with dotted paths. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([rule, constraint]) => {
      if (rule === 'whitelistValidation') return { path, message: 'is not a known field' };
      const { subPath, message } = readMessageAt(constraint);
      return { path: subPath ? `${path}.${subPath}` : path, message };
    });
    return [...own, ...flattenValidationErrors(error.children ?? [], path)];
  });
}

/**
 * A property decorator from a check that answers why a value is wrong (or undefined); the answer
 * may be a `messageAt` to name a place inside the value.
 */
export function checkDecorator(name: string, problemOf: (value: unknown) => string | undefined) {
  return (options?: ValidationOptions): PropertyDecorator =>
    (target: object, propertyName: string | symbol) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: propertyName as string,
        options: { message: ({ value }) => problemOf(value) ?? '', ...options },
        validator: { validate: (value: unknown) => problemOf(value) === undefined },
      });
}
