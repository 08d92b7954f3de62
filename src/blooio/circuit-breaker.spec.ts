import { CircuitBreaker, type CircuitTicket } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = () =>
    new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1_000, now: () => now });
  const ticket = (circuit: CircuitBreaker): CircuitTicket => {
    const granted = circuit.tryAcquire();
    if (granted === undefined) throw new Error('expected the call to be allowed');
    return granted;
  };
  const fail = (circuit: CircuitBreaker, times: number) => {
    for (let i = 0; i < times; i += 1) circuit.recordFailure(ticket(circuit));
  };

  beforeEach(() => {
    now = 0;
  });

  it('opens after the threshold of consecutive failures, not before', () => {
    const circuit = breaker();
    fail(circuit, 2);
    expect(circuit.state).toBe('closed');
    fail(circuit, 1);
    expect(circuit.state).toBe('open');
    expect(circuit.tryAcquire()).toBeUndefined();
    expect(circuit.retryInMs).toBe(1_000);
  });

  it('counts only failures in a row: a success resets the count', () => {
    const circuit = breaker();
    fail(circuit, 2);
    circuit.recordSuccess(ticket(circuit));
    fail(circuit, 2);
    expect(circuit.state).toBe('closed');
  });

  it('lets exactly one trial through after the cool-down; its success closes the circuit', () => {
    const circuit = breaker();
    fail(circuit, 3);
    now = 999;
    expect(circuit.tryAcquire()).toBeUndefined();
    expect(circuit.retryInMs).toBe(1);
    now = 1_000;
    expect(circuit.state).toBe('half-open');
    const trial = ticket(circuit);
    expect(circuit.tryAcquire()).toBeUndefined();
    circuit.recordSuccess(trial);
    expect(circuit.state).toBe('closed');
    expect(circuit.tryAcquire()).toBeDefined();
  });

  it('re-opens for a full cool-down when the trial fails', () => {
    const circuit = breaker();
    fail(circuit, 3);
    now = 1_500;
    circuit.recordFailure(ticket(circuit));
    expect(circuit.state).toBe('open');
    now = 2_400;
    expect(circuit.tryAcquire()).toBeUndefined();
    now = 2_500;
    expect(circuit.tryAcquire()).toBeDefined();
  });

  it('ignores results of calls granted before the state changed', () => {
    const circuit = breaker();
    const slow = ticket(circuit);
    fail(circuit, 3);
    // A success that started while closed does not close the open circuit early…
    circuit.recordSuccess(slow);
    expect(circuit.state).toBe('open');
    // …a late failure does not extend the open period…
    now = 500;
    circuit.recordFailure(slow);
    now = 1_000;
    expect(circuit.state).toBe('half-open');
    // …and does not end a trial still running.
    const trial = ticket(circuit);
    circuit.recordFailure(slow);
    expect(circuit.state).toBe('half-open');
    circuit.recordSuccess(trial);
    expect(circuit.state).toBe('closed');
  });
});
