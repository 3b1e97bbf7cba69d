// The zookit package entry. The client arrives with the core-client issue; today it exposes the
// wire protocol and the error types the client will raise.
export * from '../protocol/index.js';
export * from './errors.js';
export { fourLetterWord } from './four-letter-words.js';
