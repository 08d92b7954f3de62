'use strict';

/** The runner's side of the fake Blooio's control endpoints. */

async function call(url, method, body) {
  const response = await fetch(url, {
    method,
    headers: body ? { 'content-type': 'application/json' } : undefined,
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

const setLatency = (fakeUrl, latencyMs) => call(`${fakeUrl}/__control`, 'PUT', { latencyMs });
const resetStats = (fakeUrl) => call(`${fakeUrl}/__stats/reset`, 'POST');
const readStats = (fakeUrl) => call(`${fakeUrl}/__stats`, 'GET');

module.exports = { setLatency, resetStats, readStats };
