import type { ValidationError } from '@nestjs/common';
import { flattenValidationErrors, messageAt, readMessageAt } from './field-message';

const error = (property: string, fields: Partial<ValidationError> = {}): ValidationError => ({
  property,
  children: [],
  ...fields,
});

describe('field messages', () => {
  it('reads back the sub-path a messageAt message names', () => {
    expect(readMessageAt(messageAt('1.url', 'must be https'))).toEqual({
      subPath: '1.url',
      message: 'must be https',
    });
    expect(readMessageAt('must be a string')).toEqual({ message: 'must be a string' });
  });

  it('flattens class-validator errors to dotted paths, sub-paths and unknown fields included', () => {
    const errors = [
      error('text', { constraints: { isString: 'must be a string' } }),
      error('attachments', { constraints: { each: messageAt('1.url', 'must be an https URL') } }),
      error('replyTo', {
        children: [error('extra', { constraints: { whitelistValidation: 'should not exist' } })],
      }),
    ];
    expect(flattenValidationErrors(errors)).toEqual([
      { path: 'text', message: 'must be a string' },
      { path: 'attachments.1.url', message: 'must be an https URL' },
      { path: 'replyTo.extra', message: 'is not a known field' },
    ]);
  });
});
