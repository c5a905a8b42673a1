// The shim speaks ttrpc only. The generated service modules import gRPC client helpers at load
// time; in the shim's bundle they resolve to this stub instead of @grpc/grpc-js (less memory in
// every container's shim). Nothing in the shim calls them.
export class Client {}
export function makeGenericClientConstructor(): typeof Client {
  return Client;
}
