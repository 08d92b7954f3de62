'use strict';

/** What a server process cost, read from /proc (Linux), so no agent runs inside the process. */
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');

let clockTicks;

/** Kernel clock ticks per second (USER_HZ): the unit of utime/stime in /proc/<pid>/stat. */
function clockTicksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100; // USER_HZ is 100 on every mainstream Linux build
    }
  }
  return clockTicks;
}

/** CPU time (user + system) the process has used so far, in ms. */
function cpuMs(pid) {
  return statCpuMs(`/proc/${pid}/stat`);
}

/**
 * CPU time of the process's main thread (the event loop) so far, in ms: the rest of cpuMs is
 * V8's helper threads (concurrent GC, compilers) and libuv's pool.
 */
function mainThreadCpuMs(pid) {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuMs(file) {
  const stat = readFileSync(file, 'utf8');
  // The command name (field 2) may hold spaces: count fields from the closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return (ticks * 1000) / clockTicksPerSecond();
}

/** CPU time (user + system) of all of `pids` so far, in ms; one that exited in between counts 0. */
function sumCpuMs(pids) {
  return pids.reduce((sum, pid) => {
    try {
      return sum + cpuMs(pid);
    } catch {
      return sum; // exited in between
    }
  }, 0);
}

/** Resident set size in MB (VmRSS). */
function rssMb(pid) {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/**
 * CPU time the whole machine spent busy so far, in ms (all cores: user, nice, system, and steal,
 * the time the hypervisor gave to someone else). Minus what our own processes used, it shows how
 * much of a run went to other work on a shared machine. Interrupt time is left out: much of it is
 * our own loopback traffic, charged to no process.
 */
function machineBusyMs() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, , , , , steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + (steal || 0)) * 1000) / clockTicksPerSecond();
}

module.exports = { clockTicksPerSecond, cpuMs, sumCpuMs, mainThreadCpuMs, rssMb, machineBusyMs };
