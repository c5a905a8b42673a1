// Terminal size: ioctl(TIOCSWINSZ) through koffi, bound on first use.
import koffi from 'koffi';
import { failedError, libc } from './libc.js';

interface Winsize {
  row: number;
  col: number;
  xpixel: number;
  ypixel: number;
}
type IoctlWinsizeFn = (fd: number, req: number, ws: Winsize) => number;
let cIoctlWinsize: IoctlWinsizeFn | undefined;
function ioctlWinsize(): IoctlWinsizeFn {
  if (!cIoctlWinsize) {
    koffi.struct('tsctr_winsize', {
      row: 'uint16_t',
      col: 'uint16_t',
      xpixel: 'uint16_t',
      ypixel: 'uint16_t',
    });
    cIoctlWinsize = libc().func(
      'int ioctl(int fd, unsigned long req, tsctr_winsize *ws)',
    ) as unknown as IoctlWinsizeFn;
  }
  return cIoctlWinsize;
}

const TIOCSWINSZ = 0x5414;

/** Sets the window size of the terminal `fd` (a pty master). */
export function resizePty(fd: number, width: number, height: number): void {
  if (ioctlWinsize()(fd, TIOCSWINSZ, { row: height, col: width, xpixel: 0, ypixel: 0 }) !== 0) {
    throw failedError('ioctl(TIOCSWINSZ)');
  }
}
