/**
 * The CLI bundle's entry (scripts/bundle-providers.mjs bundles it with the engine into
 * dist/bundles/cli/; entry/discover.ts runs it through src/load-bundle.ts). The bundle carries
 * its own copy of the engine, so it hands the provider bundles that copy's kit.
 */
import './compose.js';
import { provideKit } from '../src/load-bundle.js';

provideKit(() => import('../src/kit/index.js'));

export { main } from '../src/cli/main.js';
