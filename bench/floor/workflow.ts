/**
 * The floor's workflow: nothing to do, so it completes in its first workflow task. The sink tells the worker
 * process that it ran, which writes the Redis key the benchmark polls (sinks run outside the sandbox).
 */
import { proxySinks, type Sinks } from '@temporalio/workflow';
import type { ProcessEventInput } from '../../src/workflows/contracts';

export interface FloorSinks extends Sinks {
  floor: { completed(eventKey: string): void };
}

const { floor } = proxySinks<FloorSinks>();

export async function floorEvent(input: ProcessEventInput): Promise<void> {
  floor.completed(input.eventKey);
}
