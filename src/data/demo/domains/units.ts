import { choice, domain, n, num, round, s, type ToolSpec } from '../define.js';

/** A converter between units that are multiples of one base unit; `factors` gives each unit in base units. */
function linearConverter(
  name: string,
  quantity: string,
  factors: Readonly<Record<string, number>>,
  unitWords: Readonly<Record<string, string>>,
  max: number,
  extraTemplates: string[],
): ToolSpec {
  const units = Object.keys(factors);
  return {
    name,
    description: `Converts a ${quantity} between units (${units.map((u) => unitWords[u] ?? u).join(', ')}).`,
    params: {
      value: num(`The ${quantity} to convert`, 0, max, 2),
      from_unit: choice('Unit of the given value', units, unitWords),
      to_unit: choice('Unit to convert to', units, unitWords),
    },
    run: (a) => round((n(a, 'value') * factors[s(a, 'from_unit')]!) / factors[s(a, 'to_unit')]!),
    distinct: ['from_unit', 'to_unit'],
    templates: ['Convert {value} {from_unit} to {to_unit}.', 'How many {to_unit} is {value} {from_unit}?', ...extraTemplates],
  };
}

export const unitTools = domain('units', [
  {
    name: 'convert_temperature',
    description: 'Converts a temperature between Celsius, Fahrenheit and Kelvin.',
    params: {
      value: num('The temperature to convert', -100, 500, 1),
      from_scale: choice('Scale of the given temperature', ['C', 'F', 'K'], { C: 'degrees Celsius', F: 'degrees Fahrenheit', K: 'kelvin' }),
      to_scale: choice('Scale to convert to', ['C', 'F', 'K'], { C: 'Celsius', F: 'Fahrenheit', K: 'kelvin' }),
    },
    run: (a) => {
      const value = n(a, 'value');
      const from = s(a, 'from_scale');
      const celsius = from === 'C' ? value : from === 'F' ? ((value - 32) * 5) / 9 : value - 273.15;
      const to = s(a, 'to_scale');
      return round(to === 'C' ? celsius : to === 'F' ? (celsius * 9) / 5 + 32 : celsius + 273.15, 4);
    },
    distinct: ['from_scale', 'to_scale'],
    templates: [
      'Convert {value} {from_scale} to {to_scale}.',
      'What is {value} {from_scale} in {to_scale}?',
      'If it is {value} {from_scale} outside, what is that in {to_scale}?',
    ],
  },
  linearConverter('convert_length', 'length', { mm: 0.001, cm: 0.01, m: 1, km: 1000, in: 0.0254, ft: 0.3048, yd: 0.9144, mi: 1609.344 },
    { mm: 'millimeters', cm: 'centimeters', m: 'meters', km: 'kilometers', in: 'inches', ft: 'feet', yd: 'yards', mi: 'miles' }, 10000,
    ['I ran {value} {from_unit}; how far is that in {to_unit}?']),
  linearConverter('convert_mass', 'mass', { mg: 1e-6, g: 0.001, kg: 1, t: 1000, oz: 0.028349523125, lb: 0.45359237, st: 6.35029318 },
    { mg: 'milligrams', g: 'grams', kg: 'kilograms', t: 'tonnes', oz: 'ounces', lb: 'pounds', st: 'stone' }, 5000,
    ['My parcel weighs {value} {from_unit}. What is that in {to_unit}?']),
  linearConverter('convert_volume', 'volume', { ml: 0.001, l: 1, m3: 1000, tsp: 0.00492892159375, tbsp: 0.01478676478125, cup: 0.2365882365, gal: 3.785411784 },
    { ml: 'milliliters', l: 'liters', m3: 'cubic meters', tsp: 'teaspoons', tbsp: 'tablespoons', cup: 'US cups', gal: 'US gallons' }, 1000,
    ['The recipe needs {value} {from_unit}; how much is that in {to_unit}?']),
  linearConverter('convert_speed', 'speed', { 'm/s': 1, 'km/h': 1 / 3.6, mph: 0.44704, knot: 1852 / 3600 },
    { 'm/s': 'meters per second', 'km/h': 'kilometers per hour', mph: 'miles per hour', knot: 'knots' }, 400,
    ['A car drives at {value} {from_unit}. What speed is that in {to_unit}?']),
  linearConverter('convert_area', 'area', { m2: 1, km2: 1e6, ha: 1e4, acre: 4046.8564224, ft2: 0.09290304 },
    { m2: 'square meters', km2: 'square kilometers', ha: 'hectares', acre: 'acres', ft2: 'square feet' }, 100000,
    ['Our land is {value} {from_unit}. How big is it in {to_unit}?']),
  linearConverter('convert_data_size', 'amount of digital data', { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 },
    { B: 'bytes', KB: 'kilobytes', MB: 'megabytes', GB: 'gigabytes', TB: 'terabytes', KiB: 'kibibytes', MiB: 'mebibytes', GiB: 'gibibytes' }, 100000,
    ['My file is {value} {from_unit}; what is its size in {to_unit}?']),
  linearConverter('convert_duration', 'duration', { s: 1, min: 60, h: 3600, day: 86400, week: 604800 },
    { s: 'seconds', min: 'minutes', h: 'hours', day: 'days', week: 'weeks' }, 100000,
    ['The job took {value} {from_unit}. How long is that in {to_unit}?']),
  linearConverter('convert_energy', 'energy', { J: 1, kJ: 1000, cal: 4.184, kcal: 4184, Wh: 3600, kWh: 3.6e6 },
    { J: 'joules', kJ: 'kilojoules', cal: 'calories', kcal: 'kilocalories', Wh: 'watt-hours', kWh: 'kilowatt-hours' }, 100000,
    ['A snack has {value} {from_unit} of energy. How much is that in {to_unit}?']),
  linearConverter('convert_pressure', 'pressure', { Pa: 1, kPa: 1000, bar: 1e5, atm: 101325, psi: 6894.757293168, mmHg: 133.322387415 },
    { Pa: 'pascals', kPa: 'kilopascals', bar: 'bar', atm: 'atmospheres', psi: 'psi', mmHg: 'millimeters of mercury' }, 10000,
    ['The tire pressure reads {value} {from_unit}. What is that in {to_unit}?']),
  {
    name: 'fuel_economy_convert',
    description: 'Converts fuel economy between liters per 100 km and miles per US gallon.',
    params: {
      value: num('The fuel economy figure (positive)', 1, 100, 1),
      from_unit: choice('Unit of the given figure', ['l/100km', 'mpg'], { 'l/100km': 'liters per 100 km', mpg: 'miles per gallon' }),
    },
    run: (a) => round(235.214583 / n(a, 'value'), 4),
    templates: [
      'My car uses {value} {from_unit}. What is that the other way round?',
      'Convert a fuel economy of {value} {from_unit} to the other unit.',
      'Translate {value} {from_unit} between mpg and l/100km.',
    ],
  },
  {
    name: 'shoe_size_us_to_eu',
    description: 'Converts an adult US men\'s shoe size to the EU size by the common rule of thumb EU = US + 33.',
    params: { us_size: num('The US men\'s shoe size', 4, 16, 1) },
    run: (a) => round(n(a, 'us_size') + 33, 1),
    templates: [
      'I wear US size {us_size} shoes. What is my EU size?',
      'Convert US shoe size {us_size} to European sizing.',
      'What is a US {us_size} shoe in EU sizes?',
    ],
  },
]);
