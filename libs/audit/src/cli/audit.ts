export interface AuditCliContext { x: number }; export async function runAuditCli(): Promise<number> { return 0; }
