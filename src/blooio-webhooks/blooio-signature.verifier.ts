import { Inject, Injectable } from '@nestjs/common';
import type { Secret } from '../common/secret';
import { eventsConfig, type EventsConfig } from '../config/events.config';
import { type SignatureCheck, verifyBlooioSignature } from './blooio-signature';

/** `verifyBlooioSignature` with WEBHOOK_TOLERANCE_SECONDS and the clock filled in. */
@Injectable()
export class BlooioSignatureVerifier {
  constructor(@Inject(eventsConfig.KEY) private readonly config: EventsConfig) {}

  verify(
    header: string | readonly string[] | undefined,
    rawBody: Buffer,
    secrets: readonly Secret[],
    nowMs: number = Date.now(),
  ): SignatureCheck {
    return verifyBlooioSignature({
      header,
      rawBody,
      secrets,
      nowMs,
      toleranceSeconds: this.config.webhookToleranceSeconds,
    });
  }
}
