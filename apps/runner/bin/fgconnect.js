#!/usr/bin/env node
// A committed entry, so that installing the workspace links the command before anything is built.
import "../dist/cli.js";
