// Runs once before the suites: is there a Redis for the shared-state suites? The answer goes to
// the workers through the environment (they inherit it), so each suite can skip or fail at once.
const net = require('node:net');

const url = new URL(process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379');

module.exports = async function redisGlobalSetup() {
  process.env.TEST_REDIS_URL = url.toString();
  const problem = await ping(url.hostname, Number(url.port || 6379)).catch(
    (error) => error.message,
  );
  if (problem) process.env.TEST_REDIS_UNAVAILABLE = problem;
  else delete process.env.TEST_REDIS_UNAVAILABLE;
};

function ping(host, port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(1_000, () => fail(new Error(`no answer from ${host}:${port} within 1 s`)));
    socket.once('error', fail);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.end();
      if (data.toString().startsWith('+PONG')) resolve(undefined);
      else reject(new Error(`unexpected answer to PING: ${data.toString().trim()}`));
    });
  });
}
