import { choice, domain, n, num, round, s, text, type Args, type DemoParam } from '../define.js';

const HEX_COLORS = ['#ff5733', '#1e90ff', '#2ecc71', '#000000', '#ffffff', '#8e44ad', '#f1c40f', '#34495e', '#e74c3c', '#7fdbff'];
const hexColor = (description: string) => text(description, HEX_COLORS);

type Rgb = [number, number, number];
/** The parameters of a tool on a color given as red, green and blue, each 0 to 255; `rgbArgs` reads them back. */
const rgbParams = (): Record<string, DemoParam> => ({ r: num('Red, 0-255', 0, 255), g: num('Green, 0-255', 0, 255), b: num('Blue, 0-255', 0, 255) });
const rgbArgs = (a: Args): Rgb => [n(a, 'r'), n(a, 'g'), n(a, 'b')];
const parseHex = (hex: string): Rgb => {
  const h = hex.replace('#', '');
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as Rgb;
};
const toHex = (rgb: Rgb): string => '#' + rgb.map((c) => Math.round(Math.min(255, Math.max(0, c))).toString(16).padStart(2, '0')).join('');

function rgbToHsl([r, g, b]: Rgb): { h: number; s: number; l: number } {
  const [rr, gg, bb] = [r / 255, g / 255, b / 255];
  const max = Math.max(rr, gg, bb);
  const min = Math.min(rr, gg, bb);
  const l = (max + min) / 2;
  const d = max - min;
  if (d === 0) return { h: 0, s: 0, l: round(l * 100, 1) };
  const sat = d / (1 - Math.abs(2 * l - 1));
  let h = max === rr ? ((gg - bb) / d) % 6 : max === gg ? (bb - rr) / d + 2 : (rr - gg) / d + 4;
  h = (h * 60 + 360) % 360;
  return { h: round(h, 1), s: round(sat * 100, 1), l: round(l * 100, 1) };
}

