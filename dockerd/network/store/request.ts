// Reading the body of `POST /networks/create` the way Go's encoding/json reads it into dockerd's
// NetworkCreateRequest: keys match field names case-insensitively (the last one wins), unknown keys
// and nulls are ignored, a value of the wrong type is an InvalidParameter with Go's text.
import { InvalidParameter } from '../../errdefs/index.js';
import type { IpamConfigEntry, NetworkCreateRequest } from './types.js';

type Json = unknown;

function jsonKind(v: Json): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

function typeError(v: Json, struct: string, field: string, goType: string): InvalidParameter {
  return new InvalidParameter(
    `json: cannot unmarshal ${jsonKind(v)} into Go struct field ${struct}.${field} of type ${goType}`,
  );
}

/** The object's entries keyed by the field they fill (`fields`), Go's case-insensitive match. */
function byField(obj: Record<string, Json>, fields: readonly string[]): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const [k, v] of Object.entries(obj)) {
    const f = fields.find((x) => x === k) ?? fields.find((x) => x.toLowerCase() === k.toLowerCase());
    if (f !== undefined && v !== null) out.set(f, v);
  }
  return out;
}

function str(v: Json, struct: string, field: string): string {
  if (typeof v !== 'string') throw typeError(v, struct, field, 'string');
  return v;
}

function bool(v: Json, struct: string, field: string): boolean {
  if (typeof v !== 'boolean') throw typeError(v, struct, field, 'bool');
  return v;
}

function obj(v: Json, struct: string, field: string, goType: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw typeError(v, struct, field, goType);
  return v as Record<string, Json>;
}

function stringMap(v: Json, struct: string, field: string): Record<string, string> {
  const o = obj(v, struct, field, 'map[string]string');
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(o)) out[k] = x === null ? '' : str(x, struct, field);
  return out;
}

const IPAM_CONFIG_FIELDS = ['Subnet', 'IPRange', 'Gateway', 'AuxiliaryAddresses'] as const;

function ipamConfigEntry(v: Json): IpamConfigEntry {
  const path = 'IPAM.Config';
  const f = byField(obj(v, 'IPAMConfig', path, 'network.IPAMConfig'), IPAM_CONFIG_FIELDS);
  const out: IpamConfigEntry = {};
  for (const name of ['Subnet', 'IPRange', 'Gateway'] as const) {
    if (f.has(name)) out[name] = str(f.get(name), 'IPAMConfig', `${path}.${name}`);
  }
  if (f.has('AuxiliaryAddresses'))
    out.AuxiliaryAddresses = stringMap(
      f.get('AuxiliaryAddresses'),
      'IPAMConfig',
      `${path}.AuxiliaryAddresses`,
    );
  return out;
}

function ipam(v: Json): NonNullable<NetworkCreateRequest['IPAM']> {
  const f = byField(obj(v, 'NetworkCreateRequest', 'IPAM', 'network.IPAM'), ['Driver', 'Options', 'Config']);
  const out: NonNullable<NetworkCreateRequest['IPAM']> = {};
  if (f.has('Driver')) out.Driver = str(f.get('Driver'), 'IPAM', 'IPAM.Driver');
  if (f.has('Options')) out.Options = stringMap(f.get('Options'), 'IPAM', 'IPAM.Options');
  if (f.has('Config')) {
    const c = f.get('Config');
    if (!Array.isArray(c)) throw typeError(c, 'IPAM', 'IPAM.Config', '[]network.IPAMConfig');
    out.Config = c.map(ipamConfigEntry);
  }
  return out;
}

const REQUEST_FIELDS = [
  'Name',
  'CheckDuplicate',
  'Driver',
  'Scope',
  'EnableIPv6',
  'IPAM',
  'Internal',
  'Attachable',
  'Ingress',
  'ConfigOnly',
  'ConfigFrom',
  'Options',
  'Labels',
] as const;

/** The typed request from a decoded JSON body. Throws InvalidParameter with Go's decoding text. */
export function parseCreateRequest(body: Record<string, unknown>): NetworkCreateRequest {
  const S = 'NetworkCreateRequest';
  const f = byField(body, REQUEST_FIELDS);
  const req: NetworkCreateRequest = { Name: f.has('Name') ? str(f.get('Name'), S, 'Name') : '' };
  for (const name of ['Driver', 'Scope'] as const) if (f.has(name)) req[name] = str(f.get(name), S, name);
  for (const name of [
    'CheckDuplicate',
    'EnableIPv6',
    'Internal',
    'Attachable',
    'Ingress',
    'ConfigOnly',
  ] as const) {
    if (f.has(name)) req[name] = bool(f.get(name), S, name);
  }
  if (f.has('IPAM')) req.IPAM = ipam(f.get('IPAM'));
  if (f.has('ConfigFrom')) {
    const cf = byField(obj(f.get('ConfigFrom'), S, 'ConfigFrom', 'network.ConfigReference'), ['Network']);
    req.ConfigFrom = { Network: cf.has('Network') ? str(cf.get('Network'), S, 'ConfigFrom.Network') : '' };
  }
  if (f.has('Options')) req.Options = stringMap(f.get('Options'), S, 'Options');
  if (f.has('Labels')) req.Labels = stringMap(f.get('Labels'), S, 'Labels');
  return req;
}
