export interface CodeBlock { line: number; code: string; run: boolean }
export interface ExampleResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }
export function codeBlocks(markdown: string): CodeBlock[];
export function runExample(file: string, options?: { cwd?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<ExampleResult>;
export function testReadmeExamples(packageDir: string | URL, options?: { timeoutMs?: number }): void;
