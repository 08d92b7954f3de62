import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import {
  E164,
  EMAIL,
  GROUP_ID,
  MAX_EMAIL_LENGTH,
  PHONE_CHARACTERS,
} from '../common/address-patterns';
import type { FieldError } from '../problems/problem-details';

export type RecipientKind = 'phone' | 'email' | 'group';

export interface Recipient {
  kind: RecipientKind;
  /** Canonical form: E.164 for phones, lower-case for emails, as given for groups. */
  value: string;
}

export interface RecipientRules {
  defaultCountry?: CountryCode;
  maxRecipients: number;
}

export type RecipientsResult =
  { ok: true; recipients: Recipient[]; chatId: string } | { ok: false; errors: FieldError[] };

const FORM_MESSAGE = 'must be an E.164 number, an email or a group id';

/** One recipient in canonical form, or the reason it is not one. */
export function normaliseRecipient(
  input: string,
  defaultCountry?: CountryCode,
): Recipient | { error: string } {
  if (GROUP_ID.test(input)) return { kind: 'group', value: input };
  return normaliseAddress(input, defaultCountry, FORM_MESSAGE);
}

/** A participant's phone or email (what a part's `mention` names), in canonical form. */
export function normaliseParticipant(
  input: string,
  defaultCountry?: CountryCode,
): Recipient | { error: string } {
  return normaliseAddress(input, defaultCountry, 'must be an E.164 number or an email');
}

function normaliseAddress(
  input: string,
  defaultCountry: CountryCode | undefined,
  formMessage: string,
): Recipient | { error: string } {
  if (input.includes('@')) {
    const email = input.toLowerCase();
    return email.length <= MAX_EMAIL_LENGTH && EMAIL.test(email)
      ? { kind: 'email', value: email }
      : { error: formMessage };
  }

  if (!PHONE_CHARACTERS.test(input)) return { error: formMessage };
  const international = input.startsWith('+');
  if (!international && !defaultCountry) {
    return { error: `${formMessage} (national numbers need the tenant's defaultCountry)` };
  }
  const phone = parsePhoneNumberFromString(input, international ? undefined : defaultCountry);
  // isPossible (length per country) rather than isValid: test ranges such as +1 555 must pass.
  if (!phone?.isPossible() || !E164.test(phone.number)) {
    return {
      error: `${formMessage}${international ? '' : ` (not a possible ${defaultCountry} number)`}`,
    };
  }
  return { kind: 'phone', value: phone.number };
}

/**
 * Validates and normalises the `recipients` field and builds Blooio's chatId: one recipient as it
 * is, several phones/emails joined with `,`. Duplicates (after normalisation) are dropped, first
 * seen order kept, before the count is checked. A group id must be the only recipient.
 */
export function normaliseRecipients(
  inputs: readonly unknown[],
  rules: RecipientRules,
): RecipientsResult {
  const errors: FieldError[] = [];
  const recipients: Recipient[] = [];
  const seen = new Set<string>();
  inputs.forEach((input, index) => {
    if (typeof input !== 'string') {
      errors.push({ path: `recipients.${index}`, message: 'must be a string' });
      return;
    }
    const result = normaliseRecipient(input, rules.defaultCountry);
    if ('error' in result) {
      errors.push({ path: `recipients.${index}`, message: result.error });
    } else if (!seen.has(result.value)) {
      seen.add(result.value);
      recipients.push(result);
    }
  });
  // Counted once duplicates are gone: three spellings of one number are one recipient.
  if (recipients.length > rules.maxRecipients) {
    errors.unshift({
      path: 'recipients',
      message: `must contain at most ${rules.maxRecipients} recipients`,
    });
  }
  if (recipients.some((r) => r.kind === 'group') && recipients.length > 1) {
    errors.push({ path: 'recipients', message: 'a group id must be the only recipient' });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, recipients, chatId: recipients.map((r) => r.value).join(',') };
}
