#!/usr/bin/env node
// The `discover` command: the CLI with the built-in providers.
import './compose.js';
import '../src/cli/main.js';
