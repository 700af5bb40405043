// Every ```ts block of README.md (but those tagged no-run) runs and exits with code 0.
import { testReadmeExamples } from '../../../tools/readme-examples/index.mjs';

testReadmeExamples(new URL('..', import.meta.url));
