// node --import tools/readme-examples/register.mjs file.ts: run TypeScript on the workspace sources.
import { register } from 'node:module';

register('./loader.mjs', import.meta.url);
