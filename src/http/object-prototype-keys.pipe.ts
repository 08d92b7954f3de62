import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import type { FieldError } from '../problems/problem-details';
import { ProblemException } from '../problems/problem.exception';

/**
 * Refuses body keys that name a property of `Object.prototype` (`toString`, `constructor`,
 * `valueOf`…), at any depth. class-transformer skips such a key when it builds the DTO (the new
 * instance already has a function there), so the ValidationPipe's `forbidNonWhitelisted` never
 * sees it and the field would be dropped without a word. Runs before the ValidationPipe.
 * (`__proto__` never gets this far: the JSON parser refuses it, naming it with this module's
 * `prototypeKeyErrors`.)
 */
@Injectable()
export class ObjectPrototypeKeysPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body') return value;
    const errors = prototypeKeyErrors(value);
    if (errors.length > 0) throw ProblemException.validation(errors);
    return value;
  }
}

/** Every key of `value`, at any depth, that names an `Object.prototype` property, with its path. */
export function prototypeKeyErrors(value: unknown): FieldError[] {
  const errors: FieldError[] = [];
  collectPrototypeKeys(value, '', errors);
  return errors;
}

function collectPrototypeKeys(value: unknown, path: string, errors: FieldError[]): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => collectPrototypeKeys(item, join(path, String(index)), errors));
    return;
  }
  for (const key of Object.keys(value)) {
    const keyPath = join(path, key);
    if (key in Object.prototype) errors.push({ path: keyPath, message: 'is not a known field' });
    else collectPrototypeKeys((value as Record<string, unknown>)[key], keyPath, errors);
  }
}

const join = (parent: string, key: string) => (parent ? `${parent}.${key}` : key);
