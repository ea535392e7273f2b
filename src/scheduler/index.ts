/** The scheduler: see scheduler.ts (loop, binding, events), framework.ts (profile), cache.ts, queue.ts, preemption.ts, plugins/. */
export { Scheduler, startScheduler, DEFAULT_SCHEDULER_NAME, type SchedulerOptions, type SchedulerStats } from './scheduler.js';
export { Framework, defaultFilters, defaultScores, numFeasibleNodesToFind } from './framework.js';
export { SchedulerCache } from './cache.js';
export { SchedulingQueue } from './queue.js';
export { fitErrorMessage } from './fit-error.js';
