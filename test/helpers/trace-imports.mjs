// `node --import ./test/helpers/trace-imports.mjs ...`: appends every resolved module URL to
// $TRACE_IMPORTS_FILE, so a test can prove which packages a command loaded.
import { register } from 'node:module';

register('./trace-imports-hooks.mjs', import.meta.url, { data: { file: process.env.TRACE_IMPORTS_FILE } });
