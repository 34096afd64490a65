/**
 * Tool-call formats: model text and structured tool calls parsed into calls (Python call syntax, Java/JavaScript
 * call syntax, JSON tool calls, `<tool_call>` blocks), with Python values kept exact. Used by the BFCL checker,
 * the agents and the server.
 */
export { PyTuple, pyEquals, pyRepr, pyType, isPyDict, isPyList, type PyDict, type PyList, type PyScalar, type PyTypeName, type PyValue } from './values.js';
export { JsonSyntaxError, parseJson } from './json.js';
export { DecodeError, decodePythonCalls, parsePythonValue, type DecodedCall } from './python-syntax.js';
export { decodeCLikeCalls, type CLikeLanguage } from './c-like-syntax.js';
export { decodeModelOutput, decodeToolCalls, type CallLanguage, type DecodeFormat, type DecodeOutcome } from './decode.js';
