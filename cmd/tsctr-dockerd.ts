// tsctr-dockerd: not built yet (see the open issues); it says so instead of pretending.
process.stderr.write('tsctr-dockerd: not yet implemented in this version of tsctr\n');
process.exit(1);
