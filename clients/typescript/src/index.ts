// A client of the access-controller decision server (clients/openapi.yaml,
// docs/decision-server.md): DecisionClient asks, DecisionError says why not,
// and matches, where and shown apply a /v1/filter answer to records or SQL.

export * from './types.js';
export { DecisionClient, DecisionError, compareFreshness } from './client.js';
export type { CallOptions, DecisionClientOptions } from './client.js';
export {
  dollar,
  fields,
  groupTable,
  matches,
  ownerKey,
  postgresArray,
  questionMark,
  shown,
  sqliteJsonArray,
  where,
} from './filter.js';
export type { Columns, FilterRecord, GroupSet, Placeholder, SqlCondition } from './filter.js';
