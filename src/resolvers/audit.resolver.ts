import { Arg, Authorized, Int, Query, Resolver } from 'type-graphql';
import { AUDIT_PAGE_SIZE, type AuditLogService } from '../audit/audit-log.service';
import { Role } from '../entities/enums';
import { AuditConnection } from './types/audit.type';

@Resolver()
export class AuditResolver {
  constructor(private readonly audit: AuditLogService) {}

  @Authorized(Role.ADMIN, Role.ANALYST)
  @Query(() => AuditConnection, { description: 'The audit history, newest first: every accepted change but survey submissions. Filters match exactly.' })
  async auditLog(
    @Arg('year', () => Int, { nullable: true }) year: number | null,
    @Arg('unitCode', () => String, { nullable: true }) unitCode: string | null,
    @Arg('actor', () => String, { nullable: true }) actor: string | null,
    @Arg('operation', () => String, { nullable: true }) operation: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: AUDIT_PAGE_SIZE, description: '1 to 100; null means the default.' }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<AuditConnection> {
    const page = await this.audit.list({ year, unitCode, actor, operation, first, after });
    return {
      edges: page.items.map((i) => ({ cursor: i.cursor, node: i.node })),
      pageInfo: {
        hasNextPage: page.hasNextPage, hasPreviousPage: page.hasPreviousPage,
        startCursor: page.items[0]?.cursor ?? null, endCursor: page.items[page.items.length - 1]?.cursor ?? null,
      },
      totalCount: page.totalCount,
    };
  }
}
