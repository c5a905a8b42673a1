// containerd's filter language, shared by every List/Subscribe in the daemon. See filter.ts for the
// grammar and adaptor.ts for how objects are exposed to filters.
export { parseFilter, parseFilters, matchAll, type Filter } from './filter.js';
export {
  adapt,
  labelsField,
  present,
  PresentField,
  type Adaptor,
  type FieldTree,
  type FieldValue,
  type StringMap,
} from './adaptor.js';
export { compileGoRegexp } from './re2.js';
