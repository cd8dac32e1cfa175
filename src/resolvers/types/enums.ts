import { registerEnumType } from 'type-graphql';
import {
  CriterionSource, CycleStatus, PanelAggregation, Role, ScoreRound, ServiceElement, SubmissionStatus, UnitKind,
} from '../../entities/enums';

registerEnumType(UnitKind, { name: 'UnitKind', description: 'Departments, districts, and communes under districts.' });
registerEnumType(CriterionSource, { name: 'CriterionSource', description: 'Who earns a leaf its points: the expert panel or citizen surveys.' });
registerEnumType(ScoreRound, { name: 'ScoreRound' });
registerEnumType(PanelAggregation, { name: 'PanelAggregation' });
registerEnumType(CycleStatus, { name: 'CycleStatus' });
registerEnumType(ServiceElement, { name: 'ServiceElement', description: 'The SIPAS service elements.' });
registerEnumType(SubmissionStatus, { name: 'SubmissionStatus' });
registerEnumType(Role, { name: 'Role' });

export { CriterionSource, CycleStatus, PanelAggregation, Role, ScoreRound, ServiceElement, SubmissionStatus, UnitKind };