function hslToRgb(h: number, sat: number, l: number): Rgb {
  const c = (1 - Math.abs((2 * l) / 100 - 1)) * (sat / 100);
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l / 100 - c / 2;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/** WCAG 2 relative luminance of an sRGB color. */
function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** `hex` with its HSL lightness moved by `points` percentage points, kept within 0 to 100. */
function shiftLightness(hex: string, points: number): string {
  const { h, s: sat, l } = rgbToHsl(parseHex(hex));
  return toHex(hslToRgb(h, sat, Math.min(100, Math.max(0, l + points))));
}

export const colorTools = domain('colors', [
  {
    name: 'hex_to_rgb',
    description: 'Converts a hex color code like #ff5733 to red, green and blue values.',
    params: { hex: hexColor('Color as #rrggbb') },
    run: (a) => {
      const [r, g, b] = parseHex(s(a, 'hex'));
      return { r, g, b };
    },
    templates: ['What are the RGB values of {hex}?', 'Convert the hex color {hex} to RGB.', 'Break {hex} into red, green and blue.'],
  },
  {
    name: 'rgb_to_hex',
    description: 'Converts red, green and blue values (0-255) to a hex color code.',
    params: rgbParams(),
    run: (a) => toHex(rgbArgs(a)),
    templates: [
      'What is the hex code for rgb({r}, {g}, {b})?',
      'Convert red {r}, green {g}, blue {b} to a hex color.',
      'Give me the #rrggbb code of the color ({r}, {g}, {b}).',
    ],
  },
  {
    name: 'rgb_to_hsl',
    description: 'Converts an RGB color to hue (degrees), saturation and lightness (percent).',
    params: rgbParams(),
    run: (a) => rgbToHsl(rgbArgs(a)),
    templates: [
      'Convert rgb({r}, {g}, {b}) to HSL.',
      'What are the hue, saturation and lightness of red {r} green {g} blue {b}?',
      'Express the color ({r}, {g}, {b}) in HSL.',
    ],
  },
  {
    name: 'hsl_to_hex',
    description: 'Converts hue (degrees), saturation and lightness (percent) to a hex color code.',
    params: { hue: num('Hue in degrees', 0, 359), saturation: num('Saturation in percent', 0, 100), lightness: num('Lightness in percent', 0, 100) },
    run: (a) => toHex(hslToRgb(n(a, 'hue'), n(a, 'saturation'), n(a, 'lightness'))),
    templates: [
      'What hex color is hsl({hue}, {saturation}%, {lightness}%)?',
      'Convert hue {hue}, saturation {saturation}, lightness {lightness} to hex.',
      'Give me the hex code for HSL {hue} {saturation} {lightness}.',
    ],
  },
  {
    name: 'contrast_ratio',
    description: 'Computes the WCAG contrast ratio (1 to 21) between a text color and a background color.',
    params: { foreground: hexColor('Text color as #rrggbb'), background: hexColor('Background color as #rrggbb') },
    run: (a) => {
      const [l1, l2] = [luminance(parseHex(s(a, 'foreground'))), luminance(parseHex(s(a, 'background')))];
      return round((Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05), 2);
    },
    distinct: ['foreground', 'background'],
    templates: [
      'What is the contrast ratio between {foreground} text and a {background} background?',
      'Is {foreground} on {background} readable? Give me the WCAG contrast ratio.',
      'Check the accessibility contrast of {foreground} against {background}.',
    ],
  },
  {
    name: 'lighten_color',
    description: 'Makes a color lighter by raising its HSL lightness by a number of percentage points.',
    params: { hex: hexColor('Color as #rrggbb'), amount: num('Percentage points to add to the lightness', 1, 50) },
    run: (a) => shiftLightness(s(a, 'hex'), n(a, 'amount')),
    templates: [
      'Lighten {hex} by {amount}%.',
      'Make the color {hex} {amount} percent lighter.',
      'Give me a lighter shade of {hex}, {amount} points brighter.',
    ],
  },
  {
    name: 'darken_color',
    description: 'Makes a color darker by lowering its HSL lightness by a number of percentage points.',
    params: { hex: hexColor('Color as #rrggbb'), amount: num('Percentage points to remove from the lightness', 1, 50) },
    run: (a) => shiftLightness(s(a, 'hex'), -n(a, 'amount')),
    templates: [
      'Darken {hex} by {amount}%.',
      'Make {hex} {amount} percent darker.',
      'Give me a deeper shade of {hex}, {amount} points darker.',
    ],
  },
  {
    name: 'invert_color',
    description: 'Returns the inverse (negative) of a hex color.',
    params: { hex: hexColor('Color as #rrggbb') },
    run: (a) => toHex(parseHex(s(a, 'hex')).map((c) => 255 - c) as Rgb),
    templates: ['What is the inverse of {hex}?', 'Invert the color {hex}.', 'Give me the photographic negative of {hex}.'],
  },
  {
    name: 'complementary_color',
    description: 'Returns the complementary color: the same saturation and lightness with the hue turned 180 degrees.',
    params: { hex: hexColor('Color as #rrggbb') },
    run: (a) => {
      const { h, s: sat, l } = rgbToHsl(parseHex(s(a, 'hex')));
      return toHex(hslToRgb((h + 180) % 360, sat, l));
    },
    templates: [
      'What is the complementary color of {hex}?',
      'Which color sits opposite {hex} on the color wheel?',
      'Find a complement for {hex}.',
    ],
  },
  {
    name: 'mix_colors',
    description: 'Mixes two colors channel by channel with a weight for the second color.',
    params: {
      first: hexColor('First color as #rrggbb'),
      second: hexColor('Second color as #rrggbb'),
      weight_percent: num('Share of the second color in percent', 0, 100),
    },
    required: ['first', 'second'],
    run: (a) => {
      const w = ((a.weight_percent as number | undefined) ?? 50) / 100;
      const [x, y] = [parseHex(s(a, 'first')), parseHex(s(a, 'second'))];
      return toHex(x.map((c, i) => c * (1 - w) + y[i]! * w) as Rgb);
    },
    distinct: ['first', 'second'],
    templates: [
      'Mix {first} and {second}.',
      'Blend {first} with {weight_percent}% of {second}.',
      'What color do I get combining {first} and {second} with {weight_percent} percent of the second?',
    ],
  },
  {
    name: 'color_to_grayscale',
    description: 'Converts a color to the gray of the same perceived brightness (Rec. 709 luma).',
    params: { hex: hexColor('Color as #rrggbb') },
    run: (a) => {
      const [r, g, b] = parseHex(s(a, 'hex'));
      const gray = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      return toHex([gray, gray, gray]);
    },
    templates: ['Convert {hex} to grayscale.', 'What gray has the same brightness as {hex}?', 'Desaturate the color {hex} completely.'],
  },
  {
    name: 'rgb_to_cmyk',
    description: 'Converts an RGB color to cyan, magenta, yellow and key (black) percentages.',
    params: rgbParams(),
    run: (a) => {
      const [r, g, b] = rgbArgs(a).map((c) => c / 255) as Rgb;
      const k = 1 - Math.max(r, g, b);
      if (k === 1) return { c: 0, m: 0, y: 0, k: 100 };
      const part = (x: number): number => round(((1 - x - k) / (1 - k)) * 100, 1);
      return { c: part(r), m: part(g), y: part(b), k: round(k * 100, 1) };
    },
    templates: [
      'Convert rgb({r}, {g}, {b}) to CMYK.',
      'What are the CMYK print values for red {r}, green {g}, blue {b}?',
      'I need ({r}, {g}, {b}) as cyan, magenta, yellow and black.',
    ],
  },
  {
    name: 'named_color_to_hex',
    description: 'Looks up the hex code of a CSS named color.',
    params: {
      name: choice('CSS color name', ['red', 'green', 'blue', 'orange', 'purple', 'teal', 'navy', 'gold', 'salmon', 'coral', 'indigo', 'olive']),
    },
    run: (a) =>
      ({
        red: '#ff0000', green: '#008000', blue: '#0000ff', orange: '#ffa500', purple: '#800080', teal: '#008080',
        navy: '#000080', gold: '#ffd700', salmon: '#fa8072', coral: '#ff7f50', indigo: '#4b0082', olive: '#808000',
      })[s(a, 'name')]!,
    templates: [
      'What is the hex code of the CSS color {name}?',
      'Give me the hex value for {name}.',
      'Which #rrggbb does the color name {name} stand for?',
    ],
  },
]);
