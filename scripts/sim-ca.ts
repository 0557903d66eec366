// `npm run sim:ca`: create (or keep) the simulator's CA in .sim/ so test processes can start with
// NODE_EXTRA_CA_CERTS=.sim/ca.pem before any sim is running.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCa } from '../src/sim/ca.js';

const stateDir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '.sim');
const ca = await ensureCa(stateDir);
console.log(`${ca.created ? 'created' : 'kept'} ${ca.caPath}`);
