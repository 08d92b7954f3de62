'use strict';

/** Small numeric helpers: exact percentiles from raw samples, median, least-squares and robust slopes. */

/** A growable list of latencies (ms), kept raw so percentiles keep sub-millisecond precision. */
class Samples {
  constructor(capacity = 65_536) {
    this.values = new Float64Array(capacity);
    this.length = 0;
  }

  push(value) {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  /** Nearest-rank percentiles, e.g. percentiles([50, 99, 99.9]). */
  percentiles(ps) {
    const sorted = this.values.slice(0, this.length).sort();
    return ps.map((p) => {
      if (sorted.length === 0) return NaN;
      const rank = Math.ceil((p / 100) * sorted.length);
      return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
    });
  }

  mean() {
    let sum = 0;
    for (let i = 0; i < this.length; i++) sum += this.values[i];
    return this.length ? sum / this.length : NaN;
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const { x, y } of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/**
 * Theil–Sen slope of y over x: the median of the slopes between every pair of points. A trend
 * that a dip or a few outliers cannot tilt (a least-squares line through a sawtooth swings with
 * the phase at which the series ends).
 */
function robustSlope(points) {
  const slopes = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j].x - points[i].x;
      if (dx !== 0) slopes.push((points[j].y - points[i].y) / dx);
    }
  }
  return median(slopes);
}

module.exports = { Samples, median, slope, robustSlope };
