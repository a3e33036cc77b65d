// Imported first by the CLI: libuv reads UV_THREADPOOL_SIZE when its pool starts. The journal keeps
// several O_DSYNC writes in flight and LMDB commits run there too; the default of 4 would queue them.
process.env.UV_THREADPOOL_SIZE ??= '16';
