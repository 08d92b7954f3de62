'use strict';

/**
 * The servers under test, each its own child process (process.execPath, no shell), and the one
 * place that stops them: on exit, on error and on SIGINT nothing is left running.
 */
const { spawn } = require('node:child_process');
const net = require('node:net');

const children = new Set();

/** The last lines a child wrote to stderr, for the error message when it fails. */
function tail(chunks) {
  return chunks.join('').split('\n').slice(-20).join('\n');
}

/**
 * Starts `node <script> ...args`, or `<wrapper...> node <script> ...args` (valgrind, say). stdout
 * is either consumed here (to find the ready line) or handed to an already open file descriptor,
 * so that a busy child never blocks on a full pipe.
 */
function startNode(
  name,
  script,
  { nodeArgs = [], args = [], env = {}, replaceEnv, cwd, stdoutFd, wrapper = [] } = {},
) {
  const command = [...wrapper, process.execPath, ...nodeArgs, script, ...args];
  return startProcess(name, command[0], command.slice(1), {
    cwd,
    env: replaceEnv ?? { ...process.env, ...env },
    stdout: stdoutFd,
  });
}

/**
 * Starts any program (no shell) as a tracked child: stopped with the others, stderr kept. stdout:
 * an open file descriptor, 'ignore', or (default) a pipe for waitForListening to read.
 */
function startProcess(name, command, args, { cwd, env = process.env, stdout = 'pipe' } = {}) {
  const child = spawn(command, args, {
    cwd,
    env,
    stdio: ['ignore', stdout, 'pipe'],
  });
  const stderr = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr.push(chunk);
    if (stderr.length > 50) stderr.shift();
  });
  const server = { name, child, pid: child.pid, stderrTail: () => tail(stderr), exited: false };
  children.add(server);
  child.once('exit', (code, signal) => {
    server.exited = true;
    server.exitInfo = signal ? `signal ${signal}` : `code ${code}`;
    children.delete(server);
  });
  return server;
}

function exitedError(server) {
  return new Error(`${server.name} exited (${server.exitInfo})\n${server.stderrTail()}`);
}

/** Resolves with the port of the first stdout line `... listening on http://host:port`. */
function waitForListening(server, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => reject(new Error(`${server.name} did not start in ${timeoutMs} ms`)),
      timeoutMs,
    );
    server.child.stdout.setEncoding('utf8');
    server.child.stdout.on('data', (chunk) => {
      text += chunk;
      const match = /listening on http:\/\/[^\s:]+:(\d+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        text = '';
        server.child.stdout.removeAllListeners('data');
        server.child.stdout.resume(); // keep draining whatever it prints later
        resolve(Number(match[1]));
      }
    });
    server.child.once('exit', () => {
      clearTimeout(timer);
      reject(exitedError(server));
    });
  });
}

/** Polls `url` until it answers 200 (the gateway's /health/ready). */
async function waitForOk(server, url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exited) throw exitedError(server);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${server.name}: ${url} not 200 in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A port nobody listens on right now (for the gateway, which takes PORT and prints nothing). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
function stop(server, graceMs = 3_000) {
  return new Promise((resolve) => {
    if (server.exited) return resolve();
    const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs);
    server.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    server.child.kill('SIGTERM');
  });
}

/** Stops every child; resolves when all are gone. */
async function stopAll(graceMs = 3_000) {
  await Promise.all([...children].map((server) => stop(server, graceMs)));
}

/** Process ids of every child still running (for the CPU accounting of a run). */
function childPids() {
  return [...children].filter((server) => !server.exited).map((server) => server.pid);
}

/** Last resort, synchronous: for process 'exit', where nothing can be awaited. */
function killAllNow() {
  for (const server of children) server.child.kill('SIGKILL');
}

/** Runs a bench tool's main(): no child outlives it, on error, exit or Ctrl-C. */
function runTool(main) {
  process.on('exit', killAllNow);
  process.on('SIGINT', () => {
    killAllNow();
    process.exit(130);
  });
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}

module.exports = {
  runTool,
  childPids,
  startNode,
  startProcess,
  waitForListening,
  waitForOk,
  freePort,
  stop,
  stopAll,
  killAllNow,
};
