// Strategy: the report rows as the charts and tables need them. Rows come from
// GET /api/reports/{queues|agents} (callcenter.reports QueueRow / AgentRow); `normalRow`
// accepts the field names of the API contract too (bucket_start, survey_avg, offers).
// `aggregate` folds rows into one: counts add up, rates are recomputed from their parts or
// weighted by what they are an average of.

/** What each report shows: its key column, its volume series, its rate, its table. */
export const KINDS = {
  queues: {
    key: 'queue',
    title: 'Queue',
    volumes: [['offered', 'Offered'], ['answered', 'Answered'], ['abandoned', 'Abandoned']],
    rate: ['service_level', 'Service level'],
    columns: [
      ['Offered', 'offered', 'count'], ['Answered', 'answered', 'count'],
      ['Abandoned', 'abandoned', 'count'], ['Service level', 'service_level', 'percent'],
      ['Within threshold', 'answered_within_threshold', 'count'],
      ['SL target', 'service_level_target', 'percent'],
      ['ASA', 'asa', 'duration'], ['AHT', 'aht', 'duration'],
      ['Abandon rate', 'abandon_rate', 'percent'], ['Survey', 'survey', 'score'],
    ],
  },
  agents: {
    key: 'agent',
    title: 'Agent',
    volumes: [['offered', 'Offered'], ['answered', 'Answered'], ['handled', 'Handled']],
    rate: ['occupancy', 'Occupancy'],
    columns: [
      ['Offered', 'offered', 'count'], ['Answered', 'answered', 'count'],
      ['Handled', 'handled', 'count'], ['AHT', 'aht', 'duration'],
      ['Occupancy', 'occupancy', 'percent'], ['Logged in', 'logged_in_time', 'duration'],
      ['Paused', 'paused_time', 'duration'], ['Survey', 'survey', 'score'],
    ],
  },
};

/** One row with the field names used on this page. */
export function normalRow(row) {
  return {
    ...row,
    bucket: row.start ?? row.bucket_start,
    offered: row.offered ?? row.offers ?? 0,
    survey: row.survey_average ?? row.survey_avg ?? null,
    surveys: row.survey_count ?? row.answered ?? 0,
  };
}

const sum = (rows, field) => rows.reduce((total, row) => total + (Number(row[field]) || 0), 0);

function weighted(rows, field, weightOf) {
  let total = 0;
  let weight = 0;
  for (const row of rows) {
    const value = row[field];
    const w = weightOf(row);
    if (value === null || value === undefined || !Number.isFinite(value) || !(w > 0)) continue;
    total += value * w;
    weight += w;
  }
  return weight > 0 ? total / weight : null;
}

const ratio = (part, whole) => (whole > 0 ? part / whole : null);

/** Many rows (one bucket, or one queue's buckets) folded into one. */
export function aggregate(rows) {
  const answered = sum(rows, 'answered');
  const abandoned = sum(rows, 'abandoned');
  const offered = sum(rows, 'offered');
  const handledWeight = (row) => row.handled ?? row.answered ?? 0;
  // Each call counts by its queue's rules when it entered (issue 16): a row says how many
  // calls its service level counts (service_level_calls) and their mean target.
  const counted = rows.every((row) => row.service_level_calls !== undefined);
  const exactSl = rows.every((row) => row.answered_within_threshold !== undefined);
  const slWeight = (row) => (counted ? row.service_level_calls || 0 : (row.answered || 0) + (row.abandoned || 0));
  let service = weighted(rows, 'service_level', slWeight);
  if (exactSl) service = ratio(sum(rows, 'answered_within_threshold'), counted ? sum(rows, 'service_level_calls') : answered + abandoned);
  return {
    offered,
    answered,
    abandoned,
    handled: sum(rows, 'handled'),
    answered_within_threshold: exactSl ? sum(rows, 'answered_within_threshold') : null,
    service_level: service,
    service_level_target: weighted(rows, 'service_level_target', slWeight),
    asa: weighted(rows, 'asa', (row) => row.answered || 0),
    aht: weighted(rows, 'aht', handledWeight),
    abandon_rate: ratio(abandoned, offered),
    occupancy: weighted(rows, 'occupancy', (row) => row.logged_in_time || 0),
    logged_in_time: sum(rows, 'logged_in_time'),
    paused_time: sum(rows, 'paused_time'),
    survey: weighted(rows, 'survey', (row) => row.surveys || 0),
    surveys: sum(rows, 'surveys'),
  };
}

/** Rows grouped by a key, in first-seen order. */
export function groupBy(rows, keyOf) {
  const groups = new Map();
  for (const row of rows) {
    const key = keyOf(row);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(row);
  }
  return groups;
}
