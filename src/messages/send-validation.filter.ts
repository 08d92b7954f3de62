import { Catch, type ArgumentsHost } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ProblemDetailsFilter } from '../problems/problem-details.filter';
import { ProblemException } from '../problems/problem.exception';
import { MAX_RECIPIENTS_LIMIT } from '../tenants/tenant';
import { normaliseRecipients } from './recipients';

/**
 * Recipients are checked with the tenant's rules (defaultCountry, maxRecipients), after the
 * ValidationPipe has checked every field. When a field fails, the recipients' own errors join the
 * same 400, so that a caller with several mistakes fixes them in one round trip. Only on that
 * failure path; a valid send checks its recipients once, in the service.
 */
@Catch(ProblemException)
export class SendValidationFilter extends ProblemDetailsFilter {
  override catch(exception: ProblemException, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    super.catch(withRecipientErrors(exception, request), host);
  }
}

function withRecipientErrors(
  exception: ProblemException,
  request: FastifyRequest,
): ProblemException {
  const { errors } = exception.problem;
  const tenant = request.principal?.tenant;
  const recipients = (request.body as { recipients?: unknown } | undefined)?.recipients;
  if (
    exception.code !== 'validation_failed' ||
    !errors ||
    !tenant ||
    !Array.isArray(recipients) ||
    // The DTO refused the list itself (past the cap): nothing more to say of its items.
    recipients.length > MAX_RECIPIENTS_LIMIT ||
    // Already checked: the service's own refusal, with the tenant's rules.
    errors.some(({ path }) => path === 'recipients' || path.startsWith('recipients.'))
  ) {
    return exception;
  }
  const checked = normaliseRecipients(recipients, {
    defaultCountry: tenant.defaultCountry,
    maxRecipients: tenant.maxRecipients,
  });
  return checked.ok ? exception : ProblemException.validation([...checked.errors, ...errors]);
}
