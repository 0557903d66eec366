// `node --import ./bench/rss-report.mjs ...`: at exit, prints the process's peak RSS (KiB) and the
// CPU time it used (user + system, every thread, µs) on stderr, so a benchmark can measure a
// whole CLI process without /usr/bin/time. CPU time moves less than wall time when other jobs
// load the machine.
process.on('exit', () => {
  const cpu = process.cpuUsage();
  process.stderr.write(`\nBENCH_PEAK_RSS_KB=${process.resourceUsage().maxRSS} BENCH_CPU_US=${cpu.user + cpu.system}\n`);
});
