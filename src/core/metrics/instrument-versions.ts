/**
 * Hooks metrics and tracing into every model version as it finishes loading, by wrapping the
 * repository's scheduler factory: nothing on the request path changes unless an instrument
 * chooses to wrap the scheduler or observe statistics.
 */
import type { ModelVersion, SchedulerFactory } from '../repository/model-version.js';
import type { Scheduler } from '../scheduling/scheduler.js';
import type { StatisticsObserver, VersionStatistics } from '../statistics.js';

/** Sees each freshly loaded version and may return a wrapped scheduler. */
export type VersionInstrument = (version: ModelVersion, scheduler: Scheduler) => Scheduler;

/** A factory that builds schedulers with `base`, then passes them through each instrument in order. */
export function instrumentSchedulerFactory(base: SchedulerFactory, instruments: readonly VersionInstrument[]): SchedulerFactory {
  if (instruments.length === 0) return base;
  return (version, instances) => instruments.reduce((scheduler, instrument) => instrument(version, scheduler), base(version, instances));
}

/** Adds `observer` to `stats`, keeping any observer already there (both are called, in order). */
export function addStatisticsObserver(stats: VersionStatistics, observer: StatisticsObserver): void {
  const previous = stats.observer;
  if (!previous) {
    stats.observer = observer;
    return;
  }
  stats.observer = {
    onExecution: (batchSize) => {
      previous.onExecution(batchSize);
      observer.onExecution(batchSize);
    },
    onSuccess: (timing, batchSize, request) => {
      previous.onSuccess(timing, batchSize, request);
      observer.onSuccess(timing, batchSize, request);
    },
    onFailure: (totalNs, reason, request) => {
      previous.onFailure(totalNs, reason, request);
      observer.onFailure(totalNs, reason, request);
    },
  };
}
