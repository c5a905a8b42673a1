/** tsctr's version. The server reports containerd's API level it speaks, with ours as build metadata. */
export const TSCTR_VERSION = '0.1.0';
export const SERVER_VERSION = {
  version: `1.6.20+tsctr.${TSCTR_VERSION}`,
  revision: `tsctr-${TSCTR_VERSION}`,
};
