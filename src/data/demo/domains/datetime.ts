import { choice, date, domain, n, num, s, daysInMonth } from '../define.js';

const DAY_MS = 86_400_000;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Milliseconds since the epoch at UTC midnight of a `YYYY-MM-DD` date. */
const parseDay = (iso: string): number => Date.parse(`${iso}T00:00:00Z`);
const formatDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

function isoWeek(ms: number): number {
  const d = new Date(ms);
  const weekday = (d.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = ms + (3 - weekday) * DAY_MS; // the ISO week belongs to the year of its Thursday
  const yearStart = Date.UTC(new Date(thursday).getUTCFullYear(), 0, 1);
  return 1 + Math.floor((thursday - yearStart) / (7 * DAY_MS));
}

export const dateTimeTools = domain('datetime', [
  {
    name: 'days_between_dates',
    description: 'Counts the days from one date to another (negative when the second is earlier).',
    params: { start_date: date('First date, YYYY-MM-DD'), end_date: date('Second date, YYYY-MM-DD') },
    run: (a) => Math.round((parseDay(s(a, 'end_date')) - parseDay(s(a, 'start_date'))) / DAY_MS),
    templates: [
      'How many days are there between {start_date} and {end_date}?',
      'Count the days from {start_date} to {end_date}.',
      'What is the number of days separating {start_date} and {end_date}?',
    ],
  },
  {
    name: 'add_days_to_date',
    description: 'Adds a number of days (possibly negative) to a date.',
    params: { date: date('Start date, YYYY-MM-DD'), days: num('Days to add; negative goes back', -1000, 1000) },
    run: (a) => formatDay(parseDay(s(a, 'date')) + n(a, 'days') * DAY_MS),
    templates: [
      'What date is {days} days after {date}?',
      'Add {days} days to {date}.',
      'If I start on {date}, which date is it {days} days later?',
    ],
  },
  {
    name: 'day_of_week',
    description: 'Tells which day of the week a date falls on.',
    params: { date: date('The date, YYYY-MM-DD', 1900, 2100) },
    run: (a) => WEEKDAYS[new Date(parseDay(s(a, 'date'))).getUTCDay()]!,
    templates: ['What day of the week is {date}?', 'Which weekday was {date}?', 'Does {date} fall on a weekend or which weekday?'],
  },
  {
    name: 'is_leap_year',
    description: 'Tells whether a year of the Gregorian calendar is a leap year.',
    params: { year: num('The year', 1, 9999) },
    run: (a) => isLeap(n(a, 'year')),
    templates: ['Is {year} a leap year?', 'Does the year {year} have a February 29th?', 'Check if {year} has 366 days.'],
  },
  {
    name: 'days_in_month',
    description: 'Returns the number of days in a month of a given year.',
    params: { year: num('The year', 1900, 2100), month: num('The month, 1 = January', 1, 12) },
    run: (a) => daysInMonth(n(a, 'year'), n(a, 'month')),
    templates: [
      'How many days are in month {month} of {year}?',
      'How long is month number {month} in {year}, in days?',
      'Give me the day count of month {month}, {year}.',
    ],
  },
  {
    name: 'age_on_date',
    description: 'Computes a person\'s age in whole years on a given date from their birth date.',
    params: { birth_date: date('Date of birth, YYYY-MM-DD', 1920, 2010), on_date: date('The date to compute the age on, YYYY-MM-DD', 2011, 2035) },
    run: (a) => {
      const [by, bm, bd] = s(a, 'birth_date').split('-').map(Number) as [number, number, number];
      const [y, m, d] = s(a, 'on_date').split('-').map(Number) as [number, number, number];
      return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
    },
    templates: [
      'How old is someone born on {birth_date} on {on_date}?',
      'Someone was born {birth_date}. What is their age on {on_date}?',
      'Compute the age on {on_date} of a person born on {birth_date}.',
    ],
  },
  {
    name: 'iso_week_number',
    description: 'Returns the ISO-8601 week number (1-53) of a date.',
    params: { date: date('The date, YYYY-MM-DD') },
    run: (a) => isoWeek(parseDay(s(a, 'date'))),
    templates: ['What ISO week number is {date} in?', 'Which calendar week does {date} belong to?', 'Give me the week number of {date}.'],
  },
  {
    name: 'day_of_year',
    description: 'Returns the ordinal day of the year (1 = January 1st) of a date.',
    params: { date: date('The date, YYYY-MM-DD') },
    run: (a) => {
      const ms = parseDay(s(a, 'date'));
      return 1 + Math.round((ms - Date.UTC(new Date(ms).getUTCFullYear(), 0, 1)) / DAY_MS);
    },
    templates: ['What day of the year is {date}?', 'Which ordinal day of its year is {date}?', 'How many days into the year is {date}?'],
  },
  {
    name: 'seconds_to_clock',
    description: 'Formats a number of seconds as hours, minutes and seconds (H:MM:SS).',
    params: { seconds: num('A duration in seconds', 0, 1000000) },
    run: (a) => {
      const total = n(a, 'seconds');
      const pad = (x: number): string => String(x).padStart(2, '0');
      return `${Math.floor(total / 3600)}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
    },
    templates: [
      'Format {seconds} seconds as hours, minutes and seconds.',
      'How many hours and minutes are {seconds} seconds?',
      'Show {seconds} s as H:MM:SS.',
    ],
  },
  {
    name: 'unix_timestamp_to_date',
    description: 'Converts a Unix timestamp (seconds since 1970-01-01 UTC) to an ISO-8601 UTC date and time.',
    params: { timestamp: num('Seconds since the Unix epoch', 0, 4000000000) },
    run: (a) => new Date(n(a, 'timestamp') * 1000).toISOString().replace('.000Z', 'Z'),
    templates: [
      'What date and time is the Unix timestamp {timestamp}?',
      'Convert epoch time {timestamp} to a readable date.',
      'Which UTC time does timestamp {timestamp} stand for?',
    ],
  },
  {
    name: 'date_to_unix_timestamp',
    description: 'Converts a date (UTC midnight) to a Unix timestamp in seconds.',
    params: { date: date('The date, YYYY-MM-DD') },
    run: (a) => parseDay(s(a, 'date')) / 1000,
    templates: [
      'What is the Unix timestamp of {date}?',
      'Convert {date} to epoch seconds.',
      'Give me the epoch time for midnight UTC on {date}.',
    ],
  },
  {
    name: 'format_date_long',
    description: 'Writes a date out in words, e.g. "Tuesday, 5 March 2024".',
    params: { date: date('The date, YYYY-MM-DD') },
    run: (a) => {
      const d = new Date(parseDay(s(a, 'date')));
      return `${WEEKDAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
    },
    templates: [
      'Write {date} out in words.',
      'Spell out the date {date} with weekday and month name.',
      'Turn {date} into a long human-readable date.',
    ],
  },
  {
    name: 'quarter_of_date',
    description: 'Returns the calendar or fiscal quarter (1-4) a date falls in; fiscal years may start in April.',
    params: {
      date: date('The date, YYYY-MM-DD'),
      calendar: choice('Calendar or April-start fiscal year', ['calendar', 'fiscal-april'], { calendar: 'calendar', 'fiscal-april': 'April-start fiscal' }),
    },
    required: ['date'],
    run: (a) => {
      const month = Number(s(a, 'date').slice(5, 7));
      const shifted = a.calendar === 'fiscal-april' ? (month + 8) % 12 : month - 1;
      return 1 + Math.floor(shifted / 3);
    },
    templates: [
      'Which quarter is {date} in?',
      'In the {calendar} year, which quarter contains {date}?',
      'Tell me the {calendar} quarter for {date}.',
    ],
  },
]);
