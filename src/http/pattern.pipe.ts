import type { PipeTransform } from '@nestjs/common';
import { ProblemException } from '../problems/problem.exception';

/**
 * A route parameter or query field that must match `pattern`: the value as it is, else a 400
 * naming `field`. Checked before anything is looked up, so a malformed id costs nothing.
 */
export class PatternPipe implements PipeTransform<unknown, string> {
  constructor(
    private readonly field: string,
    private readonly pattern: RegExp,
    private readonly rule: string,
  ) {}

  transform(value: unknown): string {
    if (typeof value === 'string' && this.pattern.test(value)) return value;
    throw ProblemException.validation([{ path: this.field, message: this.rule }]);
  }
}
