import { TENANT_ID_PATTERN } from '../../tenants/tenant';

/** A webhook endpoint's id (the tenant file's `webhooks[].id`, unique in its tenant). */
export const ENDPOINT_ID_PATTERN = TENANT_ID_PATTERN;

export const ENDPOINT_ID_RULE = 'must be 1 to 63 of a-z 0-9 -, starting with a letter or digit';
