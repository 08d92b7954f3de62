import { webhookUrlProblem } from './webhook-url';

describe('webhookUrlProblem', () => {
  it('accepts https anywhere, and http to localhost, 127.0.0.0/8 and [::1]', () => {
    for (const url of [
      'https://crm.acme.example/hooks?token=1',
      'https://203.0.113.9:8443/',
      'http://localhost:4000/',
      'http://127.0.0.1:4000',
      'http://127.1/', // URL reads it as 127.0.0.1
      'http://127.200.3.4/x',
      'http://[::1]:4000/',
      'http://[0:0:0:0:0:0:0:1]/',
    ]) {
      expect({ url, problem: webhookUrlProblem(url) }).toEqual({ url, problem: undefined });
    }
  });

  it('refuses plain http elsewhere, other schemes, credentials and what is not a URL', () => {
    const https = 'must use https: (http: only to localhost, 127.0.0.0/8 or [::1])';
    const cases: [string, string][] = [
      ['http://crm.acme.example/', https],
      ['http://10.0.0.1/', https],
      ['http://127.0.0.1.nip.io/', https],
      ['http://localhost.acme.example/', https],
      ['http://[::2]/', https],
      ['ftp://127.0.0.1/', https],
      ['file:///etc/passwd', https],
      ['https://user:secret@crm.acme.example/', 'must not hold credentials (user:password@)'],
      ['http://token@127.0.0.1:4000/', 'must not hold credentials (user:password@)'],
      [
        'crm.acme.example/hooks',
        'must be an absolute URL such as https://crm.example.com/hooks/imessage',
      ],
      ['', 'must be an absolute URL such as https://crm.example.com/hooks/imessage'],
    ];
    for (const [url, problem] of cases) {
      expect({ url, problem: webhookUrlProblem(url) }).toEqual({ url, problem });
    }
  });
});
