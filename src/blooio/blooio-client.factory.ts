import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import type { Dispatcher } from 'undici';
import { BlooioClient } from './blooio.client';
import { createUndiciAdapter } from './undici.adapter';

/**
 * A BlooioClient outside Nest (the CLIs, tests), on the same transport the module configures:
 * undici through the axios adapter, no redirects followed.
 */
export function createBlooioClient(baseUrl: string, dispatcher: Dispatcher): BlooioClient {
  const http = new HttpService(
    axios.create({ adapter: createUndiciAdapter(dispatcher), maxRedirects: 0 }),
  );
  return new BlooioClient(http, baseUrl);
}
