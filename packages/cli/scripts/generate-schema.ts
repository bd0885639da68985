// Writes voxnas.schema.json (the JSON Schema of a voxnas config file) from the zod schema in
// src/config-schema.ts. Run with `pnpm --filter voxnas schema`; src/config-schema.test.ts fails when
// the checked-in file is out of date.
import { fileURLToPath } from 'node:url';
import { atomicWrite } from '@voxnas/core/node';
import { CONFIG_SCHEMA_FILE, configJsonSchemaText } from '../src/config-json-schema.js';

const target = fileURLToPath(new URL(`../${CONFIG_SCHEMA_FILE}`, import.meta.url));
await atomicWrite(target, configJsonSchemaText());
console.log(`wrote ${target}`);
