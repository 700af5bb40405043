import { resumeCommand, shellQuote } from '../src/interrupt.js';

describe('resumeCommand', () => {
  it('repeats the arguments, quoted for a shell, with --resume once', () => {
    expect(resumeCommand(['train', 'bc', '--config', '{"a": 1}', '--out', "it's"])).toBe(`bellman train bc --config '{"a": 1}' --out 'it'\\''s' --resume`);
    expect(resumeCommand(['train', 'bc', '--resume'])).toBe('bellman train bc --resume');
    expect(shellQuote('runs/a-b_c.h5')).toBe('runs/a-b_c.h5');
  });
});
