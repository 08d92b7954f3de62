/**
 * A constraint message that names a place inside the property it is about (`attachments` →
 * `attachments.1.url`). class-validator reports one message per constraint under the property's
 * path; a validator of a whole array can say which item is wrong this way, and the ValidationPipe's
 * exceptionFactory (app.setup.ts) turns it back into that path.
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
