'use strict';

/** The request each target gets: the gateway's public call, or Blooio's own call for `direct`. */
const { recipientList } = require('./scenarios');

const TEXT = 'Your order #1234 has shipped and will arrive on Thursday.';

function requestFor(scenario, { tenant, handles }) {
  const recipients = recipientList(scenario.recipients);
  const json = { 'content-type': 'application/json' };
  if (scenario.target === 'direct') {
    // What the gateway sends upstream for the same message: the floor of any proxy.
    return {
      url: handles.direct.url,
      path: `/v2/api/chats/${encodeURIComponent(recipients.join(','))}/messages`,
      headers: { ...json, authorization: `Bearer ${tenant.blooioKey}` },
      body: JSON.stringify({ text: TEXT, from_number: tenant.sender }),
    };
  }
  return {
    url: handles[scenario.target].url,
    path: '/v1/messages',
    headers: { ...json, authorization: `Bearer ${tenant.gatewayKey}` },
    body: JSON.stringify({ recipients, text: TEXT, sender: tenant.sender }),
  };
}

module.exports = { requestFor };
