import type { Question } from '../entities/question.entity';
import type { Unit } from '../entities/unit.entity';
import { lastYearOf } from '../services/unit-years';
import type { Framework, FrameworkNode } from '../services/framework.service';
import type { CriterionType, CycleType } from './types/cycle.type';
import type { QuestionType } from './types/question.type';
import type { UnitType } from './types/unit.type';

/** Shapes rows and service results into the GraphQL types; no logic beyond shaping. */
export function toUnitType(u: Unit & { year?: number }): UnitType {
  const unit: UnitType = {
    id: u.publicId, dbId: u.id, code: u.code, name: u.name, kind: u.kind, parentId: u.parentId,
    firstYear: u.firstYear, lastYear: lastYearOf(u.kind, u.lastYear),
  };
  if (u.year !== undefined) unit.year = u.year;
  return unit;
}

function toCriterionType(n: FrameworkNode): CriterionType {
  return {
    code: n.code, name: n.name, maxPoints: Number(n.maxPoints), source: n.source,
    questionCodes: n.questionCodes, children: n.children.map(toCriterionType),
  };
}

export function toCycleType(f: Framework): CycleType {
  const c = f.cycle;
  return {
    id: c.id, year: c.year, unitKind: c.unitKind, status: c.status,
    maxPoints: f.maxPoints.toNumber(), expertMaxPoints: f.expertMaxPoints.toNumber(), surveyMaxPoints: f.surveyMaxPoints.toNumber(),
    minResponses: c.minResponses, panelAggregation: c.panelAggregation,
    maxBonus: Number(c.maxBonus), maxPenalty: Number(c.maxPenalty),
    domains: f.domains.map((d) => ({ code: d.code, name: d.name, maxPoints: Number(d.maxPoints), criteria: d.children.map(toCriterionType) })),
    bands: f.bands.map((b) => ({ code: b.code, label: b.label, minScore: Number(b.minScore) })),
  };
}

export function toQuestionType(q: Question): QuestionType {
  return { code: q.code, text: q.text, element: q.element, scaleMax: q.scaleMax, satisfiedMin: q.satisfiedMin };
}
