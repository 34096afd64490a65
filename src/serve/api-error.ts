/**
 * Errors in the OpenAI API's shape: `{ error: { message, type, param, code } }` with an HTTP status. `param` names
 * the request field at fault, so a client (and its user) knows what to fix.
 */
export type ApiErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'rate_limit_error' | 'server_error';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ApiErrorType,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** A 400 about one field of the request. */
  static invalid(param: string, message: string, code: string | null = null): ApiError {
    return new ApiError(400, 'invalid_request_error', `${param}: ${message}`, param, code);
  }

  body(): { error: { message: string; type: ApiErrorType; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}
