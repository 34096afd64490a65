import { errorWithCode } from '../util/errors.js';
/** A checkpoint or model file that cannot be read as what it claims to be; the message names the file and the problem. */
export class CheckpointError extends errorWithCode('CHECKPOINT_INVALID') {}
