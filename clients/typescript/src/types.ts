// The decision server's requests and answers, as clients/openapi.yaml
// describes them (internal/decision/openapi_test.go holds that document to
// the server's Go types).

/** An action on records of an object type. */
export type Action = 'view' | 'create' | 'edit' | 'delete' | 'export' | 'viewAll' | 'modifyAll';

/** What a record states of its sharing. */
export type Visibility = 'Public' | 'Group' | 'OwnerAndGroups' | 'Private';

/** A user's access to a record: None < Read < ReadWrite. */
export type AccessLevel = 'None' | 'Read' | 'ReadWrite';

/**
 * One access question: a capability, or an action on a type, either
 * functional (no owner: "may she edit deals at all?") or about one record
 * (its owner, and the visibility, groups and field it states). Give exactly
 * one of capability and action.
 */
export interface Question {
  /** The Tenant's name. */
  tenant: string;
  /** The user's e-mail, any case. Required by check and batch-check; who-can refuses it. */
  user?: string;
  /** A capability name, e.g. `reports.access`. */
  capability?: string;
  action?: Action;
  /** The object type, a lowercase DNS label (`deals`). Required with action. */
  type?: string;
  /** The record owner's e-mail; the server reads her role and membership itself. */
  owner?: string;
  /** Only with owner. */
  visibility?: Visibility;
  /** The roles the record names. Only with owner. */
  groups?: string[];
  /** One field of the record to ask about. Only with owner. */
  field?: string;
}

/** The kinds whose writes afterWrite can wait for. */
export type WriteKind = 'Member' | 'Tenant' | 'Role' | 'PermissionSet' | 'PartnerAccess' | 'VisibilityPolicy';

/**
 * A write the caller made to one of the controller's inputs, named by the
 * resourceVersion the API server returned for it; a DELETE that removed the
 * object at once returns none: name the deleted object instead (namespace,
 * except for a Tenant, and name).
 */
export type Write =
  | { kind: WriteKind; resourceVersion: string }
  | { kind: WriteKind; namespace?: string; name: string };

/**
 * How fresh an answer must be. With afterWrite the server waits (at most
 * maxWaitSeconds) until the controller has written the EffectivePermissions
 * computed from inputs that include the write, and answers not_converged (a
 * retryable DecisionError) if it has not by then: never an older answer.
 * With atLeastAsFresh it answers at least as freshly as an earlier answer.
 */
export interface Consistency {
  /** A freshness token from an earlier answer about the same tenant. */
  atLeastAsFresh?: string;
  /** The answer reflects this write (a revocation included). */
  afterWrite?: Write;
  /** How long the server may wait for afterWrite; default 5, at most 30, 0 to look once. */
  maxWaitSeconds?: number;
}

/** A /v1/check body. */
export interface CheckRequest extends Question {
  user: string;
  consistency?: Consistency;
}

/** A /v1/who-can body: a question without user. */
export type WhoCanRequest = Omit<Question, 'user'> & { consistency?: Consistency };

/** A /v1/filter body. */
export interface FilterRequest {
  tenant: string;
  user: string;
  action: Action;
  type: string;
  consistency?: Consistency;
}

/** A /v1/batch-check body. */
export interface BatchCheckRequest {
  /** Questions of /v1/check, at most 1,000. */
  questions: Question[];
  consistency?: Consistency;
}

/**
 * The freshness token: the highest resourceVersion of the tenant's
 * EffectivePermissions the server had seen when it answered ("0" for none).
 * Compare two with compareFreshness.
 */
export type Freshness = string;

/** The answer to one check question. */
export interface Answer {
  /** The decision. Enforce this, nothing else. */
  allowed: boolean;
  /** The user's access to the record (None for capability and functional questions). */
  access: AccessLevel;
  /** What allowed it, or why nothing did. */
  reasons: string[];
  freshness: Freshness;
}

/** One answer per question, in order. */
export interface BatchCheckAnswer {
  answers: Answer[];
}

/** One user who may, with what allows it. */
export interface WhoCanUser {
  user: string;
  /** The namespace and name of the user's EffectivePermission. */
  namespace: string;
  name: string;
  access: AccessLevel;
  reasons: string[];
}

/** Who may, as `accessctl who-can -o json` prints it. */
export interface WhoCanAnswer {
  tenant: string;
  /** The question in words. */
  question: string;
  users: WhoCanUser[];
  /** How many users the tenant has. */
  of: number;
  freshness: Freshness;
}

/** The record attribute a Condition reads. */
export type Attribute = 'owner' | 'ownerRole' | 'ownerActive' | 'visibility' | 'groups';

/** How a Condition compares its attribute with its values. */
export type Op = 'in' | 'notIn' | 'isTrue' | 'containsAny';

/** One test of a record attribute. */
export interface Condition {
  attribute: Attribute;
  op: Op;
  /** Left out for isTrue. */
  values?: string[];
}

/** A conjunction of conditions and the fields hidden on the records it matches. */
export interface Branch {
  conditions: Condition[];
  hiddenFields: string[];
}

/**
 * Which records of a type a user may perform an action on: a record is
 * allowed when it matches a branch; a field is hidden on it when every branch
 * it matches hides it. No branches allow nothing.
 */
export interface Filter {
  branches: Branch[];
}

/** A Filter and its freshness. */
export interface FilterAnswer extends Filter {
  freshness: Freshness;
}

/** The server's stable error codes. */
export type ErrorCode =
  | 'invalid_request'
  | 'too_many_questions'
  | 'request_too_large'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'not_ready'
  | 'not_converged'
  | 'internal';

/**
 * Codes of failures the client meets before it has an answer of the server:
 * no connection (unreachable), no answer in time (timeout), or an answer that
 * is not the server's JSON (unexpected_response, e.g. from a proxy).
 */
export type ClientErrorCode = 'unreachable' | 'timeout' | 'unexpected_response';

/** Each error code's HTTP status and whether asking again may succeed. */
export const errorCodes: Readonly<Record<ErrorCode, { status: number; retryable: boolean }>> = Object.freeze({
  invalid_request: { status: 400, retryable: false },
  too_many_questions: { status: 400, retryable: false },
  request_too_large: { status: 413, retryable: false },
  unauthenticated: { status: 401, retryable: false },
  forbidden: { status: 403, retryable: false },
  not_found: { status: 404, retryable: false },
  method_not_allowed: { status: 405, retryable: false },
  not_ready: { status: 503, retryable: true },
  not_converged: { status: 503, retryable: true },
  internal: { status: 500, retryable: false },
});

/** The most questions one batch-check may hold. */
export const maxBatch = 1000;
