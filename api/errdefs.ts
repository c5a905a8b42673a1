// Typed errors shared by every layer. Stores throw these; the gRPC edge maps them to status codes
// in one place (services/server/grpc-errors.ts), and client/ maps status codes back to them.

export type ErrorKind =
  | 'InvalidArgument'
  | 'NotFound'
  | 'AlreadyExists'
  | 'FailedPrecondition'
  | 'Unavailable'
  | 'NotImplemented'
  | 'OutOfRange'
  | 'DataLoss'
  | 'Canceled'
  | 'DeadlineExceeded'
  | 'Unknown';

/** gRPC status codes, as numbers, for each kind (google.rpc.Code). */
export const grpcCodeOf: Record<ErrorKind, number> = {
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  FailedPrecondition: 9,
  OutOfRange: 11,
  NotImplemented: 12,
  Unavailable: 14,
  DataLoss: 15,
};

const kindByCode = new Map<number, ErrorKind>(
  Object.entries(grpcCodeOf).map(([k, v]) => [v, k as ErrorKind]),
);

/** containerd appends ": <class>" to messages; these are the class words it uses. */
const classWord: Partial<Record<ErrorKind, string>> = {
  InvalidArgument: 'invalid argument',
  NotFound: 'not found',
  AlreadyExists: 'already exists',
  FailedPrecondition: 'failed precondition',
  Unavailable: 'unavailable',
  NotImplemented: 'not implemented',
};

export class TsctrError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = kind;
  }
}

function make(kind: ErrorKind) {
  return (message: string): TsctrError => new TsctrError(kind, message);
}

export const invalidArgument = make('InvalidArgument');
export const notFound = make('NotFound');
export const alreadyExists = make('AlreadyExists');
export const failedPrecondition = make('FailedPrecondition');
export const unavailable = make('Unavailable');
export const notImplemented = make('NotImplemented');
export const outOfRange = make('OutOfRange');
export const dataLoss = make('DataLoss');
export const canceled = make('Canceled');

export function isKind(err: unknown, kind: ErrorKind): boolean {
  return err instanceof TsctrError && err.kind === kind;
}

export const isNotFound = (err: unknown): boolean => isKind(err, 'NotFound');
export const isAlreadyExists = (err: unknown): boolean => isKind(err, 'AlreadyExists');

/** The message as containerd words it on the wire: "<context>: <class>". */
export function wireMessage(err: TsctrError): string {
  const word = classWord[err.kind];
  if (!word || err.message.endsWith(`: ${word}`) || err.message === word) return err.message;
  return `${err.message}: ${word}`;
}

/** Rebuild a typed error from a gRPC status (client side). */
export function fromStatus(code: number, details: string): TsctrError {
  const kind = kindByCode.get(code) ?? 'Unknown';
  const word = classWord[kind];
  const message = word && details.endsWith(`: ${word}`) ? details.slice(0, -word.length - 2) : details;
  return new TsctrError(kind, message);
}
