import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';
import { ConfigError } from '../config/env';

type Level = 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal';

/** Nest's boot chatter (one line per module and route): useful when debugging, noise otherwise. */
const BOOT_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
]);

/** Nest's own log calls (boot, lifecycle, filters) through the same pino logger as requests. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    this.write(
      typeof context === 'string' && BOOT_CONTEXTS.has(context) ? 'debug' : 'info',
      message,
      rest,
    );
  }
  error(message: unknown, ...rest: unknown[]): void {
    // A bad setting Nest's boot caught: main.ts prints it as a clean list; its stack is for debugging.
    this.write(message instanceof ConfigError ? 'debug' : 'error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  /** Nest passes the context last; other strings are a message or a stack. */
  private write(level: Level, message: unknown, rest: unknown[]): void {
    const strings = rest.filter((item): item is string => typeof item === 'string');
    const context = strings.length > 0 ? strings[strings.length - 1] : undefined;
    const extra = strings.slice(0, -1);
    if (message instanceof Error) {
      // An error Nest caught (a failed boot): its message is the line's, its stack under err.
      this.logger[level]({ context, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ context, ...message }, extra[0] ?? '');
    } else {
      this.logger[level](
        { context, ...(extra.length > 0 && { stack: extra.join('\n') }) },
        String(message),
      );
    }
  }
}
