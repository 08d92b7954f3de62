import { Writable } from 'node:stream';
import pino from 'pino';
import { ConfigError } from '../config/env';
import { PinoNestLogger } from './pino-nest.logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: new PinoNestLogger(pino({ level: 'trace' }, stream)) };
}

describe('PinoNestLogger', () => {
  it('logs an error Nest caught with its message as the line, its stack under err', () => {
    const { lines, logger } = capture();
    logger.error(new TypeError('cannot read x of undefined'), 'ExceptionHandler');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        context: 'ExceptionHandler',
        msg: 'cannot read x of undefined',
        err: expect.objectContaining({ type: 'TypeError', stack: expect.any(String) }),
      }),
    ]);
  });

  it('keeps a config error Nest caught at debug level: main.ts prints its clean list', () => {
    const { lines, logger } = capture();
    logger.error(
      new ConfigError(['PORT: must be a number', 'LOG_LEVEL: unknown']),
      'ExceptionHandler',
    );
    expect(lines).toEqual([
      expect.objectContaining({
        level: 20,
        context: 'ExceptionHandler',
        msg: 'PORT: must be a number\nLOG_LEVEL: unknown',
        err: expect.objectContaining({ type: 'ConfigError', stack: expect.any(String) }),
      }),
    ]);
  });

  it('keeps a string message, its context, and a stack Nest passes before the context', () => {
    const { lines, logger } = capture();
    logger.error('boom', 'Error: boom\n    at x', 'SomeService');
    logger.log('Mapped {/v1/messages, POST} route', 'RouterExplorer');
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'boom',
        context: 'SomeService',
        stack: 'Error: boom\n    at x',
      }),
      expect.objectContaining({ level: 20, context: 'RouterExplorer' }),
    ]);
  });
});
