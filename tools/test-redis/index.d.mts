export interface TestRedisServer { url: string; port: number; stop(): Promise<void> }
export function startRedisServer(): Promise<TestRedisServer>;
