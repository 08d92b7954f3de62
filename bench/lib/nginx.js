'use strict';

/**
 * A second reference peer: nginx with its JavaScript module (Debian: nginx-light and
 * libnginx-mod-http-js), doing the reference proxy's work: the gateway key mapped to the Blooio key
 * by a `map`, the chatId built from `recipients` by bench/nginx/reference.js, the upstream call by
 * nginx's proxy module on kept-alive sockets. One process (no master, one worker), like the Node
 * proxies, so that its CPU and RSS are comparable. Optional: without nginx the bench leaves it out.
 */
const { existsSync, mkdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { freePort, startProcess, waitForOk } = require('./processes');

const NGINX = process.env.BENCH_NGINX ?? '/usr/sbin/nginx';
const JS_MODULE =
  process.env.BENCH_NGINX_JS_MODULE ?? '/usr/lib/nginx/modules/ngx_http_js_module.so';
const SCRIPT_DIR = path.join(__dirname, '..', 'nginx');

/** Why the nginx peer cannot run here, or undefined when it can. */
function nginxMissing() {
  if (!existsSync(NGINX)) return `no ${NGINX} (apt-get install nginx-light libnginx-mod-http-js)`;
  if (!existsSync(JS_MODULE)) return `no ${JS_MODULE} (apt-get install libnginx-mod-http-js)`;
  return undefined;
}

/** A JSON string is a valid nginx quoted string for our keys (base62 and `_`), checked anyway. */
function quoted(value) {
  if (!/^[\w +/=.-]+$/.test(value)) throw new Error('unexpected character in a bench key');
  return `"${value}"`;
}

function nginxConf({ port, upstreamPort, upstreamPath, tenant, prefix, poolSize }) {
  return `load_module ${JS_MODULE};
daemon off;
master_process off;
worker_processes 1;
pid ${path.join(prefix, 'nginx.pid')};
error_log stderr error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${path.join(prefix, 'body')};
  proxy_temp_path ${path.join(prefix, 'proxy')};
  js_path ${quoted(SCRIPT_DIR)};
  js_import reference from reference.js;
  upstream blooio {
    server 127.0.0.1:${upstreamPort};
    keepalive ${poolSize};
    keepalive_requests 1000000;
  }
  map_hash_bucket_size 256; # the keys are long
  map $http_authorization $blooio_authorization {
    default "";
    ${quoted(`Bearer ${tenant.gatewayKey}`)} ${quoted(`Bearer ${tenant.blooioKey}`)};
  }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    client_body_buffer_size 64k;
    client_body_in_single_buffer on;
    location = /v1/messages { js_content reference.send; }
    location = /__blooio {
      internal;
      proxy_pass http://blooio${upstreamPath}/chats/$arg_chat/messages;
      proxy_http_version 1.1;
      proxy_pass_request_headers off;
      proxy_set_header Connection "";
      proxy_set_header Authorization $blooio_authorization;
      proxy_set_header Content-Type application/json;
      proxy_set_header Idempotency-Key $http_idempotency_key;
      subrequest_output_buffer_size 64k;
    }
    location = /health { return 200; }
  }
}
`;
}

/** Starts the nginx peer in front of the fake Blooio; `{server, url}` like the other proxies. */
async function startNginxPeer(fake, tenant, tmpDir, poolSize) {
  const prefix = path.join(tmpDir, 'nginx');
  mkdirSync(prefix, { recursive: true });
  const port = await freePort();
  const upstream = new URL(fake.url);
  const conf = path.join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    nginxConf({
      port,
      upstreamPort: upstream.port,
      upstreamPath: '/v2/api',
      tenant,
      prefix,
      poolSize,
    }),
  );
  const server = startProcess('nginx', NGINX, ['-p', prefix, '-c', conf, '-e', 'stderr'], {
    stdout: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(server, `${url}/health`);
  return { server, url };
}

module.exports = { nginxMissing, startNginxPeer };
