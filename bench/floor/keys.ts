/** The Redis key the floor's worker sets once an event's workflow ran: what its effect probe reads. */
export const floorDoneKey = (eventKey: string) => `bench:floor:done:${eventKey}`;
