export * from './kinds.js';
export { jsonSyntaxMessage, parseJsonText } from './json.js';
