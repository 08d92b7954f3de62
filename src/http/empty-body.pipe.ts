import { Injectable, type PipeTransform } from '@nestjs/common';
import { ProblemException } from '../problems/problem.exception';

/**
 * The body of a route that takes none: nothing, or an empty JSON object. A field is refused by
 * name (400), as an unknown field of any body is, rather than ignored without a word.
 */
@Injectable()
export class EmptyBodyPipe implements PipeTransform<unknown, undefined> {
  transform(value: unknown): undefined {
    if (value === undefined || value === null) return undefined;
    const field = Object.keys(value)[0];
    if (field === undefined) return undefined;
    throw ProblemException.validation([
      { path: field, message: 'is not a known field: this route takes no body' },
    ]);
  }
}
