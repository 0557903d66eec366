/** Hands the built-in providers of `providers/index.ts` to the engine; imported first by every entry point. */
import { setBuiltins } from '../src/builtins.js';
import { builtins } from '../providers/index.js';

setBuiltins(builtins);
