/**
 * The index-interval strings of Indexed Jobs ("1,3-5,7": ascending, non-overlapping, each index
 * below completions), checked as Kubernetes' validateIndexesFormat / parseIndexInterval in
 * pkg/apis/batch/validation, with its error texts.
 */

/** Go's strconv.Atoi on a decimal string (an optional sign, digits), else undefined. */
function atoi(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parseInterval(interval: string, completions: number): [number, number] | string {
  const limits = interval.split('-');
  if (limits.length > 2) return `the fragment ${JSON.stringify(interval)} violates the requirement that an index interval can have at most two parts separated by '-'`;
  const x = atoi(limits[0]);
  if (x === undefined) return `cannot convert string to integer for index: ${JSON.stringify(limits[0])}`;
  if (x >= completions) return `too large index: ${JSON.stringify(limits[0])}`;
  if (limits.length === 1) return [x, x];
  const y = atoi(limits[1]);
  if (y === undefined) return `cannot convert string to integer for index: ${JSON.stringify(limits[1])}`;
  if (y >= completions) return `too large index: ${JSON.stringify(limits[1])}`;
  if (x >= y) return `non-increasing order, previous: ${x}, current: ${y}`;
  return [x, y];
}

/** How many indexes the string names, or the reason it is malformed. An empty string names none. */
export function validateIndexesFormat(indexes: string, completions: number): { total: number } | { error: string } {
  if (!indexes) return { total: 0 };
  let last: number | undefined;
  let total = 0;
  for (const interval of indexes.split(',')) {
    const r = parseInterval(interval, completions);
    if (typeof r === 'string') return { error: r };
    const [x, y] = r;
    if (last !== undefined && last >= x) return { error: `non-increasing order, previous: ${last}, current: ${x}` };
    total += y - x + 1;
    last = y;
  }
  return { total };
}
