import {
  normaliseParticipant,
  normaliseRecipient,
  normaliseRecipients,
} from './recipients';

const rules = { maxRecipients: 10 };

describe('normaliseRecipient', () => {
  it.each([
    ['+15551234567', '+15551234567'],
    ['+1 (555) 123-4567', '+15551234567'],
    ['+44 20 7946 0958', '+442079460958'],
  ])('reads the international number %s as %s', (input, expected) => {
    expect(normaliseRecipient(input)).toEqual({ kind: 'phone', value: expected });
  });

  it('reads national numbers with the tenant default country', () => {
    expect(normaliseRecipient('(555) 123-4567', 'US')).toEqual({
      kind: 'phone',
      value: '+15551234567',
    });
    expect(normaliseRecipient('020 7946 0958', 'GB')).toEqual({
      kind: 'phone',
      value: '+442079460958',
    });
  });

  it('refuses a national number when the tenant has no default country', () => {
    const result = normaliseRecipient('5551234567');
    expect(result).toEqual({ error: expect.stringContaining('defaultCountry') });
  });

  it('lower-cases emails', () => {
    expect(normaliseRecipient('Jane.Doe+tag@Example.COM')).toEqual({
      kind: 'email',
      value: 'jane.doe+tag@example.com',
    });
  });

  it('keeps group ids as given', () => {
    expect(normaliseRecipient('grp_AbC123')).toEqual({ kind: 'group', value: 'grp_AbC123' });
  });

  it.each([
    '',
    ' ',
    '+1555',
    '++15551234567',
    '+15551234567\n',
    '+1555123\u00004567',
    '15551234567;rm',
    '../+15551234567',
    '..',
    '/',
    '%2F',
    '+1555%2F1234567',
    'a/b@example.com',
    'a%2Fb@example.com',
    'a..b@example.com',
    'user@example',
    'user@exa_mple.com',
    'user@@example.com',
    'user@example.com/../../admin',
    'a,b@example.com',
    'user name@example.com',
    'grp_',
    'grp_abc/def',
    'grp_abc%2Fdef',
    'grp_..',
    'GRP_abc',
    'grp_abc\r\nX-Injected: 1',
    'javascript:alert(1)',
  ])('rejects the hostile or malformed input %j', (input) => {
    expect(normaliseRecipient(input, 'US')).toEqual({ error: expect.any(String) });
  });
});

describe('normaliseParticipant (a mention)', () => {
  it('reads phones and emails as a recipient would be read', () => {
    expect(normaliseParticipant('(555) 123-4567', 'US')).toEqual({
      kind: 'phone',
      value: '+15551234567',
    });
    expect(normaliseParticipant('Jane@Example.com')).toEqual({
      kind: 'email',
      value: 'jane@example.com',
    });
  });

  it('refuses a group id and anything that is not a phone or an email', () => {
    for (const input of ['grp_AbC123', '../x', '+1555', 'Jane']) {
      expect(normaliseParticipant(input, 'US')).toEqual({
        error: 'must be an E.164 number or an email',
      });
    }
    expect(normaliseParticipant('5551234567')).toEqual({
      error:
        "must be an E.164 number or an email (national numbers need the tenant's defaultCountry)",
    });
  });
});

describe('normaliseRecipients', () => {
  it('maps one recipient to itself as the chatId', () => {
    expect(normaliseRecipients(['+15551234567'], rules)).toEqual({
      ok: true,
      recipients: [{ kind: 'phone', value: '+15551234567' }],
      chatId: '+15551234567',
    });
  });

  it('joins several phones and emails with commas, first-seen order, without duplicates', () => {
    const result = normaliseRecipients(
      ['+1 555 123 4567', 'Jane@Example.com', '+15551234567', 'jane@example.com', '(555) 987-6543'],
      { ...rules, defaultCountry: 'US' },
    );
    expect(result).toMatchObject({
      ok: true,
      chatId: '+15551234567,jane@example.com,+15559876543',
    });
  });

  it('names each bad recipient by index', () => {
    expect(normaliseRecipients(['+15551234567', 'nope', 42], rules)).toEqual({
      ok: false,
      errors: [
        { path: 'recipients.1', message: 'must be an E.164 number, an email or a group id' },
        { path: 'recipients.2', message: 'must be a string' },
      ],
    });
  });

  it('refuses a group id together with other recipients', () => {
    expect(normaliseRecipients(['grp_abc', '+15551234567'], rules)).toEqual({
      ok: false,
      errors: [{ path: 'recipients', message: 'a group id must be the only recipient' }],
    });
  });

  it("enforces the tenant's maxRecipients", () => {
    const many = Array.from({ length: 4 }, (_, i) => `+1555123456${i}`);
    expect(normaliseRecipients(many, { maxRecipients: 3 })).toEqual({
      ok: false,
      errors: [{ path: 'recipients', message: 'must contain at most 3 recipients' }],
    });
  });

  it('counts recipients once duplicates are gone: spellings of one number are one', () => {
    const spellings = ['+15551234567', '(555) 123-4567', '555.123.4567', '+1 555 123 4567'];
    expect(normaliseRecipients(spellings, { defaultCountry: 'US', maxRecipients: 1 })).toEqual({
      ok: true,
      recipients: [{ kind: 'phone', value: '+15551234567' }],
      chatId: '+15551234567',
    });
  });
});
