import { domain, n, num, round, type DemoParam } from '../define.js';

const EARTH_RADIUS_KM = 6371.0088;
const rad = (deg: number): number => (deg * Math.PI) / 180;

/** The parameters of a tool on two points of the plane, (x1, y1) and (x2, y2), each coordinate from -100 to 100. */
const twoPoints = (): Record<string, DemoParam> => ({
  x1: num('x of the first point', -100, 100),
  y1: num('y of the first point', -100, 100),
  x2: num('x of the second point', -100, 100),
  y2: num('y of the second point', -100, 100),
});

export const geometryTools = domain('geometry', [
  {
    name: 'circle_area',
    description: 'Computes the area of a circle from its radius.',
    params: { radius: num('Radius of the circle', 0, 1000, 2) },
    run: (a) => round(Math.PI * n(a, 'radius') ** 2),
    templates: [
      'What is the area of a circle with radius {radius}?',
      'Compute the area of a circle whose radius is {radius}.',
      'How much surface does a round table of radius {radius} cover?',
    ],
  },
  {
    name: 'circle_circumference',
    description: 'Computes the circumference of a circle from its radius.',
    params: { radius: num('Radius of the circle', 0, 1000, 2) },
    run: (a) => round(2 * Math.PI * n(a, 'radius')),
    templates: [
      'What is the circumference of a circle with radius {radius}?',
      'How long is the perimeter of a circle of radius {radius}?',
      'Compute the distance around a circle with a {radius} radius.',
    ],
  },
  {
    name: 'rectangle_area',
    description: 'Computes the area of a rectangle.',
    params: { width: num('Width', 0, 1000, 1), height: num('Height', 0, 1000, 1) },
    run: (a) => round(n(a, 'width') * n(a, 'height')),
    templates: [
      'What is the area of a {width} by {height} rectangle?',
      'Compute the area of a rectangle with width {width} and height {height}.',
      'How many square units is a room of {width} x {height}?',
    ],
  },
  {
    name: 'triangle_area_from_sides',
    description: 'Computes the area of a triangle from its three side lengths (Heron\'s formula).',
    params: { a: num('First side', 3, 100), b: num('Second side', 3, 100), c: num('Third side', 3, 100) },
    run: (args) => {
      const [a, b, c] = [n(args, 'a'), n(args, 'b'), n(args, 'c')];
      const p = (a + b + c) / 2;
      const squared = p * (p - a) * (p - b) * (p - c);
      return squared <= 0 ? 0 : round(Math.sqrt(squared)); // sides that cannot close a triangle enclose no area
    },
    templates: [
      'What is the area of a triangle with sides {a}, {b} and {c}?',
      'Use Heron\'s formula for sides {a}, {b}, {c}.',
      'A triangle has side lengths {a}, {b} and {c}. How large is its area?',
    ],
  },
  {
    name: 'hypotenuse_length',
    description: 'Computes the hypotenuse of a right triangle from its two legs.',
    params: { leg_a: num('First leg', 0, 1000, 1), leg_b: num('Second leg', 0, 1000, 1) },
    run: (a) => round(Math.hypot(n(a, 'leg_a'), n(a, 'leg_b'))),
    templates: [
      'What is the hypotenuse of a right triangle with legs {leg_a} and {leg_b}?',
      'Use Pythagoras on legs {leg_a} and {leg_b}.',
      'A ladder reaches {leg_b} up a wall standing {leg_a} from it. How long is the ladder?',
    ],
  },
  {
    name: 'distance_between_points',
    description: 'Computes the straight-line distance between two points in the plane.',
    params: twoPoints(),
    run: (a) => round(Math.hypot(n(a, 'x2') - n(a, 'x1'), n(a, 'y2') - n(a, 'y1'))),
    templates: [
      'What is the distance between ({x1}, {y1}) and ({x2}, {y2})?',
      'How far apart are the points ({x1},{y1}) and ({x2},{y2})?',
      'Compute the Euclidean distance from ({x1}, {y1}) to ({x2}, {y2}).',
    ],
  },
  {
    name: 'midpoint',
    description: 'Computes the midpoint of the segment between two points in the plane.',
    params: twoPoints(),
    run: (a) => ({ x: (n(a, 'x1') + n(a, 'x2')) / 2, y: (n(a, 'y1') + n(a, 'y2')) / 2 }),
    templates: [
      'What is the midpoint between ({x1}, {y1}) and ({x2}, {y2})?',
      'Find the point halfway from ({x1},{y1}) to ({x2},{y2}).',
      'Where is the center of the segment joining ({x1}, {y1}) and ({x2}, {y2})?',
    ],
  },
  {
    name: 'sphere_volume',
    description: 'Computes the volume of a sphere from its radius.',
    params: { radius: num('Radius of the sphere', 0, 500, 2) },
    run: (a) => round((4 / 3) * Math.PI * n(a, 'radius') ** 3),
    templates: [
      'What is the volume of a sphere with radius {radius}?',
      'How much does a ball of radius {radius} hold?',
      'Compute the volume of a sphere whose radius is {radius}.',
    ],
  },
  {
    name: 'cylinder_volume',
    description: 'Computes the volume of a cylinder from its radius and height.',
    params: { radius: num('Radius of the base', 0, 500, 2), height: num('Height', 0, 500, 2) },
    run: (a) => round(Math.PI * n(a, 'radius') ** 2 * n(a, 'height')),
    templates: [
      'What is the volume of a cylinder with radius {radius} and height {height}?',
      'How much fits in a can of radius {radius} and height {height}?',
      'Compute the volume of a {height} tall cylinder with radius {radius}.',
    ],
  },
  {
    name: 'cone_volume',
    description: 'Computes the volume of a cone from its base radius and height.',
    params: { radius: num('Radius of the base', 0, 500, 2), height: num('Height', 0, 500, 2) },
    run: (a) => round((Math.PI * n(a, 'radius') ** 2 * n(a, 'height')) / 3),
    templates: [
      'What is the volume of a cone with radius {radius} and height {height}?',
      'How much ice cream fits in a cone of radius {radius}, height {height}?',
      'Compute the volume of a cone: base radius {radius}, height {height}.',
    ],
  },
  {
    name: 'polygon_interior_angle',
    description: 'Returns the interior angle in degrees of a regular polygon with a given number of sides.',
    params: { sides: num('Number of sides', 3, 100) },
    run: (a) => round(((n(a, 'sides') - 2) * 180) / n(a, 'sides')),
    templates: [
      'What is each interior angle of a regular polygon with {sides} sides?',
      'How many degrees is the inner angle of a regular {sides}-gon?',
      'Interior angle of a regular shape with {sides} sides?',
    ],
  },
  {
    name: 'degrees_to_radians',
    description: 'Converts an angle from degrees to radians.',
    params: { degrees: num('Angle in degrees', -720, 720, 1) },
    run: (a) => round(rad(n(a, 'degrees'))),
    templates: [
      'Convert {degrees} degrees to radians.',
      'What is {degrees}° in radians?',
      'How many radians is an angle of {degrees} degrees?',
    ],
  },
  {
    name: 'great_circle_distance',
    description: 'Computes the great-circle (haversine) distance in kilometers between two latitude/longitude points.',
    params: {
      lat1: num('Latitude of the first point', -90, 90, 4),
      lon1: num('Longitude of the first point', -180, 180, 4),
      lat2: num('Latitude of the second point', -90, 90, 4),
      lon2: num('Longitude of the second point', -180, 180, 4),
    },
    run: (a) => {
      const dLat = rad(n(a, 'lat2') - n(a, 'lat1'));
      const dLon = rad(n(a, 'lon2') - n(a, 'lon1'));
      const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(n(a, 'lat1'))) * Math.cos(rad(n(a, 'lat2'))) * Math.sin(dLon / 2) ** 2;
      return round(2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h))), 3);
    },
    templates: [
      'How far is it from latitude {lat1}, longitude {lon1} to latitude {lat2}, longitude {lon2}?',
      'Great-circle distance between ({lat1}, {lon1}) and ({lat2}, {lon2}) in km?',
      'As the crow flies, how many kilometers separate coordinates {lat1},{lon1} and {lat2},{lon2}?',
    ],
  },
]);
