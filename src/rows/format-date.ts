const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

// Pattern tokens of the dateTimeFormat field; all in UTC so rows do not depend on the machine.
const TOKENS: Record<string, (d: Date) => string> = {
  yyyy: (d) => pad(d.getUTCFullYear(), 4),
  MM: (d) => pad(d.getUTCMonth() + 1),
  dd: (d) => pad(d.getUTCDate()),
  HH: (d) => pad(d.getUTCHours()),
  mm: (d) => pad(d.getUTCMinutes()),
  ss: (d) => pad(d.getUTCSeconds()),
  SSS: (d) => pad(d.getUTCMilliseconds(), 3),
};

/** A date column as dateTimeFormat says: ISO8601 (UTC), epochMillis, or a yyyy-MM-dd... pattern. */
export function formatDate(date: Date | null, format: string): string | number | null {
  if (date === null) return null;
  if (format === 'ISO8601') return date.toISOString();
  if (format === 'epochMillis') return date.getTime();
  return format.replace(/yyyy|MM|dd|HH|mm|ss|SSS/g, (token) => TOKENS[token]!(date));
}
