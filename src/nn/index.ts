/** Neural-network building blocks: modules with named parameter trees, layers and optimizers. */
export { Module, matchesName } from './module.js';
export type { NamePattern, StateDict } from './module.js';
export { Parameter } from './parameter.js';
export type { RowRange } from './parameter.js';
export { Linear } from './linear.js';
export type { LinearOptions } from './linear.js';
export { Embedding } from './embedding.js';
export { LayerNorm, RMSNorm } from './norm.js';
export * from './optim/index.js';
