import { AxiosHeaders, type AxiosAdapter, type AxiosResponse } from 'axios';
import type { Dispatcher } from 'undici';

/**
 * An axios adapter that sends through an undici dispatcher (keep-alive pool per origin) instead of
 * Node's http module: same axios API for @nestjs/axios users, about twice the throughput.
 * It returns the body as text and resolves for every status; callers decide what is an error.
 * `config.signal` aborts the request (the deadline).
 */
export function createUndiciAdapter(dispatcher: Dispatcher): AxiosAdapter {
  return async (config) => {
    const url = new URL(config.baseURL ? config.baseURL + (config.url ?? '') : (config.url ?? ''));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(AxiosHeaders.from(config.headers).toJSON())) {
      if (value !== undefined && value !== null) headers[name.toLowerCase()] = String(value);
    }
    const response = await dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: (config.method ?? 'get').toUpperCase(),
      headers,
      body:
        typeof config.data === 'string' || Buffer.isBuffer(config.data) ? config.data : undefined,
      signal: config.signal,
    });
    const data = await response.body.text();
    const result: AxiosResponse<string> = {
      data,
      status: response.statusCode,
      statusText: '',
      headers: new AxiosHeaders(flattenHeaders(response.headers)),
      config,
      request: undefined,
    };
    return result;
  };
}

function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
