// The shape of a ts-proto service definition (outputServices=grpc-js), e.g. TaskService from
// api/gen/containerd/runtime/task/v2/shim.ts, as far as ttrpc needs it. Declared structurally so this
// library never imports a generated service module (and the grpc-js those pull in).

/** One unary method: `path` is "/<package>.<Service>/<Method>". */
export interface UnaryMethod {
  readonly path: string;
  readonly requestSerialize: (value: never) => Buffer;
  readonly requestDeserialize: (value: Buffer) => unknown;
  readonly responseSerialize: (value: never) => Buffer;
  readonly responseDeserialize: (value: Buffer) => unknown;
}

export type ServiceDefinition = { readonly [method: string]: UnaryMethod };

export type RequestOf<M> = M extends { requestDeserialize: (value: Buffer) => infer R } ? R : never;
export type ResponseOf<M> = M extends { responseDeserialize: (value: Buffer) => infer R } ? R : never;

/** The same method, with the types erased, for the library's own use. */
export interface ErasedMethod {
  readonly path: string;
  readonly requestSerialize: (value: unknown) => Buffer;
  readonly requestDeserialize: (value: Buffer) => unknown;
  readonly responseSerialize: (value: unknown) => Buffer;
  readonly responseDeserialize: (value: Buffer) => unknown;
}

/** Splits "/pkg.Service/Method" into the service and method names ttrpc sends. */
export function splitPath(path: string): { service: string; method: string } {
  const m = /^\/(.+)\/([^/]+)$/.exec(path);
  if (!m) throw new TypeError(`ttrpc: bad method path ${JSON.stringify(path)}`);
  return { service: m[1], method: m[2] };
}

/** The methods of a definition, keyed by their property name, types erased. */
export function methodsOf(def: ServiceDefinition): Array<[string, ErasedMethod]> {
  return Object.entries(def).map(([name, m]) => [name, m as unknown as ErasedMethod]);
}
