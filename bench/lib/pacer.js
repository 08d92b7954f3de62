'use strict';

/**
 * An even request clock for autocannon's clients. autocannon's own `overallRate` lets each
 * connection send its per-second quota back to back as each second starts (a burst of the whole
 * second's requests at once, then silence), and it "corrects" latencies at a rate by also
 * recording value−1, value−2 … 1 ms for every answer. Neither is a fixed 500 req/s. Here each
 * client asks the clock before each request, and the clock lets one through every 1/rate s.
 * Latency is still autocannon's: from the write of a request to its answer.
 */
class Pacer {
  constructor(ratePerSecond) {
    this.rate = ratePerSecond;
    this.waiting = [];
    this.issued = 0;
    this.start = performance.now();
    // 1 ms is the finest timer Node has; a late tick sends what fell due since (open loop).
    this.timer = setInterval(() => this.pump(), 1);
  }

  /** autocannon `setupClient` hook: route the client's every request through the clock. */
  attach(client) {
    const doRequest = client._doRequest; // autocannon 8 Client: the one place a request is written
    client._doRequest = (...args) => {
      this.waiting.push(() => {
        if (!client.destroyed) doRequest.apply(client, args);
      });
    };
  }

  pump() {
    const due = Math.floor(((performance.now() - this.start) * this.rate) / 1000);
    while (this.issued < due && this.waiting.length > 0) {
      this.issued += 1;
      this.waiting.shift()();
    }
  }

  /** Requests that fell due but found no free connection (the load offered and never sent). */
  behind() {
    const due = Math.floor(((performance.now() - this.start) * this.rate) / 1000);
    return Math.max(0, due - this.issued);
  }

  stop() {
    clearInterval(this.timer);
    this.waiting.length = 0;
  }
}

module.exports = { Pacer };
