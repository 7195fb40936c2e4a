import { describe, expect, it } from 'vitest';
import { createStartSlots } from '../../src/api/start-slots';

/** What the slots report to the metrics, in order. */
function recorder() {
  const gauge: number[] = [];
  let refusals = 0;
  return {
    gauge,
    refusals: () => refusals,
    metrics: {
      setStartsInFlight: (n: number) => void gauge.push(n),
      countOverloadRefusal: () => void refusals++,
    },
  };
}

describe('createStartSlots: the hand-offs in flight, bounded', () => {
  it('gives `limit` slots, refuses the next without waiting, and gives one again once one is released', () => {
    const seen = recorder();
    const slots = createStartSlots(2, seen.metrics);
    const first = slots.take();
    const second = slots.take();
    expect([first, second].every((release) => typeof release === 'function')).toBe(true);
    expect(slots.take()).toBeUndefined();
    expect(seen.refusals()).toBe(1);
    first?.();
    const third = slots.take();
    expect(third).toBeTypeOf('function');
    expect(seen.gauge).toEqual([1, 2, 1, 2]);
    expect(seen.refusals()).toBe(1);
  });

  it('frees a slot once however often its release is called', () => {
    const seen = recorder();
    const slots = createStartSlots(1, seen.metrics);
    const release = slots.take();
    release?.();
    release?.();
    expect(seen.gauge).toEqual([1, 0]);
    expect(slots.take()).toBeTypeOf('function');
    expect(slots.take()).toBeUndefined(); // a second release did not make room for two
  });
});
