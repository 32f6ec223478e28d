// Which events the soak's server refuses for good, shared by the server and the tally.
/** Refused one by one in the bulk answer. */
export const refusedOne = (id: number) => id % 1000 === 7;
/** Any request holding it is refused as a whole with a 400 (the service's bulk check). */
export const poison = (id: number) => id % 10_007 === 123;
