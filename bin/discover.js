#!/usr/bin/env node
// The `discover` command is bin/discover.cjs. This file was the command before: npx's cache of a
// checkout keeps linking `discover` to it, so it stays, and runs the command.
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./discover.cjs');
