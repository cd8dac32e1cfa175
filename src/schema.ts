import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type ResolverData } from 'type-graphql';
import { authChecker } from './auth/auth-checker';
import type { Context } from './context';
import { AnalysisResolver, ExplanationResolver } from './resolvers/analysis.resolver';
import { AssessmentResolver, RoundWindowResolver } from './resolvers/appraisal.resolver';
import { AuditResolver } from './resolvers/audit.resolver';
import { CycleResolver } from './resolvers/cycle.resolver';
import { KioskResolver } from './resolvers/kiosk.resolver';
import { SatisfactionResolver } from './resolvers/satisfaction.resolver';
import { SurveyResolver } from './resolvers/survey.resolver';
import { ExpertScoreResolver } from './resolvers/expert-score.resolver';
import { QuestionnaireResolver } from './resolvers/questionnaire.resolver';
import { RankingResolver, renderedRankings } from './resolvers/ranking.resolver';
import { ResultsResolver } from './resolvers/results.resolver';
import { PublicationResolver } from './resolvers/publication.resolver';
import { TokenResolver } from './resolvers/token.resolver';
import { UnitResolver } from './resolvers/unit.resolver';
import { KioskAlertResolver } from './resolvers/kiosk-alert.resolver';
import { ExplanationRequestResolver, UnitEvidenceResolver } from './resolvers/explanation-request.resolver';
import { LiveResolver } from './resolvers/live.resolver';
import type { Live } from './live';
import { livePubSub } from './live/subscriptions';
import type { Renderers } from './http/rendered-queries';
import { RENDERED_FIELDS } from './query-plan/result-json';
import { rankingPages } from './query-plan/rankings';
import { renderedUnitPage } from './query-plan/unit-page';
import { renderedUnits } from './query-plan/units';
import type { Services } from './services';

/**
 * Resolvers get their services through their constructors: this table is
 * the one place that wires them.
 */
function resolverInstances(s: Services, live?: Live): [Function, object][] {
  return [
    [UnitResolver, new UnitResolver(s.units)],
    [CycleResolver, new CycleResolver(s.frameworks)],
    [QuestionnaireResolver, new QuestionnaireResolver(s.questionnaires)],
    [TokenResolver, new TokenResolver(s.auth)],
    [KioskResolver, new KioskResolver(s.kiosks)],
    [SurveyResolver, new SurveyResolver(s.surveys)],
    [SatisfactionResolver, new SatisfactionResolver(s.satisfaction)],
    [ExpertScoreResolver, new ExpertScoreResolver(s.expertScores)],
    [RankingResolver, new RankingResolver(s.rankings)],
    [ResultsResolver, new ResultsResolver(s.results)],
    [PublicationResolver, new PublicationResolver(s.publications)],
    // Live data and kiosk alerts (src/live): `live` is absent only where no request runs (schema:print).
    [LiveResolver, new LiveResolver()],
    [KioskAlertResolver, new KioskAlertResolver(live?.alerts as NonNullable<Live['alerts']>)],
    [AnalysisResolver, new AnalysisResolver(s.analysis)],
    [ExplanationResolver, new ExplanationResolver()],
    // Evidence files and explanation requests (src/evidence).
    [ExplanationRequestResolver, new ExplanationRequestResolver(s.explanations)],
    [UnitEvidenceResolver, new UnitEvidenceResolver(s.evidence)],
    // The appraisal year (src/appraisal): round windows, assessment, withdrawing a score.
    [RoundWindowResolver, new RoundWindowResolver(s.roundWindows, s.assessment)],
    [AssessmentResolver, new AssessmentResolver(s.roundWindows, s.assessment, s.expertScores)],
    [AuditResolver, new AuditResolver(s.audit)],
  ];
}

export async function createSchema(services: Services, live?: Live): Promise<GraphQLSchema> {
  const instances = new Map(resolverInstances(services, live));
  const resolvers = [...instances.keys()] as [Function, ...Function[]];
  return buildSchema({
    resolvers,
    authChecker,
    validate: true,
    pubSub: livePubSub, // the subscriptions subscribe themselves (src/live/subscriptions.ts)
    container: {
      get: (cls: Function, _data: ResolverData<Context>) => {
        const instance = instances.get(cls);
        if (!instance) throw new Error(`no instance wired for ${cls.name}`);
        return instance;
      },
    },
  });
}

/**
 * The root fields PostgreSQL answers whole, as JSON text, when nothing
 * else is selected (src/http/rendered-queries.ts), next to their resolvers.
 */
export function renderers(s: Services): Renderers {
  return {
    roots: {
      rankings: { render: renderedRankings(rankingPages(s.rankings)), fields: RENDERED_FIELDS },
      unit: renderedUnitPage(s.rankings),
      units: renderedUnits(s.rankings),
    },
  };
}
