import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = () =>
    new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1_000, now: () => now });

  beforeEach(() => {
    now = 0;
  });

  it('opens after the threshold of consecutive failures, not before', () => {
    const circuit = breaker();
    circuit.recordFailure();
    circuit.recordFailure();
    expect(circuit.tryAcquire()).toBe(true);
    circuit.recordFailure();
    expect(circuit.state).toBe('open');
    expect(circuit.tryAcquire()).toBe(false);
    expect(circuit.retryInMs).toBe(1_000);
  });

  it('counts only failures in a row: a success resets the count', () => {
    const circuit = breaker();
    circuit.recordFailure();
    circuit.recordFailure();
    circuit.recordSuccess();
    circuit.recordFailure();
    circuit.recordFailure();
    expect(circuit.state).toBe('closed');
  });

  it('lets exactly one trial through after the cool-down; its success closes the circuit', () => {
    const circuit = breaker();
    for (let i = 0; i < 3; i += 1) circuit.recordFailure();
    now = 999;
    expect(circuit.tryAcquire()).toBe(false);
    expect(circuit.retryInMs).toBe(1);
    now = 1_000;
    expect(circuit.state).toBe('half-open');
    expect(circuit.tryAcquire()).toBe(true);
    expect(circuit.tryAcquire()).toBe(false);
    circuit.recordSuccess();
    expect(circuit.state).toBe('closed');
    expect(circuit.tryAcquire()).toBe(true);
  });

  it('re-opens for a full cool-down when the trial fails', () => {
    const circuit = breaker();
    for (let i = 0; i < 3; i += 1) circuit.recordFailure();
    now = 1_500;
    expect(circuit.tryAcquire()).toBe(true);
    circuit.recordFailure();
    expect(circuit.state).toBe('open');
    now = 2_400;
    expect(circuit.tryAcquire()).toBe(false);
    now = 2_500;
    expect(circuit.tryAcquire()).toBe(true);
  });
});
