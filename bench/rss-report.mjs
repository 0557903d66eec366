// `node --import ./bench/rss-report.mjs ...`: at exit, prints the process's peak RSS (KiB) and its
// own CPU time (user + system, microseconds) on stderr, so a benchmark can measure a whole CLI
// process without /usr/bin/time.
process.on('exit', () => {
  const usage = process.resourceUsage();
  process.stderr.write(`\nBENCH_PEAK_RSS_KB=${usage.maxRSS}\nBENCH_CPU_US=${usage.userCPUTime + usage.systemCPUTime}\n`);
});
