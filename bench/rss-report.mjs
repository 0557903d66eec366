// `node --import ./bench/rss-report.mjs ...`: at exit, prints the process's peak RSS (KiB) on stderr
// so a benchmark can measure a whole CLI process without /usr/bin/time.
process.on('exit', () => {
  process.stderr.write(`\nBENCH_PEAK_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
