/** batch/v1 Job and CronJob. */
import { formatLabelSelector, type LabelSelectorSpec } from '../selectors.js';
import { prepareJobForCreate } from '../defaults/index.js';
import { defineResource } from './define.js';
import { age, ageColumn, col, containerCells, containersColumn, get, hasCondition, humanDuration, imagesColumn, nameColumn, num, since, str } from './print-util.js';

export const jobs = defineResource({
  group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true, categories: ['all'],
  subresources: { status: true },
  columns: [nameColumn, col('Status', 'Status of the job.'), col('Completions', 'The desired number of successfully finished pods the job should be run with.'),
    col('Duration', 'Time required to complete the job.'), ageColumn, containersColumn, imagesColumn, col('Selector', 'A label query over pods that should match the pod count.', 1)],
  row: (o, now) => {
    const succeeded = num(get(o, 'status', 'succeeded'));
    const completions = get(o, 'spec', 'completions');
    const parallelism = get(o, 'spec', 'parallelism');
    let comp: string;
    if (typeof completions === 'number') comp = `${succeeded}/${completions}`;
    else if (typeof parallelism === 'number' && parallelism > 1) comp = `${succeeded}/1 of ${parallelism}`;
    else comp = `${succeeded}/1`;
    const start = get(o, 'status', 'startTime');
    const end = get(o, 'status', 'completionTime');
    let duration = '';
    if (typeof start === 'string') duration = typeof end === 'string' ? humanDuration(Date.parse(end) - Date.parse(start)) : since(start, now);
    let status = 'Running';
    if (hasCondition(o, 'Complete')) status = 'Complete';
    else if (hasCondition(o, 'Failed')) status = 'Failed';
    else if (o.metadata.deletionTimestamp) status = 'Terminating';
    else if (hasCondition(o, 'Suspended')) status = 'Suspended';
    else if (hasCondition(o, 'FailureTarget')) status = 'FailureTarget';
    const [names, images] = containerCells(get(o, 'spec', 'template', 'spec'));
    return [o.metadata.name ?? '', status, comp, duration, age(o, now), names, images, formatLabelSelector(get(o, 'spec', 'selector') as LabelSelectorSpec)];
  },
  fieldSelectors: { 'status.successful': (o) => String(num(get(o, 'status', 'succeeded'))) },
  strategy: {
    tracksGeneration: true,
    statusOnCreate: () => undefined,
    // the Job strategy's generated controller-uid selector and job-name/controller-uid pod labels
    // (after defaulting, which copies the template labels to the job, and once the uid is set)
    prepareAfterDefaults: (o) => prepareJobForCreate(o, o.metadata.uid ?? ''),
  },
});

export const cronjobs = defineResource({
  group: 'batch', version: 'v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true, shortNames: ['cj'], categories: ['all'],
  subresources: { status: true },
  columns: [nameColumn, col('Schedule', 'The schedule in Cron format.'), col('Timezone', 'The time zone name for the given schedule.'),
    col('Suspend', 'This flag tells the controller to suspend subsequent executions.', 0, 'boolean'), col('Active', 'A list of pointers to currently running jobs.', 0, 'integer'),
    col('Last Schedule', 'Information when was the last time the job was successfully scheduled.'), ageColumn, containersColumn, imagesColumn,
    col('Selector', 'A label query over pods that should match the pod count.', 1)],
  row: (o, now) => {
    const last = get(o, 'status', 'lastScheduleTime');
    const suspend = get(o, 'spec', 'suspend');
    const tz = get(o, 'spec', 'timeZone');
    const active = get(o, 'status', 'active');
    const [names, images] = containerCells(get(o, 'spec', 'jobTemplate', 'spec', 'template', 'spec'));
    return [o.metadata.name ?? '', str(get(o, 'spec', 'schedule')), typeof tz === 'string' ? tz : '<none>',
      typeof suspend === 'boolean' ? (suspend ? 'True' : 'False') : '<unset>', Array.isArray(active) ? active.length : 0,
      typeof last === 'string' ? since(last, now) : '<none>', age(o, now), names, images,
      formatLabelSelector(get(o, 'spec', 'jobTemplate', 'spec', 'selector') as LabelSelectorSpec)];
  },
  strategy: { tracksGeneration: true, statusOnCreate: () => undefined },
});
