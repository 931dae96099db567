/**
 * Build step: writes oclif.manifest.json at the package root from the compiled commands.
 *
 * Without a manifest oclif imports every command module (and with them ink, React, kafkajs,
 * amqplib, ioredis…) on each start just to list the commands: about 2 s per CLI call on these
 * machines. With it only the command that runs is imported (about 0.5 s). `npm run build` runs
 * this after tsc, so the manifest always matches dist/; it is not committed.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Plugin } from '@oclif/core';
import { packageRoot } from '../tools/package-root.js';

const root = packageRoot();
const file = path.join(root, 'oclif.manifest.json');
// An old manifest would be read back instead of the commands: build from the modules.
rmSync(file, { force: true });
const plugin = new Plugin({ root, type: 'core', isRoot: true });
await plugin.load();
writeFileSync(file, `${JSON.stringify(plugin.manifest, null, 2)}\n`);
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`);
