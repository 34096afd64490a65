import { ToolkenError } from '../util/errors.js';
/** A checkpoint or model file that cannot be read as what it claims to be; the message names the file and the problem. */
export class CheckpointError extends ToolkenError {
  constructor(message: string) {
    super('CHECKPOINT_INVALID', message);
  }
}
