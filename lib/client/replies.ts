// What a reply becomes for the caller: one converter per reply shape, shared by every call, so a
// request allocates no closure for it. They run inside the session as the reply is read, so a
// caller's promise settles in the same tick, in request order.

import { ErrorCode } from '../../protocol/error-codes.js';
import type { ClientInfo, Stat } from '../../protocol/records.js';

export const statOf = (r: { stat: Stat }): Stat => r.stat;
export const dataAndStat = (r: { data: Buffer | null; stat: Stat }): [Buffer | null, Stat] => [
  r.data,
  r.stat,
];
export const childrenOf = (r: { children: string[] }): string[] => r.children;
export const childrenAndStat = (r: { children: string[]; stat: Stat }): [string[], Stat] => [
  r.children,
  r.stat,
];
export const clientInfoOf = (r: { clientInfo: ClientInfo[] }): ClientInfo[] => r.clientInfo;
export const toVoid = (): undefined => undefined;

const NULL_VALUE = { value: null };
/** exists: NONODE is an answer (null), not a failure. */
export const nullOnNoNode = (code: number): { value: null } | undefined =>
  code === ErrorCode.NONODE ? NULL_VALUE : undefined;
