'use strict';

/** Where the numbers came from: they only compare with numbers from the same machine. */
const { execFileSync } = require('node:child_process');
const { statSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function machineInfo() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    kernel: os.release(),
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function describeMachine(m) {
  return `${m.cores} × ${m.cpuModel}, ${m.totalMemoryMb} MB, Node ${m.node}, ${m.platform} ${m.kernel}, load ${m.loadAverageAtStart.join(' ')}`;
}

/**
 * Which gateway was measured: dist/ is whatever was last built, perhaps from other sources than the
 * checkout holds now; so the build time, and the checkout's state at the time of the run.
 */
function buildInfo(root) {
  const git = (...args) => {
    try {
      return execFileSync('git', args, {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return null;
    }
  };
  const status = git('status', '--porcelain', '--', 'src');
  return {
    distBuiltAt: statSync(path.join(root, 'dist', 'main.js')).mtime.toISOString(),
    gitHeadAtRun: git('rev-parse', '--short', 'HEAD'),
    srcUncommittedChangesAtRun: status === null ? null : status.length > 0,
  };
}

module.exports = { machineInfo, describeMachine, buildInfo };
