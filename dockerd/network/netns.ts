// Persistent network namespaces: moved to pkg/sys (the CRI's pod sandboxes use them too).
export { createNetns, removeNetns, withNetns } from '../../pkg/sys/netns-file.js';
