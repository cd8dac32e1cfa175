import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Context } from '../context';
import { AppError, ErrorCode } from '../errors/app-error';
import { requestPlan } from '../query-plan/plugin';
import { KIOSK_FIELDS } from '../query-plan/root-fields';

export { KIOSK_FIELDS };

/**
 * A kiosk token submits survey responses and does nothing else: any
 * operation of a kiosk principal whose root fields (as the query plan
 * collects them: fragments followed, @skip/@include decided) are not only
 * those the root-field table marks `kiosk` (submitSurveyResponse(s)),
 * queries that anonymous readers may run included, is refused with
 * FORBIDDEN before anything executes.
 */
export function kioskScopePlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      if (contextValue.principal?.kind !== 'kiosk') return;
      return {
        async didResolveOperation(rc) {
          const plan = requestPlan(rc);
          const fields = plan?.kind === 'mutation' ? plan.roots.map((f) => f.name) : null;
          const allowed = fields !== null && fields.length > 0 && fields.every((f) => KIOSK_FIELDS.has(f) || f === '__typename');
          if (!allowed) {
            const what = rc.operation ? `${rc.operation.operation} ${plan?.roots.map((f) => f.name).join(', ') ?? ''}`.trim() : 'this request';
            const error = new AppError(ErrorCode.FORBIDDEN, `A kiosk token may only call submitSurveyResponse and submitSurveyResponses, not ${what}`);
            throw new GraphQLError(error.message, { originalError: error, extensions: { http: { status: 403 } } });
          }
        },
      };
    },
  };
}
