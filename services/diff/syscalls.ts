export { S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, devMajor, devMinor, makedev, mknod } from '../../pkg/sys/mknod.js';
export { fsetxattr, lgetxattr, llistxattr, lsetxattr } from '../../pkg/sys/xattr.js';
export { futimesNs, lutimesNs } from '../../pkg/sys/utimes.js';
