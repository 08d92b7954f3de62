import { SetMetadata } from '@nestjs/common';
import type { Scope } from './tenant';

export const REQUIRED_SCOPES = 'bgw:required-scopes';

/** The scopes a key needs for this route (all of them). */
export const RequireScopes = (...scopes: Scope[]) => SetMetadata(REQUIRED_SCOPES, scopes);
